"""The app's pages driven headlessly with AppTest: upload limits and outcomes, answer details,
sources, the settings panel, the documents table, collections, status, rate limits, login and
secrets. (tests/e2e/ drives the same app in a real browser.)"""

from __future__ import annotations

import re
import threading
import time
from pathlib import Path

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from rag.engine.jobs import IngestJobs
from tests.apptest import PAGE, greenhouse, listed_text, open_page, upload
from tests.pdfgen import make_pdf
from ui.common import get_engine
from ui.conversation import to_markdown
from ui.sidebar import SIDEBAR_DOCUMENTS

QUESTION = "How much sunlight do tomatoes need?"
SECRET = "cf-secret-token-do-not-show-4711"


@pytest.fixture
def start(env, monkeypatch: pytest.MonkeyPatch):
    """Start the app with extra environment variables (a fresh service each time)."""
    apps = []

    def run(**variables: str) -> AppTest:
        for name, value in variables.items():
            monkeypatch.setenv(name, value)
        at = open_page()
        apps.append(at)
        return at

    yield run
    st.cache_resource.clear()


def ask(at: AppTest, question: str = QUESTION):
    at.chat_input[0].set_value(question).run()
    assert not at.exception, at.exception
    return at.chat_message[-1]


def shown(markdown: str) -> str:
    """What a reader sees of Markdown that escapes document text (ui.safe_text)."""
    return re.sub(r"\\([!-/:-@\[-`{-~])", r"\1", markdown)


def texts(block) -> str:
    return shown(listed_text(block))


def outcomes(at: AppTest) -> list[str]:
    return [shown(e.value) for kind in ("success", "info", "error")
            for e in getattr(at.sidebar, kind)]


def test_uploads_report_each_file_and_enforce_the_size_limit(start) -> None:
    at = start(RAG_UPLOAD_MAX_MB="1")
    big = ("big.txt", b"word " * 300_000, "text/plain")  # 1.4 MB
    upload(at, [greenhouse(), big, ("notes.md", b"# Notes\n\nThe key is under the pot.",
                                    "text/markdown")])
    got = outcomes(at)
    assert any(o.startswith("greenhouse.pdf: ingested (") for o in got), got
    assert any(o.startswith("notes.md: ingested (") for o in got), got
    assert "big.txt: failed (1.4 MB is over the 1 MB upload limit " \
           "(RAG_UPLOAD_MAX_MB))" in got, got  # the reason, without the name again
    (bar,) = at.sidebar.get("progress")
    assert "2 ingested, 1 failed" in bar.proto.text
    # the browser sends a file over the limit, for the outcome to name it; it refuses only
    # those over Streamlit's own bound, which no loader reads
    assert at.sidebar.file_uploader[0].proto.max_upload_size_mb == 200
    listed = texts(at.sidebar)
    assert "Greenhouse guide" in listed and "2 pages" in listed and "notes.md" in listed

    upload(at, [greenhouse()])
    assert any(o.startswith("greenhouse.pdf: unchanged (") for o in outcomes(at))


def test_a_blank_question_is_not_added_to_the_conversation(start) -> None:
    at = start()
    upload(at, [greenhouse()])
    # spaces, and characters that show nothing (zero-width, a direction mark, a BOM)
    for blank in ("   \n ", "\u200b\u200b", "\u202e", "\ufeff\u2060"):
        at.chat_input[0].set_value(blank).run()
        assert not at.exception, at.exception
        assert not at.chat_message  # neither an empty question's bubble nor an error's
        assert any("The question is empty" in w.value for w in at.warning)
    at.switch_page("views/status.py").run()
    tiles = {m.label: m.value for m in at.metric}
    assert tiles["Requests"] == "0" and tiles["Errors"] == "0"


def test_an_answer_says_who_answered_how_fast_and_from_cache(start) -> None:
    at = start()
    assert any("The library is empty" in c.value for c in at.main.caption)
    nothing = ask(at)  # the app's own words, formatted: not a quote shown as text
    assert "(`rag ingest PATH`, or upload them in the app)" in nothing.markdown[0].value
    next(b for b in at.button if b.label == "Clear chat").click().run()
    upload(at, [greenhouse()])
    first_steps = [c for c in at.main.caption if "Sources" in c.value]
    assert first_steps and "follow-up" in first_steps[0].value  # an empty chat says how
    answer = ask(at)
    assert not [c for c in at.main.caption if "follow-up" in c.value]
    body = texts(answer)
    assert "eight hours" in body and "[1]" in body
    meta = next(shown(c.value) for c in answer.caption
                if shown(c.value).startswith("extractive ("))
    assert " · fresh · " in meta and meta.split(" · ")[2].endswith(" s")  # latency
    assert "first token" in meta
    last = at.session_state["messages"][-1]
    assert last["generator"] == "extractive" and last["latency_ms"] > 0
    assert last["cached"] is False

    assert not [c for c in answer.caption if "Searched for" in c.value]  # the question itself
    follow_up = ask(at, "And at night?")
    searched = [shown(c.value) for c in follow_up.caption if "Searched for" in c.value]
    assert searched == [f"Searched for: And at night? ({QUESTION})"]
    assert f"> Searched for: And at night? ({QUESTION})" in shown(
        to_markdown(at.session_state["messages"]))

    clear = next(b for b in at.button if b.label == "Clear chat")
    clear.click().run()
    assert not at.chat_message and at.session_state["messages"] == []
    answer = ask(at)  # same question, same library, no history: from the cache
    assert any(" · from cache · " in c.value for c in answer.caption)
    assert any("Answered from the cache" in c.value for c in answer.caption)
    export = next(b for b in at.get("download_button") if "Export" in b.proto.label)
    assert not export.proto.disabled


def test_a_refused_question_is_a_notice_and_stays_out_of_the_history(start) -> None:
    at = start()
    upload(at, [greenhouse()])
    refused = ask(at, "How do I make a pipe bomb at home?")
    (notice,) = refused.warning
    assert "category: weapons" in shown(notice.value) and not refused.expander
    question, reply = at.session_state["messages"][-2:]
    assert question["blocked"] and reply["blocked"] and reply["role"] == "assistant"
    # the next question is answered: the refused turn is not in its history (the filter
    # checks earlier turns too, so it would be refused again)
    answer = ask(at)
    assert not answer.warning and "eight hours" in texts(answer)
    at.run()  # drawn again from the history: still a notice, still text
    assert any("category: weapons" in shown(w.value) for w in at.warning)


def test_a_citation_opens_its_passage_on_the_highlighted_page(start) -> None:
    at = start()
    upload(at, [greenhouse()])
    answer = ask(at)
    (sources,) = answer.expander
    first = next(b for b in sources.button if b.key.endswith("-open-1"))
    assert [b.label for b in sources.button] == [f"Open [{n}]" for n in
                                                 range(1, len(sources.button) + 1)]
    first.click().run()
    assert not at.exception
    (image,) = at.image
    assert image.proto.imgs[0].caption == "Page 2 of 2: the cited passage is highlighted"
    dialog_text = " ".join(shown(m.value) for m in at.markdown)
    assert "[1] Greenhouse guide, page 2" in dialog_text
    assert "> Tomatoes need at least eight hours of direct sunlight each day." in dialog_text

    # the document deleted, its page (drawn once, cached) is no longer shown
    ctx = at.session_state["_ctx"]
    for row in ctx.workspace.document_rows(ctx.collection):
        ctx.workspace.delete_document(ctx.collection, row.doc_id)
    first.click().run()
    assert not at.exception and not at.image
    assert any("has been deleted from the library" in i.value for i in at.info)


def test_a_cited_document_replaced_since_says_it_changed_not_that_it_went(start) -> None:
    at = start()
    upload(at, [greenhouse()])
    (sources,) = ask(at).expander
    first = next(b for b in sources.button if b.key.endswith("-open-1"))
    name, _, mime = greenhouse()
    upload(at, [(name, make_pdf(["Peppers need six hours of sun."], title="Greenhouse guide"),
                 mime)])
    first.click().run()
    assert not at.exception and not at.image
    notes = [i.value for i in at.info]
    assert any("has changed since this answer" in note for note in notes), notes
    assert not any("deleted" in note for note in notes)


def test_the_settings_panel_starts_from_the_settings_and_applies(start) -> None:
    at = start(RAG_TOP_K="2", RAG_SEARCH_MODE="sparse")
    panel = next(e for e in at.sidebar.expander if e.label == "Answer settings")
    assert panel.selectbox(key="opt_generator").value == "extractive"
    assert panel.radio(key="opt_search_mode").value == "sparse"
    assert panel.slider(key="opt_top_k").value == 2
    assert any("RAG_GENERATOR=workers-ai" in c.value for c in panel.caption)  # how to get an LLM
    upload(at, [greenhouse()])
    assert len(ask(at).expander[0].markdown) <= 2 * 2  # two passages: a title line and text each
    assert len(at.session_state["messages"][-1]["citations"]) == 2

    at.slider(key="opt_top_k").set_value(1).run()
    at.radio(key="opt_search_mode").set_value("hybrid").run()
    ask(at, "Which plants need eight hours of sunlight?")
    assert len(at.session_state["messages"][-1]["citations"]) == 1
    assert "hybrid search · top 1" in " ".join(c.value for c in at.caption)


def test_workers_ai_appears_with_credentials_and_no_secret_is_shown(start) -> None:
    at = start(CLOUDFLARE_ACCOUNT_ID="acct", CLOUDFLARE_API_TOKEN=SECRET,
               RAG_GENERATOR="extractive", RAG_QDRANT_API_KEY="qdrant-" + SECRET)
    generator = at.sidebar.selectbox(key="opt_generator")
    assert generator.options == ["Extractive (quotes, no LLM)", "Workers AI"]
    generator.set_value("workers-ai").run()
    assert at.sidebar.selectbox(key="opt_model_workers-ai").value == \
        "@cf/meta/llama-3.1-8b-instruct"
    for page in (None, "views/documents.py", "views/status.py"):
        if page:
            at.switch_page(page).run()
        assert not at.exception
        assert SECRET not in str(at._tree)


def test_a_model_chosen_stays_chosen_across_a_switch_of_generator(start) -> None:
    """Its box not drawn while another generator was chosen, Streamlit forgot its value: back
    on Workers AI, the model was the default again."""
    at = start(CLOUDFLARE_ACCOUNT_ID="acct", CLOUDFLARE_API_TOKEN=SECRET,
               RAG_GENERATOR="extractive")
    at.sidebar.selectbox(key="opt_generator").set_value("workers-ai").run()
    model = at.sidebar.selectbox(key="opt_model_workers-ai")
    chosen = next(option for option in model.options if option != model.value)
    model.set_value(chosen).run()
    at.sidebar.selectbox(key="opt_generator").set_value("extractive").run()
    at.sidebar.selectbox(key="opt_generator").set_value("workers-ai").run()
    assert at.sidebar.selectbox(key="opt_model_workers-ai").value == chosen
    assert f"workers-ai ({chosen})" in " ".join(c.value for c in at.caption)


def test_fallback_models_chosen_stay_chosen_across_a_switch_of_generator(start) -> None:
    at = start(CLOUDFLARE_ACCOUNT_ID="acct", CLOUDFLARE_API_TOKEN=SECRET,
               RAG_GENERATOR="extractive")
    at.sidebar.selectbox(key="opt_generator").set_value("workers-ai").run()
    fallbacks = at.sidebar.multiselect(key="opt_fallbacks")
    chosen = [fallbacks.options[-1]]
    assert fallbacks.value != chosen
    fallbacks.set_value(chosen).run()
    at.sidebar.selectbox(key="opt_generator").set_value("extractive").run()
    at.sidebar.selectbox(key="opt_generator").set_value("workers-ai").run()
    assert at.sidebar.multiselect(key="opt_fallbacks").value == chosen


def test_answer_settings_no_model_can_take_leave_the_chosen_collection_in_place(start) -> None:
    """A "Max answer tokens" the model's window cannot hold is the answer settings' fault:
    the defaults answer, and questions and uploads still go to the collection chosen."""
    at = start(CLOUDFLARE_ACCOUNT_ID="acct", CLOUDFLARE_API_TOKEN=SECRET)
    at.session_state["_ctx"].workspace.create_collection("birds")
    at.run()
    at.selectbox(key="collection").set_value("birds").run()
    at.sidebar.selectbox(key="opt_generator").set_value("workers-ai").run()
    at.sidebar.number_input(key="opt_max_tokens").set_value(8000).run()
    assert not at.exception, at.exception
    assert any("answer settings below cannot be used" in e.value for e in at.sidebar.error)
    ctx = at.session_state["_ctx"]
    assert ctx.collection == "birds" and ctx.view.store.collection == "birds"
    assert ctx.options.max_tokens < 8000
    upload(at, [("heron.md", b"# Herons\n\nThe heron colony holds forty nests.",
                 "text/markdown")])
    assert [d.name for d in ctx.workspace.document_rows("birds")] == ["heron.md"]
    assert not ctx.workspace.document_rows("docs")


def test_a_big_library_shows_its_latest_documents_in_the_sidebar_and_all_on_its_page(
        start, tmp_path: Path) -> None:
    """The sidebar's rows are drawn on every question: a library of thousands shows the ones
    added last there, and every one on the Documents page, where two files of one name show
    the folders that tell them apart."""
    at = start()
    service = at.session_state["_ctx"].workspace.service
    for team in ("alpha", "beta"):
        (tmp_path / team).mkdir()
        (tmp_path / team / "readme.txt").write_text(f"Team {team}'s door code is 12{team}.")
    service.ingest([tmp_path / "alpha", tmp_path / "beta"])
    time.sleep(1.1)  # a document's time is kept to the second
    for n in range(SIDEBAR_DOCUMENTS + 3):
        service.ingest_bytes(f"note{n:02}.md", f"# Note {n}\n\nShelf {n} holds jars.".encode(),
                             f"upload:note{n:02}.md")
    at.run()
    assert not at.exception, at.exception
    listed = [c.value for c in at.sidebar.caption
              if c.value.endswith("chunk") and not c.value.startswith("Delete")]
    assert len(listed) == SIDEBAR_DOCUMENTS
    assert not any("readme" in c for c in listed)  # the two added first
    assert any(f"The {SIDEBAR_DOCUMENTS} added last of {SIDEBAR_DOCUMENTS + 5} documents"
               in c.value for c in at.sidebar.caption)
    at.switch_page("views/documents.py").run()
    names = list(at.dataframe[0].value["Name"])
    assert len(names) == SIDEBAR_DOCUMENTS + 5
    assert {"alpha/readme.txt", "beta/readme.txt"} <= set(names)


def test_documents_page_lists_pages_chunks_and_time_and_deletes(start) -> None:
    at = start()
    upload(at, [greenhouse(), ("notes.md", b"# Notes\n\nThe key is under the blue pot.",
                               "text/markdown")])
    at.switch_page("views/documents.py").run()
    assert not at.exception
    frame = at.dataframe[0].value
    assert list(frame.columns) == ["Name", "Title", "Pages", "Chunks", "Ingested at", "Type"]
    pdf = frame[frame["Name"] == "greenhouse.pdf"].iloc[0]
    assert pdf["Pages"] == 2 and pdf["Chunks"] >= 2 and pdf["Ingested at"].endswith(" UTC")
    md = frame[frame["Name"] == "notes.md"].iloc[0]
    assert md["Title"] == "Notes" and md["Chunks"] == 1
    assert at.dataframe[0].proto.placeholder == "–"  # a pageless file's cell, not "None"

    ctx = at.session_state["_ctx"]
    doc_id = next(d.doc_id for d in ctx.workspace.document_rows(ctx.collection)
                  if d.name == "greenhouse.pdf")
    kept = Path(ctx.workspace.settings.data_dir) / "uploads" / f"{doc_id}.pdf"
    assert kept.exists()  # the original is kept to draw its pages
    next(b for b in at.sidebar.button if b.key == f"delete-{doc_id}").click().run()
    assert list(at.dataframe[0].value["Name"]) == ["notes.md"]
    assert not kept.exists()
    assert any(c.value.startswith("1 document, 1 chunk.") for c in at.main.caption)


def test_a_visitor_who_is_no_editor_reads_and_asks_but_changes_nothing(start) -> None:
    at = start(RAG_EDITORS="alice")  # the page has no sign-in: an anonymous visitor
    ctx = at.session_state["_ctx"]
    ctx.workspace.service.ingest_bytes("notes.md", b"# Notes\n\nThe shed key is under the "
                                       b"blue flowerpot.", "upload:notes.md")
    at.run()
    assert not at.exception, at.exception
    assert not at.sidebar.file_uploader
    assert not [b for b in at.sidebar.button if b.key and b.key.startswith("delete-")]
    assert "editors (RAG_EDITORS)" in texts(at.sidebar) and "Notes" in texts(at.sidebar)
    assert "blue flowerpot" in texts(ask(at, "Where is the shed key?"))
    at.switch_page("views/documents.py").run()
    assert not at.exception, at.exception
    assert list(at.dataframe[0].value["Name"]) == ["notes.md"]
    assert not at.button and not at.text_input  # neither deletes nor collection forms
    assert "editors (RAG_EDITORS)" in texts(at.main)


def test_collections_are_created_switched_and_deleted(start) -> None:
    at = start()
    upload(at, [greenhouse()])
    at.switch_page("views/documents.py").run()
    at.text_input[0].set_value("manuals")
    next(b for b in at.button if b.label == "Create and switch to it").click().run()
    assert not at.exception
    assert at.sidebar.selectbox(key="collection").value == "manuals"
    assert at.sidebar.selectbox(key="collection").options == ["docs", "manuals"]
    assert any("No documents yet" in i.value for i in at.sidebar.info)  # a separate library
    upload(at, [("kettle.md", b"# Kettle\n\nDescale the kettle monthly.", "text/markdown")])
    assert "Kettle" in texts(at.sidebar) and "Greenhouse" not in texts(at.sidebar)

    at.text_input[0].set_value("bad name!")
    next(b for b in at.button if b.label == "Create and switch to it").click().run()
    assert any("not a valid collection name" in e.value for e in at.error)

    at.selectbox(key="collection").set_value("docs").run()
    assert "Greenhouse" in texts(at.sidebar) and "Kettle" not in texts(at.sidebar)
    at.selectbox(key="collection").set_value("manuals").run()
    drop = next(s for s in at.selectbox if s.label == "Delete a collection")
    drop.set_value("manuals")
    next(c for c in at.checkbox if c.label.startswith("Yes, delete")).check()
    next(b for b in at.button if b.label == "Delete collection").click().run()
    assert not at.exception
    assert at.sidebar.selectbox(key="collection").options == ["docs"]
    assert at.sidebar.selectbox(key="collection").value == "docs"
    assert not at.warning  # deleted here: the page moved on as asked

    at.session_state["_ctx"].workspace.create_collection("notes")
    at.run()
    at.selectbox(key="collection").set_value("notes").run()
    at.session_state["_ctx"].workspace.delete_collection("notes")  # through another door
    at.run()
    assert at.sidebar.selectbox(key="collection").value == "docs"
    rerouted = "The collection notes was deleted; questions now go to docs."
    assert [w.value for w in at.warning] == [rerouted]
    at.switch_page("views/chat.py").run()
    answer = ask(at)  # the notice stays with the answer it concerns, after the stream too
    assert [w.value for w in answer.warning] == [rerouted]
    at.run()
    assert [w.value for m in at.chat_message for w in m.warning] == [rerouted]
    assert at.session_state["_ctx"].collection == "docs"


def test_each_collection_deletion_is_confirmed_on_its_own(start) -> None:
    at = start()
    workspace = at.session_state["_ctx"].workspace
    for name in ("qa_a", "qa_b"):
        workspace.create_collection(name)
    at.switch_page("views/documents.py").run()
    tick = "Yes, delete it and all its documents"
    next(s for s in at.selectbox if s.label == "Delete a collection").set_value("qa_a")
    next(c for c in at.checkbox if c.label == tick).check()
    next(b for b in at.button if b.label == "Delete collection").click().run()
    assert workspace.collections() == ["docs", "qa_b"]
    assert not next(c for c in at.checkbox if c.label == tick).value  # it asks again
    next(s for s in at.selectbox if s.label == "Delete a collection").set_value("qa_b")
    next(b for b in at.button if b.label == "Delete collection").click().run()
    assert not at.exception, at.exception
    assert workspace.collections() == ["docs", "qa_b"]
    assert [w.value for w in at.warning] == ["Choose a collection and tick the box first."]


def progress_texts(at: AppTest) -> list[str]:
    return [shown(bar.proto.text) for bar in at.sidebar.get("progress")]


def submit_upload(at: AppTest, files: list[tuple[str, bytes, str]]) -> None:
    """Add files with the sidebar's form, without waiting for their ingest."""
    at.sidebar.file_uploader[0].set_value(files)
    at.sidebar.button[0].click()  # the form's submit button
    at.run()
    assert not at.exception, at.exception


@pytest.fixture
def reading(monkeypatch: pytest.MonkeyPatch) -> threading.Event:
    """Set to let the uploads go on: a text file is read in one piece, held here mid-read."""
    release = threading.Event()
    read_in_one_piece = IngestJobs._ingest_replacing

    def held(self, job, *args):
        release.wait(60)
        return read_in_one_piece(self, job, *args)

    monkeypatch.setattr(IngestJobs, "_ingest_replacing", held)
    return release


def test_an_upload_under_way_can_be_cancelled(start, reading: threading.Event) -> None:
    at = start()
    try:
        submit_upload(at, [("big.txt", b"Greenhouses need light. " * 2000, "text/plain")])
        (job_id,) = at.session_state["ingest_jobs"]
        assert progress_texts(at) == ["0 of 1 file · reading big.txt"]
        cancel = next(b for b in at.sidebar.button if b.key == f"cancel-{job_id}")
        cancel.click().run()
        # said at once, while the file is still being read
        assert progress_texts(at) == [
            "0 of 1 file · cancelling: stops at the latest once big.txt has been read"]
        assert not [b for b in at.sidebar.button if b.key == f"cancel-{job_id}"]
        # an upload after it says that what it waits for is being cancelled
        submit_upload(at, [("notes.md", b"# Notes\n\nThe key is under the pot.",
                            "text/markdown")])
        assert progress_texts(at) == [
            "0 of 1 file · cancelling: stops at the latest once big.txt has been read",
            "0 of 1 file · waiting for 1 ingest ahead (being cancelled)"]
    finally:
        reading.set()
    cancelled = get_engine().jobs.wait(job_id, timeout=120)
    assert cancelled.status == "cancelled" and "was stopped" in cancelled.error
    for later in at.session_state["ingest_jobs"]:
        get_engine().jobs.wait(later, timeout=120)
    at.run()
    assert any(o.startswith("notes.md: ingested") for o in outcomes(at))
    assert "big.txt" not in texts(at.sidebar)


def test_an_upload_under_way_stays_shown_beside_the_next(
        start, reading: threading.Event) -> None:
    """Its progress and its Cancel: the only way to stop it from the page."""
    at = start()
    try:
        submit_upload(at, [("big.txt", b"Greenhouses need light. " * 2000, "text/plain")])
        (first,) = at.session_state["ingest_jobs"]
        submit_upload(at, [("notes.md", b"# Notes\n\nThe key is under the pot.",
                            "text/markdown")])
        assert at.session_state["ingest_jobs"][0] == first
        assert progress_texts(at) == ["0 of 1 file · reading big.txt",
                                      "0 of 1 file · waiting for 1 ingest ahead"]
        assert [b for b in at.sidebar.button if b.key == f"cancel-{first}"]
    finally:
        reading.set()
    for job_id in at.session_state["ingest_jobs"]:
        get_engine().jobs.wait(job_id, timeout=120)
    at.run()
    assert {o.split(":")[0] for o in outcomes(at)} >= {"big.txt", "notes.md"}


def test_the_reroute_notice_is_not_given_to_an_answer_asked_of_another_collection(
        start) -> None:
    at = start()
    upload(at, [greenhouse()])
    workspace = at.session_state["_ctx"].workspace
    workspace.create_collection("notes")
    workspace.create_collection("other")
    at.run()
    at.selectbox(key="collection").set_value("notes").run()
    workspace.delete_collection("notes")  # through another door
    at.run()
    assert [w.value for w in at.warning] == [
        "The collection notes was deleted; questions now go to docs."]
    at.selectbox(key="collection").set_value("other").run()  # chosen before any question
    at.switch_page("views/chat.py").run()
    answer = ask(at)
    assert not answer.warning
    assert at.session_state["_ctx"].collection == "other"


def test_an_uploads_outcome_shown_under_another_collection_names_its_own(start) -> None:
    at = start()
    upload(at, [greenhouse()])
    (bar,) = at.sidebar.get("progress")
    assert bar.proto.text == "1 ingested"
    at.session_state["_ctx"].workspace.create_collection("notes")
    at.run()
    at.selectbox(key="collection").set_value("notes").run()
    (bar,) = at.sidebar.get("progress")
    assert bar.proto.text == "1 ingested, in the collection docs"


def test_files_added_to_a_collection_deleted_meanwhile_go_nowhere_else(start) -> None:
    """Another tab deleted the collection the form was shown for: the files were meant for
    it, not for the collection the page falls back to."""
    at = start()
    workspace = at.session_state["_ctx"].workspace
    workspace.create_collection("notes")
    at.run()
    at.selectbox(key="collection").set_value("notes").run()
    workspace.delete_collection("notes")  # through another door
    at.sidebar.file_uploader[0].set_value([("tides.md", b"# Tides\n\nTwo a day.",
                                            "text/markdown")])
    at.sidebar.button[0].click().run()
    assert not at.exception
    assert [e.value for e in at.sidebar.error] == [
        "The collection notes was deleted before these files were added: none was stored. "
        "Add them again to docs, or choose another collection."]
    assert workspace.view("docs").documents() == []
    # shown for docs now, the form adds to docs
    upload(at, [("tides.md", b"# Tides\n\nTwo a day.", "text/markdown")])
    assert [d.source for d in workspace.view("docs").documents()] == ["upload:tides.md"]


def test_a_follow_up_leans_only_on_questions_asked_of_its_collection(start) -> None:
    at = start()
    upload(at, [greenhouse()])
    ask(at)  # in docs
    at.switch_page("views/documents.py").run()
    at.text_input[0].set_value("manuals")
    next(b for b in at.button if b.label == "Create and switch to it").click().run()
    upload(at, [("kettle.md", b"# Kettle\n\nDescale the kettle monthly.", "text/markdown")])
    at.switch_page("views/chat.py").run()
    answer = ask(at, "and how often?")
    assert "Searched for" not in texts(answer)  # nothing carried over from docs
    earlier = at.chat_message[1]
    assert "Asked in the collection docs" in texts(earlier)


def test_the_status_page_counts_requests_and_the_rate_limit_holds(start) -> None:
    at = start(RAG_APP_RATE_LIMIT_PER_MINUTE="2")
    upload(at, [greenhouse()])
    ask(at)
    ask(at, "Do plants need water?")
    refused = ask(at, "Anything else?")  # the third in a minute: refused
    # the question is not lost: it stays in the conversation, the notice under it, and is
    # back in the chat input to be sent again
    assert texts(at.chat_message[-2]) == "Anything else?"
    (notice,) = refused.warning
    assert "You have asked 2 questions in the last minute" in notice.value
    assert at.chat_input[0].proto.value == "Anything else?" and at.chat_input[0].proto.set_value
    question, reply = at.session_state["messages"][-2:]
    assert question["rate_limited"] and reply["rate_limited"] and len(at.session_state[
        "messages"]) == 6
    at.run()  # drawn again from the conversation: still there, still a notice
    assert texts(at.chat_message[-2]) == "Anything else?" and at.chat_message[-1].warning
    exported = shown(to_markdown(at.session_state["messages"]))
    assert "> You have asked 2 questions in the last minute" in exported
    assert exported.count("**Answer**") == 2  # the two answers; the refusal is no answer

    at.switch_page("views/status.py").run()
    assert not at.exception
    tiles = {m.label: m.value for m in at.metric}
    assert tiles["Requests"] == "2" and tiles["Errors"] == "0"
    assert tiles["Your requests"] == "2"
    assert tiles["Average latency"].endswith(" s") and tiles["p95 latency"].endswith(" s")
    assert tiles["Cache hit rate"] == "0%"
    assert tiles["Neurons today"] == "–"  # no Workers AI here
    def walk(node):
        yield node
        for child in getattr(node, "children", {}).values():
            yield from walk(child)

    charts = [n for n in walk(at._tree) if getattr(n, "type", "") == "vega_lite_chart"]
    assert charts, "the requests-per-hour chart is missing"


def test_a_question_that_cannot_be_asked_costs_no_slot_nor_leads_a_follow_up(start) -> None:
    """As the API's: refused for its length, saying so, it is not counted against the limit
    (two questions a minute: the two refused and the two answered would be four)."""
    at = start(RAG_APP_RATE_LIMIT_PER_MINUTE="2")
    upload(at, [greenhouse()])
    too_long = ask(at, "Why? " * 4_001)
    assert "The question is too long: 20,005 characters, at most 20,000." in too_long.error[0].value
    answered = ask(at)
    assert not answered.warning and "[1]" in texts(answered)
    # nor is it a turn a follow-up leans on: it was never answered
    refused = ask(at, "Greenhouse? " * 2_000)
    assert refused.error
    follow_up = ask(at, "And at night?")
    searched = [shown(c.value) for c in follow_up.caption if "Searched for" in c.value]
    assert searched == [f"Searched for: And at night? ({QUESTION})"]

def test_with_oidc_configured_a_login_is_required(start) -> None:
    st.cache_resource.clear()
    at = AppTest.from_file(PAGE, default_timeout=60)
    at.secrets["auth"] = {"redirect_uri": "http://localhost:8501/oauth2callback",
                          "cookie_secret": SECRET, "client_id": "app",
                          "client_secret": SECRET,
                          "server_metadata_url": "https://id.example/.well-known/openid"}
    at.run()
    assert not at.exception
    assert [b.label for b in at.button] == ["Log in"]
    assert not at.chat_input and not at.sidebar.file_uploader  # nothing before signing in
    assert SECRET not in str(at._tree)


def test_the_uploader_names_every_format_the_readers_take(start) -> None:
    """The formats the README lists, Markdown among them, are named where files are added."""
    at = start()
    (uploader,) = at.sidebar.get("file_uploader")
    for name in ("PDF", "scans", "images", "Word", "PowerPoint", "Excel", "CSV", "EPUB",
                 "text", "Markdown", "HTML"):
        assert name in uploader.label, (name, uploader.label)


def extractive_note(at: AppTest) -> str:
    panel = next(e for e in at.sidebar.expander if e.label == "Answer settings")
    (note,) = [c.value for c in panel.caption if c.value.startswith("Extractive mode")]
    return note


@pytest.mark.parametrize(("variables", "offered", "to_configure"), [
    ({}, [], ["RAG_GENERATOR=workers-ai", "RAG_GENERATOR=openai"]),
    ({"OPENAI_BASE_URL": "http://127.0.0.1:9/v1"}, ["OpenAI-compatible server"],
     ["RAG_GENERATOR=workers-ai"]),
    ({"CLOUDFLARE_ACCOUNT_ID": "acct", "CLOUDFLARE_API_TOKEN": SECRET,
      "RAG_GENERATOR": "extractive"}, ["Workers AI"], ["RAG_GENERATOR=openai"]),
    ({"CLOUDFLARE_ACCOUNT_ID": "acct", "CLOUDFLARE_API_TOKEN": SECRET,
      "RAG_GENERATOR": "extractive", "OPENAI_BASE_URL": "http://127.0.0.1:9/v1"},
     ["Workers AI", "OpenAI-compatible server"], []),
], ids=["nothing-configured", "openai-server", "workers-ai", "both"])
def test_the_extractive_note_sends_to_the_generators_offered_and_restarts_for_the_rest(
        start, variables: dict[str, str], offered: list[str], to_configure: list[str]) -> None:
    """A generator the Generator box already offers is picked there: no setting or restart is
    asked for it; only a generator not configured asks for its settings and a restart."""
    at = start(**variables)
    labels = at.sidebar.selectbox(key="opt_generator").options
    note = extractive_note(at)
    for label in offered:
        assert label in labels and f"**{label}**" in note, (label, note)
    for setting in ("RAG_GENERATOR=workers-ai", "RAG_GENERATOR=openai"):
        assert (setting in note) == (setting in to_configure), (setting, note)
    assert ("restart the app" in note) == bool(to_configure), note
