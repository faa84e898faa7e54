"""The local model's two precisions: int8 (default, quantized once from fp32) and fp32."""

from __future__ import annotations

import contextvars
import os
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest

from rag.priority import BULK_NICENESS, run_below_questions
from rag.providers.embedders.local import LocalOnnxEmbedder
from rag.registry import make_embedder
from rag.settings import Settings

TEXTS = ["Sea otters use rocks to crack open shellfish.",
         "Mount Etna is an active volcano on the east coast of Sicily.",
         "The cafeteria opens at eight and closes at three on weekdays, except on holidays."]


def test_int8_is_the_default_and_named_apart_from_fp32(embedder: LocalOnnxEmbedder,
                                                      model_dir: Path) -> None:
    fp32 = make_embedder(Settings(model_dir=model_dir, local_precision="fp32", _env_file=None))
    assert embedder.name == "local:all-MiniLM-L6-v2-int8"
    assert fp32.name == "local:all-MiniLM-L6-v2"  # collections filled before int8 keep working
    assert (model_dir / "all-MiniLM-L6-v2.b2.int8.onnx").is_file()
    a, b = embedder.embed_documents(TEXTS), fp32.embed_documents(TEXTS)
    cosines = (a * b).sum(axis=1)
    assert cosines.min() > 0.985 and not np.allclose(a, b, atol=1e-4)
    # the same meaning wins under both: each text is closest to its own other-precision vector
    assert (np.argmax(a @ b.T, axis=1) == np.arange(len(TEXTS))).all()


def test_an_int8_vector_does_not_depend_on_its_batch(embedder: LocalOnnxEmbedder) -> None:
    together = embedder.embed_batch(TEXTS)
    alone = np.stack([embedder.embed_query(t) for t in TEXTS])  # a question is embedded alone
    np.testing.assert_allclose(together, alone, atol=1e-6)


def test_sessions_side_by_side_give_the_same_vectors(model_dir: Path) -> None:
    """Documents are spread over one single-threaded session per core; a text's vector must
    not depend on which session ran it, or how many there are."""
    texts = TEXTS * 4 + [f"Note {i} on rivers, otters and tides." for i in range(10)]
    one = LocalOnnxEmbedder(model_dir, sessions=1)
    two = LocalOnnxEmbedder(model_dir, sessions=2)
    assert (one.sessions, two.sessions) == (1, 2)
    np.testing.assert_allclose(two.embed_documents(texts), one.embed_documents(texts),
                               atol=1e-6)
    np.testing.assert_allclose(two.embed_query(TEXTS[0]), one.embed_query(TEXTS[0]), atol=1e-6)


def test_a_question_is_embedded_while_every_document_session_is_busy(model_dir: Path) -> None:
    embedder = LocalOnnxEmbedder(model_dir, sessions=2)
    embedder.keep_ready_for_questions()  # as the engine does
    expected = embedder.embed_query(TEXTS[0])
    taken = [embedder._idle.get(timeout=5) for _ in range(embedder.sessions)]  # an ingest's
    with ThreadPoolExecutor(1) as question:
        # would wait forever for a document session; the question has one of its own
        vector = question.submit(embedder.embed_query, TEXTS[0]).result(timeout=30)
    np.testing.assert_allclose(vector, expected, atol=1e-6)
    for runner in taken:
        embedder._idle.put(runner)


@pytest.mark.skipif(sys.platform != "linux", reason="thread priorities are set on Linux only")
def test_bulk_batches_run_below_questions(model_dir: Path) -> None:
    embedder = LocalOnnxEmbedder(model_dir, sessions=2)
    base = os.getpriority(os.PRIO_PROCESS, os.getpid())  # the main thread's

    def niceness(_: object) -> int:
        return os.getpriority(os.PRIO_PROCESS, 0)

    def as_an_ingest() -> list[int]:
        run_below_questions()
        return embedder._spread(niceness, [1, 2])

    assert embedder._spread(niceness, [1, 2]) == [base, base]  # a question's batches
    with ThreadPoolExecutor(1) as ingest:  # its thread is lowered for good: not this one
        lowered = ingest.submit(contextvars.copy_context().run, as_an_ingest).result()
    assert lowered == [min(base + BULK_NICENESS, 19)] * 2


@pytest.mark.parametrize("precision", ["int8", "fp32"])
def test_a_damaged_model_file_is_named_with_what_to_do(tmp_path: Path, precision: str) -> None:
    from rag.errors import ConfigError
    from rag.providers.embedders.local import BUILD, MODEL

    damaged = tmp_path / f"{MODEL}.{BUILD}.{precision}.onnx"
    damaged.write_bytes(b"half a model")
    with pytest.raises(ConfigError) as refused:
        LocalOnnxEmbedder(tmp_path, sessions=1, precision=precision)
    assert str(refused.value).startswith(f"The local model {damaged} cannot be loaded")
    assert "delete it" in str(refused.value)
