"""A cancelled ingest stops between the pages of the file it is reading (rag.cancel)."""

from __future__ import annotations

import threading

import pytest

from ingest.formats import ocr
from ingest.formats.base import LoadOptions
from rag.cancel import cancellable, check_cancelled
from rag.errors import IngestCancelled


def test_ocr_stops_at_the_next_page_and_draws_no_more() -> None:
    drawn: list[int] = []
    release = threading.Event()

    def render(page: int):
        drawn.append(page)
        release.wait(10)
        raise OSError("not drawn")  # no Tesseract needed: the outcome is never read

    cancel = threading.Event()
    cancel.set()
    with cancellable(cancel), pytest.raises(IngestCancelled):
        for _ in ocr.read_pages(render, [1, 2, 3], LoadOptions(ocr_workers=1)):
            pass
    release.set()
    assert drawn in ([], [1])  # the page already taken by the thread, if any


def test_nothing_is_cancelled_outside_a_cancellable_ingest() -> None:
    cancel = threading.Event()
    cancel.set()
    with cancellable(cancel):
        pass
    check_cancelled()  # no ingest is current: nothing to stop
    with cancellable(None):
        check_cancelled()



def test_a_large_text_stops_once_chunked_not_once_encoded(embedder) -> None:
    """One large text is one page: a cancel while it is chunked stops it before its chunks'
    sparse vectors are made, not only once all of it is ready."""
    from ingest.chunking import Chunker
    from ingest.prepare import prepare_document
    from rag.types import Document, Page

    text = "\n".join(f"Line {n} of the ledger balances account {n * 7}." for n in range(5_000))
    document = Document(source="ledger.txt", doc_id="d" * 32, title="Ledger",
                        pages=[Page(None, text)], media_type="text/plain")
    chunker = Chunker(embedder.token_counter(), 200, 30, embedder.max_tokens - 2)
    cancel = threading.Event()

    def cancelled_while_chunking(doc: Document) -> list:
        chunks = chunker(doc)
        cancel.set()  # the user pressed Cancel meanwhile
        return chunks

    with cancellable(cancel), pytest.raises(IngestCancelled):
        prepare_document(document, cancelled_while_chunking)  # type: ignore[arg-type]


@pytest.mark.parametrize("sessions", [1, 2])
def test_an_ingest_stops_between_the_texts_it_embeds(model_dir, sessions: int) -> None:
    """An engine told to stop waits for no batch of chunks: each text is its own model
    call, and a call not yet made is not made."""
    from rag.providers.embedders.local import LocalOnnxEmbedder

    embedder = LocalOnnxEmbedder(model_dir, sessions=sessions)
    texts = [f"Passage {n} of the ledger." for n in range(64)]
    cancel = threading.Event()
    cancel.set()
    with cancellable(cancel), pytest.raises(IngestCancelled):
        embedder.embed_documents(texts)
    with cancellable(threading.Event()):  # not cancelled: embedded as ever
        assert embedder.embed_documents(texts).shape == (64, embedder.dimension)
    embedder.close()
