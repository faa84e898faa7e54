"""Build an fp32 ONNX model of a HuggingFace BERT encoder from its safetensors, without PyTorch.

Why: the app runs embeddings on onnxruntime and must not depend on torch, yet many embedding
models ship only `config.json` + `model.safetensors`. BERT's encoder is small enough to write
down op by op with `onnx.helper`, so we read the weights with `safetensors.numpy` and emit the
graph ourselves. The graph follows the shapes onnxruntime's optimizer recognises (opset 17
LayerNormalization, erf GELU, MatMul+Add linears) so ORT_ENABLE_ALL fuses it as it would a
torch export. Self-attention is written directly as onnxruntime's fused `Attention` op, which
its optimizer would not find here; `fused_attention=False` spells it out in standard ops, for
other runtimes and for comparison (bench/model_graph.py).

Inputs `input_ids`, `attention_mask`, `token_type_ids` (int64, [batch, sequence]); output
`last_hidden_state` (float32, [batch, sequence, hidden]). Pooling is left to the caller.
"""

from __future__ import annotations

import json
import math
import os
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

from rag.errors import ConfigError

#: Opset 17 is the first with LayerNormalization; IR 8 is what it needs, so older runtimes load it.
OPSET = 17
IR_VERSION = 8
#: onnxruntime's own operators (`Attention`), version 1.
CONTRIB_DOMAIN = "com.microsoft"
#: Protobuf cannot serialise a single message of 2 GiB or more.
_PROTOBUF_LIMIT = 2**31 - 1
_SUPPORTED_ACTS = ("gelu", "gelu_new", "gelu_pytorch_tanh", "relu")


class _Graph:
    """Collects nodes and initializers, handing out unique tensor names."""

    def __init__(self) -> None:
        self.nodes: list[onnx.NodeProto] = []
        self.initializers: list[onnx.TensorProto] = []
        self._count = 0

    def const(self, name: str, array: np.ndarray) -> str:
        """Add a weight or constant as an initializer (kept out of the node list on purpose)."""
        self.initializers.append(numpy_helper.from_array(np.ascontiguousarray(array), name))
        return name

    def op(self, op_type: str, inputs: list[str], name: str | None = None, **attrs: Any) -> str:
        """Add a single-output node and return its output name."""
        self._count += 1
        out = name or f"{op_type.lower()}_{self._count}"
        self.nodes.append(
            helper.make_node(op_type, inputs, [out], name=f"{op_type}_{self._count}", **attrs)
        )
        return out


def _read_config(model_dir: Path) -> dict[str, Any]:
    """Load config.json and refuse architectures this graph would silently get wrong."""
    path = model_dir / "config.json"
    if not path.is_file():
        raise ConfigError(f"No config.json in {model_dir}: not a HuggingFace model folder.")
    config = json.loads(path.read_text(encoding="utf-8"))
    if config.get("model_type", "bert") != "bert":
        raise ConfigError(
            f"{path} has model_type={config.get('model_type')!r}; only 'bert' is supported "
            "(RoBERTa-style models offset their position ids differently)."
        )
    if config.get("position_embedding_type", "absolute") != "absolute":
        raise ConfigError(f"{path}: only absolute position embeddings are supported.")
    if config.get("hidden_act", "gelu") not in _SUPPORTED_ACTS:
        raise ConfigError(
            f"{path}: hidden_act={config.get('hidden_act')!r} is not one of {_SUPPORTED_ACTS}."
        )
    if config["hidden_size"] % config["num_attention_heads"]:
        raise ConfigError(f"{path}: hidden_size is not a multiple of num_attention_heads.")
    return config


def _load_weights(model_dir: Path) -> dict[str, np.ndarray]:
    """Read model.safetensors as float32 numpy arrays with any `bert.` prefix stripped."""
    from safetensors.numpy import load_file

    path = model_dir / "model.safetensors"
    if not path.is_file():
        raise ConfigError(f"No model.safetensors in {model_dir}.")
    raw = load_file(str(path))
    # Task heads (BertForX) keep the encoder under "bert."; plain BertModel has no prefix.
    prefix = "bert." if "bert.embeddings.word_embeddings.weight" in raw else ""
    return {
        key[len(prefix) :]: value.astype(np.float32) if value.dtype.kind == "f" else value
        for key, value in raw.items()
        if key.startswith(prefix)
    }


def _linear(g: _Graph, w: dict[str, np.ndarray], x: str, key: str) -> str:
    """x @ W.T + b, with W pre-transposed so the graph has a plain MatMul+Add ORT can fuse."""
    weight = g.const(f"{key}.weight", w[f"{key}.weight"].T)
    bias = g.const(f"{key}.bias", w[f"{key}.bias"])
    return g.op("Add", [g.op("MatMul", [x, weight]), bias])


def _self_attention(g: _Graph, w: dict[str, np.ndarray], x: str, mask: str, key: str,
                    heads: int) -> str:
    """Multi-head self-attention as onnxruntime's fused `Attention` op: query, key and value
    in one [hidden, 3 x hidden] matrix, `mask` the raw 0/1 attention mask as int32. Quantized,
    it becomes one `QAttention` that quantizes its input once: up to 4% faster than the same
    attention in standard ops (bench/model_graph.py), with the same fp32 vectors."""
    parts = ("query", "key", "value")
    weight = np.concatenate([w[f"{key}.{p}.weight"].T for p in parts], axis=1)
    bias = np.concatenate([w[f"{key}.{p}.bias"] for p in parts])
    return g.op("Attention", [x, g.const(f"{key}.qkv.weight", weight),
                              g.const(f"{key}.qkv.bias", bias), mask],
                domain=CONTRIB_DOMAIN, num_heads=heads)


def _standard_attention(g: _Graph, w: dict[str, np.ndarray], x: str, mask: str, key: str,
                        heads: int, hidden: int) -> str:
    """The same attention in standard ONNX ops; `mask` is additive, [batch, 1, 1, seq]."""
    head_dim = hidden // heads
    split = g.const(f"{key}.split_heads", np.array([0, 0, heads, head_dim], np.int64))
    merge = g.const(f"{key}.merge_heads", np.array([0, 0, hidden], np.int64))
    scale = g.const(f"{key}.scale", np.array(1.0 / math.sqrt(head_dim), np.float32))

    def heads_of(part: str, perm: list[int]) -> str:
        return g.op("Transpose", [g.op("Reshape", [_linear(g, w, x, f"{key}.{part}"), split])],
                    perm=perm)

    q = heads_of("query", [0, 2, 1, 3])
    k = heads_of("key", [0, 2, 3, 1])  # transposed, for q @ k
    v = heads_of("value", [0, 2, 1, 3])
    scores = g.op("Add", [g.op("Mul", [g.op("MatMul", [q, k]), scale]), mask])
    probs = g.op("Softmax", [scores], axis=-1)
    context = g.op("Transpose", [g.op("MatMul", [probs, v])], perm=[0, 2, 1, 3])
    return g.op("Reshape", [context, merge])


def _layer_norm(g: _Graph, w: dict[str, np.ndarray], x: str, key: str, eps: float) -> str:
    scale = g.const(f"{key}.weight", w[f"{key}.weight"])
    bias = g.const(f"{key}.bias", w[f"{key}.bias"])
    return g.op("LayerNormalization", [x, scale, bias], axis=-1, epsilon=eps)


def _activation(g: _Graph, x: str, act: str, consts: dict[str, str]) -> str:
    """BERT's 'gelu' is the exact erf form; written as ORT's GeluFusion pattern expects."""
    if act == "relu":
        return g.op("Relu", [x])
    if act == "gelu":
        erf = g.op("Erf", [g.op("Div", [x, consts["sqrt2"]])])
        return g.op("Mul", [g.op("Mul", [x, g.op("Add", [erf, consts["one"]])]), consts["half"]])
    # gelu_new / gelu_pytorch_tanh: 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))
    cube = g.op("Mul", [g.op("Pow", [x, consts["three"]]), consts["c044715"]])
    inner = g.op("Mul", [g.op("Add", [x, cube]), consts["sqrt2_pi"]])
    tanh = g.op("Tanh", [inner])
    return g.op("Mul", [g.op("Mul", [x, g.op("Add", [tanh, consts["one"]])]), consts["half"]])


def _build_graph(config: dict[str, Any], w: dict[str, np.ndarray],
                 fused_attention: bool) -> onnx.GraphProto:
    hidden = int(config["hidden_size"])
    heads = int(config["num_attention_heads"])
    layers = int(config["num_hidden_layers"])
    eps = float(config.get("layer_norm_eps", 1e-12))
    act = str(config.get("hidden_act", "gelu"))

    for key, rows in (
        ("embeddings.word_embeddings.weight", int(config["vocab_size"])),
        ("embeddings.position_embeddings.weight", int(config["max_position_embeddings"])),
    ):
        if key not in w or w[key].shape != (rows, hidden):
            got = w[key].shape if key in w else "missing"
            raise ConfigError(
                f"{key}: expected shape {(rows, hidden)} from config.json, got {got}."
            )

    g = _Graph()
    f32 = np.float32
    consts = {
        "one": g.const("const_one", np.array(1.0, f32)),
        "half": g.const("const_half", np.array(0.5, f32)),
        "sqrt2": g.const("const_sqrt2", np.array(math.sqrt(2.0), f32)),
        "three": g.const("const_three", np.array(3.0, f32)),
        "c044715": g.const("const_0_044715", np.array(0.044715, f32)),
        "sqrt2_pi": g.const("const_sqrt_2_over_pi", np.array(math.sqrt(2.0 / math.pi), f32)),
    }

    # Embeddings: word + position (rows 0..seq-1 sliced, broadcast over batch) + token type.
    word = g.op("Gather", [g.const("embeddings.word_embeddings.weight",
                                   w["embeddings.word_embeddings.weight"]), "input_ids"], axis=0)
    seq_len = g.op("Shape", ["input_ids"], start=1, end=2)
    positions = g.op("Slice", [
        g.const("embeddings.position_embeddings.weight",
                w["embeddings.position_embeddings.weight"]),
        g.const("const_zero_1d", np.array([0], np.int64)),
        seq_len,
        g.const("const_axis0_1d", np.array([0], np.int64)),
    ])
    token_type = g.op("Gather", [g.const("embeddings.token_type_embeddings.weight",
                                         w["embeddings.token_type_embeddings.weight"]),
                                 "token_type_ids"], axis=0)
    x = g.op("Add", [g.op("Add", [word, positions]), token_type])
    x = _layer_norm(g, w, x, "embeddings.LayerNorm", eps)

    if fused_attention:  # `Attention` takes the raw 0/1 mask and masks padded keys itself
        mask = g.op("Cast", ["attention_mask"], to=TensorProto.INT32)
    else:  # additive [batch, 1, 1, seq]: 0 where attended, float32 min where padded (as HF)
        mask = g.op("Cast", ["attention_mask"], to=TensorProto.FLOAT)
        mask = g.op("Mul", [g.op("Sub", [consts["one"], mask]),
                            g.const("const_mask_value", np.array(np.finfo(f32).min, f32))])
        mask = g.op("Unsqueeze", [mask, g.const("const_axes_1_2", np.array([1, 2], np.int64))])

    for i in range(layers):
        p = f"encoder.layer.{i}"
        key = f"{p}.attention.self"
        context = (_self_attention(g, w, x, mask, key, heads) if fused_attention
                   else _standard_attention(g, w, x, mask, key, heads, hidden))
        attn = _linear(g, w, context, f"{p}.attention.output.dense")
        x = _layer_norm(g, w, g.op("Add", [attn, x]), f"{p}.attention.output.LayerNorm", eps)

        inter = _activation(g, _linear(g, w, x, f"{p}.intermediate.dense"), act, consts)
        out = _linear(g, w, inter, f"{p}.output.dense")
        x = _layer_norm(g, w, g.op("Add", [out, x]), f"{p}.output.LayerNorm", eps)

    g.nodes.append(helper.make_node("Identity", [x], ["last_hidden_state"], name="output"))

    # Drop constants the chosen activation did not use, so the checker stays quiet.
    used = {name for node in g.nodes for name in node.input}
    initializers = [t for t in g.initializers if t.name in used]

    io_dims = ["batch", "sequence"]
    inputs = [
        helper.make_tensor_value_info(name, TensorProto.INT64, io_dims)
        for name in ("input_ids", "attention_mask", "token_type_ids")
    ]
    outputs = [
        helper.make_tensor_value_info("last_hidden_state", TensorProto.FLOAT, [*io_dims, hidden])
    ]
    # Slice's length is data-dependent, so shape inference would give the position rows an
    # anonymous length and lose "sequence" downstream; onnxruntime's SkipLayerNormalization
    # fusion needs the residual Add inputs to agree symbolically, so state it.
    hints = [helper.make_tensor_value_info(positions, TensorProto.FLOAT, ["sequence", hidden])]
    return helper.make_graph(
        g.nodes, "bert_encoder", inputs, outputs, initializers, value_info=hints
    )


def _write_atomic(data: bytes, out_path: Path) -> None:
    """Write to a temp file in the same folder, fsync, then rename: readers see all or nothing."""
    out_path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=out_path.parent, prefix=f".{out_path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, out_path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    try:  # Persist the rename itself; not every platform lets us open a directory.
        dir_fd = os.open(out_path.parent, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(dir_fd)
    except OSError:
        pass
    finally:
        os.close(dir_fd)


def build_bert_onnx(model_dir: Path, out_path: Path, fused_attention: bool = True) -> Path:
    """Convert the BERT encoder in `model_dir` (config.json + model.safetensors) to ONNX.

    Every hyperparameter comes from config.json. Weights stay fp32 initializers inside the one
    file (models of 2 GiB or more are refused: protobuf cannot hold them in one message). The
    file at `out_path` is replaced atomically; returns `out_path`. `fused_attention=False`
    leaves out onnxruntime's own `Attention` op, for runtimes that lack it.
    """
    model_dir = Path(model_dir)
    out_path = Path(out_path)
    config = _read_config(model_dir)
    weights = _load_weights(model_dir)
    try:
        graph = _build_graph(config, weights, fused_attention)
    except KeyError as exc:
        raise ConfigError(f"{model_dir / 'model.safetensors'} lacks weight {exc}.") from None
    del weights

    model = helper.make_model(
        graph,
        opset_imports=[helper.make_opsetid("", OPSET)]
        + ([helper.make_opsetid(CONTRIB_DOMAIN, 1)] if fused_attention else []),
        ir_version=IR_VERSION,
        producer_name="rag.embedders.onnx_build",
        doc_string=f"BERT encoder converted from {config.get('_name_or_path') or model_dir.name}",
    )
    size = model.ByteSize()
    if size >= _PROTOBUF_LIMIT:
        raise ConfigError(
            f"{model_dir} makes a {size / 2**30:.1f} GiB ONNX model; single-file ONNX is "
            "limited to 2 GiB."
        )
    onnx.checker.check_model(model)
    _write_atomic(model.SerializeToString(), out_path)
    return out_path
