"""How an answer's sources are named and told apart: files of one name in different folders
show the folders that tell them apart, and the passages the answer cites stand apart from
those only retrieved, in the chat (AppTest), the exported Markdown and `rag ask`'s list; each
passage keeps its number [n]."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from rag.cli.output import cite, sources_block
from rag.service import RagService
from rag.types import cited_place
from tests.apptest import open_page
from ui.common import get_engine
from ui.conversation import distinct_names, shown_file_names, source_label, to_markdown


def hit(source: str, title: str | None = None, page: int | None = None) -> dict:
    return {"doc_id": source, "source": source, "title": title, "page": page,
            "text": f"A passage of {source}."}


def shown(markdown: str) -> str:
    """What a reader sees of Markdown that escapes document text (ui.safe_text)."""
    return re.sub(r"\\([!-/:-@\[-`{-~])", r"\1", markdown)


def test_files_of_one_name_show_the_folders_that_tell_them_apart() -> None:
    assert shown_file_names([hit("chg/c/manual.txt"), hit("chg/d/manual.txt"),
                             hit("chg/c/manual.txt"), hit("notes.md")]) == [
        "c/manual.txt", "d/manual.txt", "c/manual.txt", "notes.md"]
    # the folders as far up as they differ; the whole source when no folder does
    assert shown_file_names([hit("/srv/a/x/guide.pdf"), hit("/srv/b/x/guide.pdf"),
                             hit("upload:guide.pdf")]) == [
        "a/x/guide.pdf", "b/x/guide.pdf", "upload:guide.pdf"]
    assert shown_file_names([hit("a/z.txt"), hit("b/z\u202etxt.exe")]) == [
        "z.txt", "z\\u202etxt.exe"]  # different names need no folder; controls as escapes
    assert shown_file_names([hit("a\u202e/z.txt"), hit("b/z.txt")]) == [
        "a\\u202e/z.txt", "b/z.txt"]


def test_thousands_of_one_name_are_told_apart_in_one_pass() -> None:
    """A docs site's `index.md` in every folder: the sidebar names its documents on every
    page run (a comparison of each with every other took seconds at 2,000)."""
    sources = [f"/srv/site/section{i % 50}/page{i}/index.md" for i in range(2_000)]
    sources += ["/srv/site/index.md", "/srv/mirror/site/index.md"]
    names = distinct_names(sources)
    assert names[:2] == ["page0/index.md", "page1/index.md"]
    assert names[-2:] == ["srv/site/index.md", "mirror/site/index.md"]
    assert len(set(names)) == len(names)


def test_the_export_tells_namesakes_apart_and_marks_what_was_not_cited() -> None:
    answer = {"role": "assistant", "content": "Monthly [2].", "generator": "extractive",
              "citations": [hit("chg/c/manual.txt", "manual"),
                            hit("chg/d/manual.txt", "manual")], "cited": [2]}
    md = to_markdown([{"role": "user", "content": "How often?"}, answer])
    assert "1. manual (c/manual.txt) · retrieved, not cited\n" in md
    assert "2. manual (d/manual.txt)\n" in md
    # an answer kept before answers said what they cite: no mark, none guessed
    assert "· retrieved" not in to_markdown([{**answer, "cited": None}])


def test_rag_ask_lists_the_cited_passages_then_those_only_retrieved() -> None:
    hits = [hit("/d/a.pdf", "A", 1), hit("/d/b.txt"), hit("/d/c.txt", "C")]
    assert sources_block(hits, [3, 1]) == (
        "\nSources:\n  [1] A (/d/a.pdf, page 1)\n  [3] C (/d/c.txt)\n"
        "Also retrieved, not cited:\n  [2] b.txt (/d/b.txt)\n")
    assert sources_block(hits, []) == (
        "\nRetrieved, none cited in the answer:\n  [1] A (/d/a.pdf, page 1)\n"
        "  [2] b.txt (/d/b.txt)\n  [3] C (/d/c.txt)\n")
    every = "\nSources:\n  [1] A (/d/a.pdf, page 1)\n  [2] b.txt (/d/b.txt)\n  [3] C (/d/c.txt)\n"
    assert sources_block(hits, [1, 2, 3]) == every and sources_block(hits) == every


def titled_word_file(title: str) -> bytes:
    """A Word file whose Title paragraph heads its first section, then a Heading 1."""
    import docx

    document = docx.Document()
    document.add_paragraph(title, style="Title")
    document.add_paragraph("Wear a buoyancy aid and clothes that dry fast when paddling.")
    document.add_heading("Launching", level=1)
    document.add_paragraph("Launch the kayak from a gentle beach, bow first.")
    buf = io.BytesIO()
    document.save(buf)
    return buf.getvalue()


def test_a_section_named_as_its_document_is_named_once(service: RagService) -> None:
    service.ingest_bytes("kayak.docx", titled_word_file("Kayak guide"), "upload:kayak.docx")
    (under_title,) = [h.as_json() for h in service.search("What should I wear paddling?")
                      if "buoyancy" in h.text]
    # the citation keeps its fields as the API gives them; only the label says it once
    assert under_title["title"] == under_title["locator"] == "Kayak guide"
    assert source_label(under_title) == "Kayak guide"
    assert cite(1, under_title) == "[1] Kayak guide (upload:kayak.docx)"
    assert cited_place(None, under_title["locator"], under_title["title"]) == ""
    (launching,) = [h.as_json() for h in service.search("How do I launch the kayak?")
                    if "gentle beach" in h.text]
    assert source_label(launching) == "Kayak guide, Launching"
    # a page still says where, when the section adds nothing
    assert source_label({**under_title, "page": 2}) == "Kayak guide, page 2"


@pytest.fixture
def app(env) -> AppTest:
    yield open_page()
    st.cache_resource.clear()


def test_the_chat_tells_namesakes_apart_and_cited_passages_from_the_rest(
        app: AppTest, tmp_path: Path) -> None:
    library = tmp_path / "chg"
    for folder, often in (("c", "every month"), ("d", "every week")):
        (library / folder).mkdir(parents=True)
        (library / folder / "manual.txt").write_text(
            f"Descale the kettle in room {folder.upper()} {often}.")
    (library / "shed.txt").write_text("The shed key hangs on a hook by the door.")
    get_engine().workspace.view().ingest([library])
    app.chat_input[0].set_value("How often is the kettle descaled?").run()
    assert not app.exception, app.exception
    message = app.session_state["messages"][-1]
    citations, cited = message["citations"], message["cited"]
    assert cited and len(cited) < len(citations)  # some passage is only retrieved
    (sources,) = app.chat_message[-1].expander
    lines = [shown(m.value) for m in sources.markdown]
    numbers = [int(re.match(r"\*\*\[(\d+)\]", line)[1]) for line in lines]
    uncited = [n for n in range(1, len(citations) + 1) if n not in cited]
    assert numbers == sorted(cited) + uncited  # the cited first, each under its own number
    headings = [c.value for c in sources.caption if c.value.endswith("in the answer:")]
    assert headings == ["Cited in the answer:", "Retrieved, not cited in the answer:"]
    # each name in the isolates the app sets it apart with (right-to-left names)
    names = {n: line.rsplit(" — ", 1)[1].strip("\u2068\u2069")
             for n, line in zip(numbers, lines, strict=True)}
    for n, c in enumerate(citations, start=1):
        folder = Path(c["source"]).parent.name
        assert names[n] == ("shed.txt" if folder == "chg" else f"{folder}/manual.txt")
    assert {"c/manual.txt", "d/manual.txt"} <= set(names.values())
    exported = shown(to_markdown(app.session_state["messages"]))
    assert "(c/manual.txt)" in exported and "(d/manual.txt)" in exported
    assert "· retrieved, not cited" in exported


def test_the_chat_names_a_section_named_as_its_document_once(app: AppTest,
                                                              tmp_path: Path) -> None:
    (tmp_path / "kayak.docx").write_bytes(titled_word_file("Kayak guide"))
    get_engine().workspace.view().ingest([tmp_path / "kayak.docx"])
    app.chat_input[0].set_value("What should I wear when paddling a kayak?").run()
    assert not app.exception, app.exception
    citations = app.session_state["messages"][-1]["citations"]
    n = next(n for n, c in enumerate(citations, start=1) if "buoyancy" in c["text"])
    (sources,) = app.chat_message[-1].expander
    assert f"[{n}] Kayak guide — kayak.docx" in [
        shown(m.value).replace("*", "") for m in sources.markdown]
    next(b for b in sources.button if b.key.endswith(f"-open-{n}")).click().run()
    assert not app.exception, app.exception
    assert f"[{n}] Kayak guide" in [shown(m.value).strip("*") for m in app.markdown]
    assert [shown(c.value) for c in app.caption if "kayak.docx (" in c.value] == [
        f"kayak.docx ({tmp_path / 'kayak.docx'})"]
