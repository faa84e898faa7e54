"""How the `rag` command prints citations; nothing heavy imported (see `quick`)."""

from __future__ import annotations

import contextlib
import json
import os
import re
import select
import sys
import textwrap
from pathlib import Path
from typing import Any

from rag.text.controls import escaped_controls, terminal_safe
from rag.types import cited_place, searched_for

#: what every `rag` command's error line on stderr starts with
ERROR_LABEL = "error:"


def cite(n: int, hit: dict[str, Any]) -> str:
    """`[1] Title (source, page 3)` or `(source, slide 3: Budget)`: a citation as the `rag`
    command prints it."""
    place = cited_place(hit.get("page"), hit.get("locator"), hit.get("title"))
    where = f", {place}" if place else ""
    return shown(f"[{n}] {hit.get('title') or Path(hit['source']).name} ({hit['source']}{where})")


def sources_block(citations: list[dict[str, Any]], cited: list[int] | None = None) -> str:
    """The passages under their numbers ([n] is citations[n-1]): with `cited` (the answer's
    "cited"), those the answer cites first, then those only retrieved under a line of their
    own; without it, all in order. When the answer cites none, only the line for those
    retrieved heads them."""
    numbered = list(enumerate(citations, 1))
    if cited is None or all(n in cited for n, _ in numbered):
        return "\nSources:\n" + "".join(f"  {cite(n, hit)}\n" for n, hit in numbered)
    used = "".join(f"  {cite(n, hit)}\n" for n, hit in numbered if n in cited)
    unused = "".join(f"  {cite(n, hit)}\n" for n, hit in numbered if n not in cited)
    if not used:  # a "Sources:" heading over nothing would read as a list left empty
        return "\nRetrieved, none cited in the answer:\n" + unused
    return "\nSources:\n" + used + "Also retrieved, not cited:\n" + unused


def searched_line(query: str, asked: str) -> str | None:
    """"Searched for: ..." when what was searched is not what was asked (a misspelt word
    respelt as the library writes it), said on stderr by `rag search` and `rag ask`, with an
    engine or without; None when it was searched as asked."""
    searched = searched_for(query, asked)
    return None if searched is None else f"Searched for: {shown(searched)}"


def passage_shown(text: str, limit: int = 300) -> str:
    """A passage's first `limit` characters under its citation, every line indented: a line
    of a document at the margin could pass for another hit ("[2] Policy (policy.pdf)
    score=12.345")."""
    return textwrap.indent(terminal_safe(text[:limit]), "    ", lambda line: True)


def shown(text: str) -> str:
    """`text` with its control characters written as escapes (`\\x1b`, `\\n`, `\\u202e`): a
    file's name or title can hold any of them, and a terminal obeys them (colours, cursor
    moves, a line break that fakes a report's line, text drawn right to left)."""
    return escaped_controls(text)


_C1_OR_DEL = re.compile("[\x7f-\x9f]")  # only inside strings in JSON: escaping keeps the value


def json_line(value: object) -> str:
    """`value` as one line of JSON whose text cannot act on a terminal: json escapes the C0
    controls, and DEL and the C1 controls (U+0080 to U+009F, CSI among them) are escaped
    here too, as JSON allows."""
    return _C1_OR_DEL.sub(lambda match: f"\\u{ord(match.group()):04x}",
                          json.dumps(value, ensure_ascii=False)) + "\n"


_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def is_text(value: str) -> bool:
    """Whether an argument is Unicode text. One of bytes that are not UTF-8 holds lone
    surrogates (Python's stand-ins for them), which no stored id, source or passage holds
    and no request can carry."""
    return not _LONE_SURROGATE.search(value)


#: how a command whose reader went away ends: as a shell reports a Unix tool stopped by
#: SIGPIPE (`yes | head -1`)
BROKEN_PIPE_EXIT = 141


def stdout_reader_gone() -> bool:
    """Whether stdout is a pipe whose reader has gone: a broken pipe of the command's own
    (to the parse worker, to a helper process) is a failure to report, not a reader that
    stopped early. Output kept in memory (no descriptor) has no reader to lose; where
    there is no poll (Windows), every broken pipe is taken for stdout's."""
    try:
        poller = select.poll()
        poller.register(sys.stdout.fileno(), select.POLLOUT)
    except (AttributeError, OSError, ValueError):
        return not hasattr(select, "poll")
    return any(events & (select.POLLERR | select.POLLHUP) for _, events in poller.poll(0))


def stdout_to_devnull() -> None:
    """Point stdout at the null device once its reader has gone (`rag docs list | head -1`),
    so that what is still buffered, flushed on the way out, cannot fail a second time (the
    signal module's documentation, "Note on SIGPIPE")."""
    with contextlib.suppress(OSError, ValueError):  # no descriptor (a test's captured stdout)
        stdout = sys.stdout.fileno()
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, stdout)
        os.close(devnull)
