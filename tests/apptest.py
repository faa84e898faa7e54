"""Driving the app's page with Streamlit's AppTest: what a user does in the sidebar."""

from __future__ import annotations

from pathlib import Path

import streamlit as st
from streamlit.testing.v1 import AppTest

from tests.pdfgen import filler, make_pdf
from ui.common import get_engine

PAGE = str(Path(__file__).resolve().parents[1] / "ui" / "page.py")


def open_page(timeout: float = 120) -> AppTest:
    """The page, run once, on an engine built from this test's environment: the engine the
    page caches is dropped first. Drop it again after the test."""
    st.cache_resource.clear()
    at = AppTest.from_file(PAGE, default_timeout=timeout)
    at.run()
    assert not at.exception, at.exception
    return at


def upload(at: AppTest, files: list[tuple[str, bytes, str]]) -> None:
    """Add files with the sidebar's form and wait, as the sidebar's progress does, until the
    engine's ingest queue has read them; then the page shows their outcomes."""
    at.sidebar.file_uploader[0].set_value(files)
    at.sidebar.button[0].click()  # the form's submit button
    at.run()
    assert not at.exception, at.exception
    engine = get_engine()  # the page's own engine (no app server around AppTest)
    for job_id in at.session_state["ingest_jobs"]:
        engine.jobs.wait(job_id, timeout=300)
    at.run()
    assert not at.exception, at.exception


def greenhouse() -> tuple[str, bytes, str]:
    """A two-page PDF to upload, as the sidebar's uploader gives a file: name, bytes, type."""
    pdf = make_pdf([filler("Plants need light and water."),
                    "Tomatoes need at least eight hours of direct sunlight each day."],
                   title="Greenhouse guide")
    return ("greenhouse.pdf", pdf, "application/pdf")


def listed_text(block) -> str:
    """A block's Markdown, captions and the labels of its popovers (the sidebar's documents
    are each a popover asking whether to delete it, labelled with the document's title)."""
    return " ".join([*popover_labels(block), *(element.value for kind in ("markdown", "caption")
                                               for element in getattr(block, kind))])


def popover_labels(node) -> list[str]:
    found = []
    if getattr(node, "type", None) == "popover":
        found.append(node.proto.popover.label)
    for child in getattr(node, "children", {}).values():
        found += popover_labels(child)
    return found
