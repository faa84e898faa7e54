"""`rag ask` through a running engine, quickly: the standard library alone.

A question asked while `rag ui` runs needs nothing of this process but a request: no model,
no store, not even the command-line framework. `rag/__main__.py` tries this path first, so the
first token prints a few tens of milliseconds after the command starts; anything it does not
recognise (another command, an option it does not know, no engine running) goes to the full
command (`rag.cli.main`), which prints the same way.
"""

from __future__ import annotations

import http.client
import json
import os
import re
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from rag.cli.output import is_text, json_line, searched_line, sources_block
from rag.engine import discovery
from rag.errors import (
    MADE_BY_THE_API,
    ContentBlocked,
    InputTooLongError,
    RagError,
    RateLimited,
)
from rag.setting_variables import COLLECTION_NAME, SETTING_VARIABLES
from rag.settings_file import unparsable_line
from rag.text.controls import terminal_safe_pieces
from rag.types import describe_strategy

INTERRUPTED_EXIT = 130  # Ctrl-C, as the shell reports a command its SIGINT ended
# How long a request may wait for the engine's reply: an upload is spooled and its ingest
# polled, and a question makes at most a few remote calls (Llama Guard, the embedder, the
# reranker, a follow-up's rewrite) of 60 s each by default (RAG_AI_DEADLINE_SECONDS): past
# that the engine is hung, and said to be.
REQUEST_READ_SECONDS = 300.0
# Once an answer streams, the engine sends a comment every 15 s of silence
# (rag/engine/api/questions.py): four missed is an engine that stopped, not a slow model.
STREAM_SILENCE_SECONDS = 60.0
# a question's first words come within seconds; past this the wait is said, not left silent
WAITING_NOTICE_SECONDS = 15.0


@contextmanager
def _said_after(seconds: float, notice: str) -> Iterator[None]:
    """`notice` on stderr if the block is still running after `seconds`."""
    timer = threading.Timer(seconds, lambda: print(notice, file=sys.stderr, flush=True))
    timer.daemon = True
    timer.start()
    try:
        yield
    finally:
        timer.cancel()


class EngineAnswer:
    """An answer streamed from the engine's `POST /api/v1/ask`: iterate for its text, then
    `summary()` is `rag ask --json`'s object."""

    def __init__(self, address: discovery.EngineAddress, body: dict[str, Any]) -> None:
        self.address, self.body = address, body
        self.parts: list[str] = []
        self.events: dict[str, dict[str, Any]] = {}

    def __iter__(self) -> Iterator[str]:
        url = urlsplit(self.address.api)
        connection = http.client.HTTPConnection(url.hostname, url.port,
                                                timeout=REQUEST_READ_SECONDS)
        streaming = False
        try:
            connection.request("POST", f"{url.path}/ask", body=json.dumps(self.body), headers={
                "Authorization": f"Bearer {self.address.token}",
                "Content-Type": "application/json", "Accept": "text/event-stream"})
            with _said_after(WAITING_NOTICE_SECONDS,
                             f"Waiting for the engine at {self.address.url} to answer "
                             f"(at most {REQUEST_READ_SECONDS:.0f} s; Ctrl-C stops)..."):
                response = connection.getresponse()
            if connection.sock is not None:
                connection.sock.settimeout(STREAM_SILENCE_SECONDS)
            streaming = True
            if response.status >= 400:
                raise engine_error(response.status, response.read(),
                                   response.getheader("retry-after"))
            for kind, data in events(response):
                if kind == "token":
                    self.parts.append(data["text"])
                    yield data["text"]
                elif kind == "error":
                    raise error_from(data["code"], data["message"])
                else:
                    self.events[kind] = data
        except TimeoutError as exc:  # connected, but silent: hung, not gone
            raise engine_hung(self.address.url, STREAM_SILENCE_SECONDS if streaming
                              else REQUEST_READ_SECONDS, streaming) from exc
        except OSError as exc:
            raise RagError(f"The engine at {self.address.url} stopped answering "
                           f"({type(exc).__name__}). Is `rag ui` still running? If it was "
                           "stopped, run the command again.") from exc
        finally:
            connection.close()

    def summary(self) -> dict[str, Any]:
        if "done" not in self.events:
            for _ in self:
                pass
        done, citations = self.events["done"], self.events.get("citations", {})
        return {"answer": "".join(self.parts), "citations": citations.get("citations", []),
                "generator": done["generator"], "model": done["model"], "usage": done["usage"],
                "cached": done["cached"], "notice": done["notice"],
                "cited": citations.get("cited", []), "query": done.get("query", ""),
                "degraded": done.get("degraded", []), "strategy": done.get("strategy"),
                "request_id": done.get("request_id")}


def events(response: http.client.HTTPResponse) -> Iterator[tuple[str, dict[str, Any]]]:
    """(event, data) of a server-sent event stream, as each event ends."""
    kind, data = "message", []
    for raw in response:
        line = raw.decode("utf-8").rstrip("\r\n")
        if not line:
            if data:
                yield kind, json.loads("\n".join(data))
            kind, data = "message", []
        elif line.startswith("event:"):
            kind = line[6:].strip()
        elif line.startswith("data:"):
            data.append(line[5:].lstrip())


def engine_hung(where: str, waited: float, streaming: bool = False) -> RagError:
    """An engine that took the connection and then was silent for `waited` seconds."""
    silence = (f"stopped sending its answer: nothing for {waited:g} s" if streaming else
               f"took the request but did not answer within {waited:g} s")
    return RagError(f"The engine at {where} {silence}: it is hung or overloaded. See its log "
                    "(RAG_LOG_FILE), or restart `rag ui`.")


def engine_error(status: int, body: bytes, retry_after: str | None) -> RagError:
    try:
        error = json.loads(body)["error"]
        return error_from(error["code"], error["message"], retry_after)
    except (ValueError, KeyError, TypeError):
        return RagError(f"The engine answered HTTP {status}.")


def error_from(code: str, message: str, retry_after: str | None = None) -> RagError:
    """The engine's error as the command says it without an engine."""
    if code == "not_found":
        return RagError(message.removesuffix(f" {MADE_BY_THE_API}"))
    if code == "rate_limited":
        return RateLimited(message, float(retry_after or 60))
    if code == "input_too_long":
        return InputTooLongError(message)
    if code == "content_blocked":
        named = re.search(r"\(category: ([^)]*)\)", message)
        return ContentBlocked(named.group(1) if named else "unknown", message=message)
    return RagError(message)


def light_setting(name: str, environ: os._Environ[str] | dict[str, str], cwd: Path
                  ) -> str | None:
    """A `RAG_*` setting from the environment, else from `.env`, as the settings read it
    (names in any case; `VAR=` in the environment is set, and empty); None when unset."""
    for key, value in environ.items():
        if key.upper() == name:
            return value
    dotenv = cwd / ".env"
    if dotenv.is_file():
        from dotenv import dotenv_values

        for key, value in dotenv_values(dotenv).items():
            if key.upper() == name and value is not None:
                return value
    return None


def unknown_setting_named(environ: os._Environ[str] | dict[str, str], cwd: Path) -> bool:
    """Whether a `RAG_*` variable (environment or `.env`) names no setting: the full command
    warns of it (and answers through the engine all the same)."""
    names = list(environ)
    dotenv = cwd / ".env"
    if dotenv.is_file():
        from dotenv import dotenv_values

        names += list(dotenv_values(dotenv))
    return any(name.upper().startswith("RAG_") and name.upper() not in SETTING_VARIABLES
               for name in names)


def dotenv_readable(cwd: Path) -> bool:
    """Whether `.env` in `cwd` is absent, or UTF-8 text whose every line python-dotenv
    parses, as the settings read it."""
    try:
        return unparsable_line(cwd / ".env") is None
    except FileNotFoundError:
        return True
    except (OSError, UnicodeDecodeError):
        return False


def parse_ask(argv: list[str]) -> dict[str, Any] | None:
    """`ask QUESTION [--top-k N] [--collection NAME] [--json]`, or None for anything else."""
    if not argv or argv[0] != "ask" or not all(map(is_text, argv)):
        return None  # bytes that are not UTF-8: the full command names them
    options: dict[str, Any] = {"question": None, "top_k": None, "collection": None,
                               "json": False}
    rest = argv[1:]
    while rest:
        word = rest.pop(0)
        if word == "--json":
            options["json"] = True
        elif word in ("--top-k", "--collection") and rest:
            value = rest.pop(0)
            if word == "--top-k":
                if not value.isdigit() or not 1 <= int(value) <= 100:
                    return None  # the full command explains the range
                options["top_k"] = int(value)
            else:
                options["collection"] = value
        elif word.startswith("-") or options["question"] is not None:
            return None
        else:
            options["question"] = word
    return options if options["question"] else None


def answer_quickly(argv: list[str]) -> int | None:
    """Run `rag ask` through a running engine; None when this path does not apply."""
    options = parse_ask(argv)
    if options is None:
        return None
    cwd = Path.cwd()
    if not dotenv_readable(cwd):
        return None  # the full command names the file and what is wrong with it
    if unknown_setting_named(os.environ, cwd):
        return None
    data_dir = (light_setting("RAG_DATA_DIR", os.environ, cwd) or "").strip()
    address = discovery.find(Path(data_dir or "data"))  # blank is ./data, as settings read it
    if address is None:
        return None
    top_k = options["top_k"] or light_setting("RAG_TOP_K", os.environ, cwd)
    if (top_k is not None and not (str(top_k).isdigit() and 1 <= int(top_k) <= 100)) or any(
            light_setting(name, os.environ, cwd) is not None
            for name in ("RAG_ANSWER_STRATEGY", "RAG_SEARCH_MODE")):
        return None  # the full command checks these settings and sends them
    collection = (options["collection"] if options["collection"] is not None  # "" is a mistake
                  else light_setting("RAG_COLLECTION", os.environ, cwd))
    if options["collection"] is None and collection is not None and not (
            COLLECTION_NAME.fullmatch(collection)):
        return None  # the full command names RAG_COLLECTION in its refusal
    answer = EngineAnswer(address, {"question": options["question"], "collection": collection,
                                    "top_k": int(top_k) if top_k else None, "stream": True})
    stream = iter(answer)
    try:
        if options["json"]:
            sys.stdout.write(json_line(answer.summary()))
            return 0
        for piece in terminal_safe_pieces(stream):  # the model's text is untrusted
            sys.stdout.write(piece)
            sys.stdout.flush()
        sys.stdout.write("\n")
        summary = answer.summary()
    except RagError as exc:
        sys.stderr.write(f"error: {exc}\n")
        return 3 if isinstance(exc, ContentBlocked) else 2
    except KeyboardInterrupt:  # Ctrl-C: the connection closed, the engine stops the answer
        stream.close()
        sys.stdout.write("\n")
        return INTERRUPTED_EXIT
    if summary["notice"]:
        sys.stderr.write(f"\n{summary['notice']}\n")
    searched = searched_line(summary["query"], options["question"])
    if searched is not None:
        sys.stderr.write(f"{searched}\n")
    strategy = describe_strategy(summary)
    if strategy is not None:
        sys.stderr.write(f"{strategy[0]}\n")
    if summary["citations"]:
        sys.stdout.write(sources_block(summary["citations"], summary.get("cited")))
    return 0
