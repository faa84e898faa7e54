"""Streamlit chat over your documents. Thin on purpose: every action is a RagService call.

Run with `rag ui` (or `streamlit run ui/app.py`).
"""

from __future__ import annotations

import uuid
from pathlib import Path

import streamlit as st

from rag.errors import RagError
from rag.service import RagService, build_service
from rag.settings import load_settings

UPLOAD_TYPES = ["pdf", "txt", "md", "markdown", "html", "htm"]
OUTCOME_STYLE = {"ingested": "success", "unchanged": "info", "failed": "error"}


@st.cache_resource(show_spinner="Loading the embedding model and the document store…")
def get_service() -> RagService:
    return build_service(load_settings())


def source_label(citation: dict) -> str:
    name = citation.get("title") or Path(citation["source"]).name
    page = f", page {citation['page']}" if citation.get("page") else ""
    return f"{name}{page}"


def show_sources(citations: list[dict]) -> None:
    if not citations:
        return
    with st.expander(f"Sources ({len(citations)})"):
        for n, c in enumerate(citations, start=1):
            st.markdown(f"**[{n}] {source_label(c)}** — `{Path(c['source']).name}`")
            st.caption(c["text"][:600] + ("…" if len(c["text"]) > 600 else ""))


def sidebar(service: RagService) -> None:
    st.sidebar.header("Documents")
    with st.sidebar.form("upload", clear_on_submit=True):
        files = st.file_uploader("Add PDF, text, Markdown or HTML files", type=UPLOAD_TYPES,
                                 accept_multiple_files=True)
        submitted = st.form_submit_button("Add to library")
    if submitted and files:
        for f in files:
            with st.sidebar, st.spinner(f"Ingesting {f.name}…"):
                result = service.ingest_upload(f.name, f.getvalue())
            detail = result.error or f"{result.chunks} chunks"
            show = getattr(st.sidebar, OUTCOME_STYLE[result.status])
            show(f"{f.name}: {result.status} ({detail})")
    docs = service.documents()
    if not docs:
        st.sidebar.info("No documents yet: add some above or run `rag ingest PATH`.")
    for doc in docs:
        left, right = st.sidebar.columns([5, 1])
        left.markdown(f"**{doc.title or Path(doc.source).name}**  \n"
                      f"<small>{Path(doc.source).name} · {doc.chunks} chunks</small>",
                      unsafe_allow_html=True)
        if right.button("🗑", key=f"delete-{doc.doc_id}", help=f"Delete {doc.source}"):
            service.delete(doc.doc_id)
            st.rerun()


def chat(service: RagService) -> None:
    messages: list[dict] = st.session_state.setdefault("messages", [])
    for m in messages:
        with st.chat_message(m["role"]):
            st.markdown(m["content"])
            if m.get("notice"):
                st.caption(m["notice"])
            show_sources(m.get("citations", []))
    question = st.chat_input("Ask a question about your documents")
    if not question:
        return
    messages.append({"role": "user", "content": question})
    with st.chat_message("user"):
        st.markdown(question)
    with st.chat_message("assistant"):
        history = [{"role": m["role"], "content": m["content"]} for m in messages[:-1]]
        try:
            session = st.session_state.setdefault("session_id", uuid.uuid4().hex)
            answer = service.ask(question, history=history, session=session)
            text = st.write_stream(iter(answer))
        except RagError as exc:
            st.error(str(exc))
            messages.append({"role": "assistant", "content": f"⚠️ {exc}"})
            return
        citations = [h.as_json() for h in answer.citations]
        if answer.record.notice:
            st.caption(answer.record.notice)
        if answer.cached:
            st.caption("Answered from the cache: the library has not changed since.")
        show_sources(citations)
    messages.append({"role": "assistant", "content": text if isinstance(text, str) else answer.text,
                     "citations": citations, "notice": answer.record.notice,
                     "model": answer.record.model})


def main() -> None:
    st.set_page_config(page_title="Document Q&A", page_icon="📚", layout="wide")
    st.title("📚 Ask your documents")
    try:
        service = get_service()
    except RagError as exc:
        st.error(str(exc))
        st.stop()
    sidebar(service)
    chat(service)


main()
