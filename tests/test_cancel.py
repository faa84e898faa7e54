"""A cancelled ingest stops between the pages of the file it is reading (ingest.cancel)."""

from __future__ import annotations

import threading

import pytest

from ingest.cancel import cancellable, check_cancelled
from ingest.formats import ocr
from ingest.formats.base import LoadOptions
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
