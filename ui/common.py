"""What every page of the app shares: the engine, the user's identity and the current view.

The engine is the one the app server opened at start-up; each browser session picks a
collection and answer options, which select a *view* of its workspace (`Workspace.view`).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import streamlit as st

from rag.engine.engine import Engine, running_engine
from rag.engine.options import AskOptions
from rag.engine.workspace import Workspace
from rag.service import RagService
from rag.settings import load_settings
from rag.types import ANONYMOUS_USER


def get_engine() -> Engine:
    """The app server's engine; one of the page's own when it runs without the server
    (Streamlit's AppTest, or `streamlit run ui/page.py`)."""
    return running_engine() or _own_engine()


@st.cache_resource(show_spinner="Loading the embedding model and the document store…",
                   on_release=Engine.close)
def _own_engine() -> Engine:
    return Engine.open(load_settings())


READ_ONLY = ("You can ask and read; adding and deleting documents is for the library's "
             "editors (RAG_EDITORS).")
#: session key: why the next question goes to another collection than the one chosen (it
#: was deleted through another door), for the answer to keep
REROUTED = "_rerouted"


@dataclass(frozen=True)
class Identity:
    """Who is asking: the signed-in user, or this browser session when there is no login."""

    id: str  # rate limits and history
    label: str
    signed_in: bool

    @property
    def account(self) -> str:
        """Who is charged (the daily budget, cost, metrics): the signed-in user, or every
        anonymous visitor together, since a reload is a new session, whose own budget would
        start again at 0, and a metrics label per session would grow without bound."""
        return self.id if self.signed_in else ANONYMOUS_USER

    @property
    def editor_name(self) -> str:
        """The name RAG_EDITORS gives this user by: the e-mail (else the subject) signed in
        with, or `anonymous`."""
        return self.id.removeprefix("user:") if self.signed_in else ANONYMOUS_USER


@dataclass
class Context:
    engine: Engine  # uploads, rate limits
    workspace: Workspace  # library-wide actions
    view: RagService  # the current collection with the current answer options
    identity: Identity
    collection: str
    options: AskOptions


def session_id() -> str:
    return st.session_state.setdefault("session_id", uuid.uuid4().hex)


def auth_config() -> dict[str, Any] | None:
    """The `[auth]` section of .streamlit/secrets.toml, when OIDC login is configured."""
    try:
        auth = st.secrets.get("auth")
    except Exception:  # no secrets file at all
        return None
    return dict(auth) if auth else None


def identity_from(auth: dict[str, Any] | None, user: Any, session: str) -> Identity | None:
    """The identity for history, rate limits and cost; None when a login is required first."""
    if not auth:
        return Identity(f"anon:{session[:12]}", "anonymous (this browser tab)", False)
    if not user.get("is_logged_in"):
        return None
    subject = user.get("email") or user.get("sub")
    if not subject:
        return None
    return Identity(f"user:{subject}", str(user.get("name") or subject), True)


def current_identity() -> Identity | None:
    auth = auth_config()
    user = st.user.to_dict() if auth else {}
    return identity_from(auth, user, session_id())


def login_screen(auth: dict[str, Any]) -> None:
    """Ask for a login; one button per configured provider."""
    st.title("📚 Ask your documents")
    st.write("Sign in to use this app: your conversations, limits and costs are kept per user.")
    providers = [name for name, value in auth.items() if isinstance(value, dict)]
    if ("client_id" in auth or not providers) and st.button("Log in", type="primary"):
        st.login()
    for name in providers:
        if st.button(f"Log in with {name.capitalize()}", key=f"login-{name}"):
            st.login(name)


def set_context(ctx: Context) -> None:
    st.session_state["_ctx"] = ctx


def context() -> Context:
    """The context app.py built for this run (pages call this)."""
    return st.session_state["_ctx"]
