"""The chat's page script: thin on purpose, every action is a call on the engine.

Served by ui/app.py (`rag ui`). The sidebar (documents, collection, answer settings) is on
every page; the pages are the chat, the document table and the status page.
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from rag.errors import RagError
from ui import common, sidebar, stops
from ui.safe_text import plain

HERE = Path(__file__).resolve().parent


def main() -> None:
    st.set_page_config(page_title="Document Q&A", page_icon="📚", layout="wide")
    stops.install()  # once per server: a stopped answer tells the stop button from a reload
    identity = common.current_identity()
    if identity is None:
        common.login_screen(common.auth_config() or {})
        st.stop()
    try:
        engine = common.get_engine()
    except RagError as exc:
        st.error(plain(exc))
        st.stop()
    common.set_context(sidebar.render(engine, identity))
    views = HERE / "views"
    st.navigation([
        st.Page(views / "chat.py", title="Chat", icon=":material/chat:", default=True),
        st.Page(views / "documents.py", title="Documents", icon=":material/description:"),
        st.Page(views / "status.py", title="Status", icon=":material/monitoring:"),
    ], position="top").run()


if __name__ == "__main__":  # not when a parse worker process re-imports the main script
    main()
