"""The Streamlit app driven headlessly with AppTest: upload, list, ask, delete."""


import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from tests.apptest import listed_text, open_page, upload
from tests.pdfgen import filler, make_pdf


@pytest.fixture
def app(env) -> AppTest:
    yield open_page()
    st.cache_resource.clear()


def test_upload_then_ask_shows_cited_sources(app: AppTest) -> None:
    pdf = make_pdf([filler("Plants need light and water."),
                    "Tomatoes need at least eight hours of direct sunlight each day."],
                   title="Greenhouse guide")
    upload(app, [("greenhouse.pdf", pdf, "application/pdf"),
                 ("broken.pdf", b"%PDF-1.4 garbage", "application/pdf"),
                 ("notes.md", b"# Notes\n\nThe shed key is under the blue flowerpot.",
                  "text/markdown")])
    outcomes = [e.value for e in app.sidebar.success] + [e.value for e in app.sidebar.error]
    assert any("greenhouse.pdf: ingested" in o for o in outcomes)
    assert any("notes.md: ingested" in o for o in outcomes)
    assert any("broken.pdf: failed" in o for o in outcomes)
    listed = listed_text(app.sidebar)
    assert "Greenhouse guide" in listed and "notes.md" in listed

    app.chat_input[0].set_value("How much sunlight do tomatoes need?").run()
    assert not app.exception
    assistant = app.chat_message[1]
    body = " ".join(m.value for m in assistant.markdown)
    assert "eight hours" in body and "[1]" in body
    assert "Greenhouse guide, page 2" in body  # the source list names file and page
    assert any("Extractive answer" in c.value for c in assistant.caption)


def test_delete_from_the_list(app: AppTest) -> None:
    upload(app, [("a.txt", b"Alpha text about apples and orchards.", "text/plain")])
    delete = [b for b in app.sidebar.button if b.key and b.key.startswith("delete-")]
    assert len(delete) == 1
    delete[0].click().run()
    assert not app.exception
    assert any("No documents yet" in i.value for i in app.sidebar.info)
