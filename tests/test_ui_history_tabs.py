"""A signed-in user's conversation in several tabs at once (AppTest, one engine as in one
server): each tab's turns are kept, none overwrites another's, and a clear lasts."""

from __future__ import annotations

import json
import re
import sqlite3
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from rag.app.history import HistoryStore
from tests.apptest import PAGE, greenhouse, upload
from ui import common
from ui.common import Identity

ADA = Identity("user:ada@example.org", "Ada", True)
Q1 = "How much sunlight do tomatoes need?"
Q2 = "What do plants need?"
Q3 = "How many hours of direct sunlight each day?"
Q4 = "Do tomatoes need direct sunlight?"


@pytest.fixture
def tab(env, monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[], AppTest]]:
    """Open a new tab of Ada's, signed in; every tab shares the page's engine."""
    monkeypatch.setattr(common, "current_identity", lambda: ADA)
    monkeypatch.setenv("RAG_EDITORS", "ada@example.org")
    st.cache_resource.clear()

    def open_tab() -> AppTest:
        at = AppTest.from_file(PAGE, default_timeout=120)
        at.run()
        assert not at.exception, at.exception
        return at

    yield open_tab
    st.cache_resource.clear()


def ask(at: AppTest, question: str) -> None:
    at.chat_input[0].set_value(question).run()
    assert not at.exception, at.exception
    assert at.chat_message[-1].name == "assistant"


def questions(at: AppTest) -> list[str]:
    """The questions the tab shows, as a reader sees them (the page escapes them)."""
    return [re.sub(r"\\(.)", r"\1", m.markdown[0].value) for m in at.chat_message
            if m.name == "user"]


def clear(at: AppTest) -> None:
    next(b for b in at.button if b.label == "Clear chat").click().run()
    assert not at.exception, at.exception


def test_two_tabs_keep_each_others_turns(tab) -> None:
    a = tab()
    upload(a, [greenhouse()])
    ask(a, Q1)
    b = tab()
    assert questions(b) == [Q1]
    ask(a, Q2)
    ask(b, Q3)
    assert questions(tab()) == [Q1, Q2, Q3]  # a new tab shows every tab's turns
    # an open tab shows what it read and its own turns, and its follow-ups lean on those
    assert questions(a) == [Q1, Q2] and questions(b) == [Q1, Q3]
    answers = [m for m in tab().session_state["messages"] if m["role"] == "assistant"]
    assert len(answers) == 3 and all(m["citations"] for m in answers)  # each after its question


def test_a_clear_lasts_though_another_tab_asks_again(tab) -> None:
    a = tab()
    upload(a, [greenhouse()])
    ask(a, Q1)
    b = tab()
    ask(b, Q2)
    clear(a)
    assert questions(a) == []
    ask(b, Q4)
    assert questions(b) == [Q4]  # the tab dropped the cleared turns before asking
    assert not [m for m in b.session_state["messages"] if m.get("searched")]  # no follow-up
    assert questions(tab()) == [Q4]
    b.run()
    assert questions(b) == [Q4]
    clear(b)
    a.run()
    assert questions(a) == [] and questions(tab()) == []


def test_a_stale_list_appended_to_does_not_bring_cleared_turns_back(tmp_path: Path) -> None:
    store = HistoryStore(tmp_path / "h.sqlite3")
    store.append("user:a@x", [{"role": "user", "content": "one"}])
    before = store.clears("user:a@x")
    assert store.clear("user:a@x") == before + 1
    store.append("user:a@x", [{"role": "user", "content": "two"}])
    store.append("user:b@x", [{"role": "user", "content": "other"}])
    assert HistoryStore(tmp_path / "h.sqlite3").read("user:a@x") == (
        [{"role": "user", "content": "two"}], before + 1)


def kept_as_one_list(path: Path) -> None:
    with sqlite3.connect(path) as db:  # how conversations were kept until turns were
        db.execute("CREATE TABLE history (user TEXT PRIMARY KEY, messages TEXT NOT NULL, "
                   "updated REAL NOT NULL)")
        db.execute("INSERT INTO history VALUES (?, ?, 1.0)", (
            "user:a@x", json.dumps([{"role": "user", "content": "hi"},
                                    {"role": "assistant", "content": "hello"}])))
    db.close()


def test_two_processes_opening_a_list_kept_store_at_once_move_it_once(tmp_path: Path) -> None:
    for attempt in range(10):
        path = tmp_path / f"h{attempt}.sqlite3"
        kept_as_one_list(path)
        both = threading.Barrier(2)
        failures: list[BaseException] = []

        def open_store(path: Path = path, both: threading.Barrier = both,
                       failures: list[BaseException] = failures) -> None:
            both.wait()
            try:
                HistoryStore(path).close()
            except Exception as exc:  # collected for the assertion below
                failures.append(exc)

        openers = [threading.Thread(target=open_store) for _ in range(2)]
        for opener in openers:
            opener.start()
        for opener in openers:
            opener.join(timeout=30)
        assert not failures, failures
        assert [m["content"] for m in HistoryStore(path).load("user:a@x")] == ["hi", "hello"]


def test_a_conversation_kept_as_one_list_is_still_there(tmp_path: Path) -> None:
    path = tmp_path / "h.sqlite3"
    kept_as_one_list(path)
    store = HistoryStore(path)
    store.append("user:a@x", [{"role": "user", "content": "again"}])
    assert [m["content"] for m in HistoryStore(path).load("user:a@x")] == [
        "hi", "hello", "again"]
