"""The chat page: history, a streamed answer with a stop button, who answered and how fast,
sources to open, clear and export."""

from __future__ import annotations

import itertools
import threading
import time

import streamlit as st

from rag.app.logs import report_unexpected
from rag.errors import (
    EMPTY_QUESTION,
    ContentBlocked,
    RagError,
    RateLimited,
    ReaderGone,
    no_room,
    top_k_named,
)
from rag.text.sanitize import clean
from rag.types import Answer, describe_strategy, searched_for
from ui.common import REROUTED, Context, session_id
from ui.conversation import (
    answer_markdown,
    answer_meta,
    cited_numbers,
    message_markdown,
    quotes_documents,
    to_markdown,
)
from ui.safe_text import plain
from ui.sources import REDRAW_PENDING, show_sources
from ui.stops import abandoned_on_stop, asked_to_stop, forget_stop

STOPPED = "Stopped: the answer above is what had arrived when you pressed stop."
# stop pressed while the question was still being prepared (a follow-up's rewrite)
STOPPED_EARLY = "Stopped before the answer began: you pressed stop."
# the run ends the same way when the page is left for another or reloaded mid-answer, or
# another control is used (an upload, a setting: Streamlit runs the page anew); true also of a
# press of stop that `stops` could not see
INTERRUPTED = ("Interrupted: the answer above is what had arrived when it stopped (the page "
               "left or reloaded, another control used, or stop pressed).")
INTERRUPTED_EARLY = ("Interrupted before the answer began (the page left or reloaded, another "
                     "control used, or stop pressed).")
# a question refused before it was answered, and the icon of the notice in its answer's place
REFUSALS = {"blocked": ":material/block:", "rate_limited": ":material/timer:"}
QUESTION_KEY = "chat_question"  # the chat input's
RETRY = "_retry"  # a question refused by the rate limit, put back in the chat input
# a signed-in user's: how many of this session's messages are in the stored history, and whose
# history and how many clears of it they follow (another tab's clear empties this one too)
STORED = "_messages_stored"
CLEARS = "_history_clears"
REDRAW_SECONDS = 0.5
# each draw parses the whole answer so far: deltas arriving faster are drawn together
DRAW_EVERY_SECONDS = 0.1
CURSOR = "▌"
EMPTY_LIBRARY = (
    "The library is empty: add documents with Upload on the left (or `rag ingest PATH`), then "
    "ask about them. Each answer cites the passages it rests on, down to the page.")
FIRST_STEPS = (
    "Ask about the documents listed on the left; add your own with Upload. Each answer cites "
    "the passages it rests on, [1], [2], down to the page, and **Sources** opens them. A "
    "follow-up (\"and the second one?\") is read with the questions before it.")

SIDEBAR_TOP_K = "the sidebar's top-k"  # what advice to retrieve fewer passages names


def render(ctx: Context) -> None:
    # a run of the whole page: the redraw an answer's end awaited, if any, is this one (and
    # a flag a stopped run left behind is dropped here, never keeping a source from opening)
    st.session_state.pop(REDRAW_PENDING, None)
    messages = load_messages(ctx)
    head, tools = st.columns([3, 2], vertical_alignment="bottom")
    head.title("Ask your documents")
    head.caption(header(ctx))
    toolbar = tools.container(horizontal=True, horizontal_alignment="right")
    first_steps = st.empty()
    if not messages:
        first_steps.caption(FIRST_STEPS if ctx.view.store.size() else EMPTY_LIBRARY)
    for i, m in enumerate(messages):
        with st.chat_message(m["role"]):
            icon = refusal_icon(m)
            if icon and m["role"] == "assistant":
                st.warning(plain(m["content"]), icon=icon)
            else:
                st.markdown(message_markdown(m))
            if m["role"] == "assistant":
                show_details(ctx, m, key=f"m{i}")
    if RETRY in st.session_state:  # set before the input is drawn: it cannot be set after
        st.session_state[QUESTION_KEY] = st.session_state.pop(RETRY)
    question = st.chat_input("Ask a question about your documents", submit_mode="stop",
                             key=QUESTION_KEY)
    # nothing to ask (spaces, or characters that show nothing, which the engine would take
    # out): no bubble for it either
    if question and not clean(question, tidy_spaces=True).text:
        st.warning(EMPTY_QUESTION, icon=":material/edit_note:")
    elif question:
        first_steps.empty()
        ask(ctx, messages, question)
    with toolbar:  # drawn last, so that it knows about the answer just given
        if st.button("Clear chat", icon=":material/delete_sweep:", disabled=not messages):
            clear_messages(ctx, messages)
            st.rerun()
        st.download_button("Export Markdown", to_markdown(messages, "Conversation"),
                           file_name="conversation.md", mime="text/markdown",
                           icon=":material/download:", disabled=not messages,
                           on_click="ignore", help="The conversation and its sources")


def header(ctx: Context) -> str:
    """Where questions go and who answers them; the model's name is typed by the user."""
    options = ctx.options
    model = f" ({options.model})" if options.model else ""
    return (f"Collection **{plain(ctx.collection)}** · "
            + plain(f"{options.generator}{model} · {options.search_mode} search · "
                    f"top {options.top_k}"))


def refusal_icon(m: dict) -> str | None:
    """The notice's icon, for a question refused before it was answered and its notice."""
    return next((icon for flag, icon in REFUSALS.items() if m.get(flag)), None)


def show_details(ctx: Context, m: dict, key: str) -> None:
    if m.get("error"):
        return
    st.caption(plain(answer_meta(m)))
    if m.get("rerouted"):
        st.warning(plain(m["rerouted"]), icon=":material/warning:")
    if m.get("collection", ctx.collection) != ctx.collection:
        st.caption(plain(f"Asked in the collection {m['collection']}; questions in "
                         f"{ctx.collection} do not follow on from it."))
    if m.get("searched"):
        st.caption(plain(f"Searched for: {m['searched']}"))
    strategy = describe_strategy(m)
    if strategy is not None:
        (st.warning if strategy[1] else st.caption)(plain(strategy[0]))
    if m.get("notice"):
        st.caption(plain(m["notice"]))
    if m.get("cached"):
        st.caption("Answered from the cache: the library has not changed since.")
    show_sources(ctx.workspace, m.get("citations", []), key, cited_numbers(m))


def ask(ctx: Context, messages: list[dict], question: str) -> None:
    # one that cannot be asked (too long) is refused below, saying why, and costs no slot
    if askable(ctx, question):
        try:
            ctx.engine.admit(ctx.identity.id, "chat")
        except RateLimited as exc:
            keep_for_later(ctx, messages, question, exc)
            return
    history = answered_turns(messages, ctx.collection)
    messages.append({"role": "user", "content": question, "collection": ctx.collection})
    rerouted, _ = st.session_state.pop(REROUTED, (None, None))
    with st.chat_message("user"):
        st.markdown(plain(question))
    with st.chat_message("assistant"):
        message = stream_answer(ctx, question, history, messages, rerouted)
        if message is not None:
            show_details(ctx, message, key=f"m{len(messages) - 1}")


def answered_turns(messages: list[dict], collection: str) -> list[dict]:
    """The conversation a follow-up leans on: the questions asked of this collection, not of
    another one, that were answered, with their answers. A question refused or failed (too
    long, blocked, over the rate limit) left no answer to follow on from."""
    turns = []
    for m, after in itertools.zip_longest(messages, messages[1:]):
        if m.get("error") or refusal_icon(m) is not None:
            continue
        if m.get("collection", collection) != collection:
            continue
        if m["role"] == "user" and after is not None and after.get("error"):
            continue
        turns.append({"role": m["role"], "content": m["content"]})
    return turns


def askable(ctx: Context, question: str) -> bool:
    try:
        ctx.view.askable(question, ctx.options.strategy)
    except RagError:
        return False
    return True


def keep_for_later(ctx: Context, messages: list[dict], question: str,
                   refusal: RateLimited) -> None:
    """A question the rate limit refused stays in the conversation, the notice under it (both
    kept out of later turns' history), and goes back into the chat input to be sent again."""
    messages += [{"role": "user", "content": question, "collection": ctx.collection,
                  "rate_limited": True},
                 {"role": "assistant", "content": str(refusal), "rate_limited": True,
                  "error": True}]
    save_messages(ctx, messages)
    st.session_state[RETRY] = question
    st.rerun()  # the input is drawn already: it takes the question in the next run


def stream_answer(ctx: Context, question: str, history: list[dict], messages: list[dict],
                  rerouted: str | None = None) -> dict | None:
    """Stream the answer into the page; the message is kept even when the user stops it.
    `rerouted` is kept with the answer it concerns, not only shown as it streams."""
    parts: list[str] = []
    answer: Answer | None = None
    done = False  # the stream ended, or failed and was reported: not stopped
    ended = threading.Event()
    # a press of stop reaches the work before the answer exists too (a follow-up's rewrite),
    # and is then the answer's own
    reader_gone = threading.Event()
    forget_stop()  # only a press of stop during this answer is about it
    st.session_state[REDRAW_PENDING] = True
    with st.sidebar:  # not beside the answer, whose elements then sit where a redraw puts them
        st.fragment(redraw_once_ended, run_every=REDRAW_SECONDS)(ended)
    try:
        # the page always sends its slider's number: advice to lower it names the slider
        with abandoned_on_stop(reader_gone.set), top_k_named(SIDEBAR_TOP_K):
            answer = ctx.view.ask(question, ctx.options.top_k, history, session=session_id(),
                                  user=ctx.identity.account, strategy=ctx.options.strategy,
                                  reader_gone=reader_gone)
            write_stream(answer, parts)
        done = True
    except ReaderGone:  # left before the first word: kept below as a stopped answer
        if answer is None:  # before the answer existed: nothing of it to keep
            done = True
            # stop pressed, or the page left for another or reloaded: said as it was
            notice = STOPPED_EARLY if asked_to_stop() else INTERRUPTED_EARLY
            # kept before drawing: after a stop the next draw ends the run
            messages.append({"role": "assistant", "content": notice, "stopped": True,
                             "error": True, "collection": ctx.collection})
            save_messages(ctx, messages)
            st.info(notice, icon=":material/stop_circle:")
        return None
    except ContentBlocked as exc:  # a refused question is kept out of later turns' history
        done = True
        st.warning(plain(exc), icon=":material/block:")
        messages[-1]["blocked"] = True
        messages.append({"role": "assistant", "content": str(exc), "blocked": True,
                         "error": True})
        save_messages(ctx, messages)
        return None
    except RagError as exc:
        done = True
        st.error(plain(exc))
        messages.append({"role": "assistant", "content": f"⚠️ {exc}", "error": True})
        save_messages(ctx, messages)
        return None
    except Exception as exc:  # a bug: the user gets an id to quote, the log the stack trace
        full = no_room(exc)  # no bug: a write with no room, whose message says what to do
        text = str(full) if full is not None else (
            f"Something went wrong on our side (error id {report_unexpected(exc)}); quote it "
            "when you report the problem.")
        st.error(plain(text))
        messages.append({"role": "assistant", "content": f"⚠️ {text}", "error": True})
        save_messages(ctx, messages)
        return None
    finally:
        ended.set()
        if not done and answer is not None:  # stopped mid-stream (the stop button, a reload)
            answer.close()  # ends the model's stream
            if parts:
                notice = STOPPED if asked_to_stop() else INTERRUPTED
            else:  # no word had come: nothing is above the notice
                notice = STOPPED_EARLY if asked_to_stop() else INTERRUPTED_EARLY
            messages.append({**message_from(answer, question, "".join(parts), notice),
                             "collection": ctx.collection})
            save_messages(ctx, messages)
    message = {**message_from(answer, question, "".join(parts)), "collection": ctx.collection}
    if rerouted:
        message["rerouted"] = rerouted
    messages.append(message)
    save_messages(ctx, messages)
    return message


def redraw_once_ended(ended: threading.Event) -> None:
    """Redraw the page once the answer has ended. After the stop button Streamlit draws
    nothing more in that run, so the stopped answer's notice and sources would wait for the
    user's next click; this fragment's next tick, which runs once the run is over, shows
    them. The redraw also removes the fragment, so an idle page does not keep ticking.
    `ended` is an event, not session state: what a stopped run writes there is not seen by
    the fragment's ticks."""
    if ended.is_set():
        st.rerun(scope="app")


def write_stream(answer: Answer, parts: list[str]) -> None:
    """Show the answer as it arrives, as safe Markdown or, quoted, as text (`st.write_stream`
    would render the model's Markdown as it is, remote images included).

    Each draw parses the whole answer so far, so a long answer drawn at every delta would
    cost time in the square of its length: deltas are drawn at most every
    DRAW_EVERY_SECONDS, and always when one comes after a pause. Streamlit notices the stop
    button (or a closed or reloaded tab) only at a call that draws, which this keeps within
    that time of a press."""
    shown = st.empty()
    drawn_at = -DRAW_EVERY_SECONDS
    for delta in answer:
        parts.append(delta)
        if time.monotonic() - drawn_at >= DRAW_EVERY_SECONDS:
            shown.markdown(answer_markdown("".join(parts), quoted(answer)) + CURSOR)
            drawn_at = time.monotonic()
    shown.markdown(answer_markdown("".join(parts), quoted(answer)))


def quoted(answer: Answer) -> bool:
    """Whether the answer quotes the documents (the generator may change mid-stream: the
    last resort takes over when the models fail)."""
    return quotes_documents(answer.generator, answer.record.model)


def message_from(answer: Answer, question: str, text: str,
                 stopped: str | None = None) -> dict:
    """The message kept for an answer; `stopped` is the notice of one that did not end."""
    return {
        "role": "assistant", "content": text,
        # what was searched, when not the question as asked (a follow-up's carried terms, a
        # model's rewrite): the sources make sense only with it
        "searched": searched_for(answer.query, question),
        "citations": [h.as_json() for h in answer.citations],
        # the markers kept in the text, known once the answer has ended
        "cited": None if stopped else list(answer.cited),
        "generator": answer.generator, "model": answer.record.model,
        "cached": answer.cached, "latency_ms": answer.latency_ms, "ttft_ms": answer.ttft_ms,
        "neurons": None if answer.cached else answer.record.neurons,
        "notice": stopped or answer.notice, "stopped": stopped is not None,
        "degraded": list(answer.degraded),
        "strategy": answer.strategy.as_json() if answer.strategy else None,
    }


def load_messages(ctx: Context) -> list[dict]:
    """This session's messages. A signed-in user's are their stored history, read on their
    first page view and again once another tab has cleared it; in between, the session shows
    what it read and its own turns (another tab's appear in a new tab, or on a reload), and
    its follow-ups lean on what it shows."""
    if not ctx.identity.signed_in:
        return st.session_state.setdefault("messages", [])
    history = ctx.workspace.history
    if ("messages" in st.session_state and st.session_state.get(CLEARS)
            == (ctx.identity.id, history.clears(ctx.identity.id))):
        return st.session_state["messages"]
    messages, clears = history.read(ctx.identity.id)
    st.session_state.update({"messages": messages, STORED: len(messages),
                             CLEARS: (ctx.identity.id, clears)})
    return messages


def save_messages(ctx: Context, messages: list[dict]) -> None:
    """Store the session's messages not stored yet. Only new ones are added, never the list
    written back, so that the turns other tabs stored meanwhile stay, and turns cleared stay
    cleared; a message is stored once, so it is complete before this is called."""
    if ctx.identity.signed_in:
        stored = st.session_state.get(STORED, 0)
        ctx.workspace.history.append(ctx.identity.id, messages[stored:])
        st.session_state[STORED] = len(messages)


def clear_messages(ctx: Context, messages: list[dict]) -> None:
    """Empty the conversation, stored history included (every tab's)."""
    messages.clear()
    if ctx.identity.signed_in:
        clears = ctx.workspace.history.clear(ctx.identity.id)
        st.session_state.update({STORED: 0, CLEARS: (ctx.identity.id, clears)})
