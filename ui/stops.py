"""Whether the user asked for a stop. Streamlit ends a run the same way (a StopException at
its next draw) when the user presses stop, leaves the page for another or reloads the tab;
only a press of stop (the chat input's button, or the toolbar's) sends the browser's
"stop_script" message. The sessions that sent one are noted as it arrives, so that a stopped
answer can say truly why it stopped.

Streamlit has no public hook for that message: `install` wraps `AppSession.handle_backmsg`,
through which every message from a browser passes. Without it (a Streamlit that renamed the
method), no stop is ever taken for the user's, and the chat says the neutral thing.

Whatever ends the run (a press of stop, a closed or reloaded tab, another page or a widget
changed: each asks the session's script runner to stop or to run the page anew) also
abandons the answer under way at once (`abandoned_on_stop`): Streamlit stops the run only at
its next draw, and a model yet to say its first word would otherwise be retried, or its
fallback asked, for nobody. `install` wraps `ScriptRunner.request_stop` and `request_rerun`
for that, all but a fragment's rerun (which leaves the page's run going)."""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.runtime.app_session import AppSession
from streamlit.runtime.scriptrunner import RerunData, ScriptRunner, get_script_run_ctx

# the ids of the sessions whose user pressed stop, oldest first; a press while no answer ran
# is never used up, so only the latest are kept
_asked: dict[str, None] = {}
_KEPT = 1024
_lock = threading.Lock()
# each answering session's way to abandon its answer
_abandon: dict[str, Callable[[], None]] = {}


def install() -> None:
    """Note the stop requests of every session of this server, and abandon a session's answer
    when its run is asked to end (once; later calls do nothing)."""
    handle = getattr(AppSession, "handle_backmsg", None)
    if handle is not None and not getattr(handle, "notes_stops", False):
        @functools.wraps(handle)
        def handle_backmsg(session: AppSession, msg: BackMsg) -> None:
            if msg.WhichOneof("type") == "stop_script":
                note(session.id)  # the run's stop request, made by `handle`, abandons it
            handle(session, msg)

        handle_backmsg.notes_stops = True  # type: ignore[attr-defined]
        AppSession.handle_backmsg = handle_backmsg  # type: ignore[method-assign]

    stop = getattr(ScriptRunner, "request_stop", None)
    if stop is not None and not getattr(stop, "abandons", False):
        @functools.wraps(stop)
        def request_stop(runner: ScriptRunner) -> None:
            abandon_answer(getattr(runner, "_session_id", None))
            stop(runner)

        request_stop.abandons = True  # type: ignore[attr-defined]
        ScriptRunner.request_stop = request_stop  # type: ignore[method-assign]

    rerun = getattr(ScriptRunner, "request_rerun", None)
    if rerun is not None and not getattr(rerun, "abandons", False):
        @functools.wraps(rerun)
        def request_rerun(runner: ScriptRunner, rerun_data: RerunData) -> bool:
            if not getattr(rerun_data, "fragment_id", None):
                abandon_answer(getattr(runner, "_session_id", None))
            return rerun(runner, rerun_data)

        request_rerun.abandons = True  # type: ignore[attr-defined]
        ScriptRunner.request_rerun = request_rerun  # type: ignore[method-assign]


def abandon_answer(session_id: str | None) -> None:
    """Abandon the answer the session is preparing, if any."""
    with _lock:
        abandon = _abandon.get(session_id or "")
    if abandon is not None:
        abandon()


def note(session_id: str) -> None:
    with _lock:
        _asked.pop(session_id, None)
        _asked[session_id] = None
        while len(_asked) > _KEPT:
            del _asked[next(iter(_asked))]


def _this_session() -> str | None:
    ctx = get_script_run_ctx(suppress_warning=True)
    return ctx.session_id if ctx is not None else None


def forget_stop() -> None:
    """Drop this session's stop request, if any: one sent before this point (the toolbar's
    stop pressed on an earlier run) is not about what comes next."""
    with _lock:
        _asked.pop(_this_session() or "", None)


def asked_to_stop() -> bool:
    """Whether this session's user pressed stop since `forget_stop`; the request is used up."""
    session = _this_session()
    with _lock:
        if session not in _asked:
            return False
        del _asked[session]
        return True


@contextmanager
def abandoned_on_stop(abandon: Callable[[], None]) -> Iterator[None]:
    """While the block runs, a press of stop in this session calls `abandon` at once."""
    session = _this_session()
    if session is None:
        yield
        return
    with _lock:
        _abandon[session] = abandon
    try:
        yield
    finally:
        with _lock:
            if _abandon.get(session) is abandon:
                del _abandon[session]
