"""Characters a name or other text shown as it was given must not be allowed to act on the
screen: the bidirectional controls, which reorder the text around them (U+202E draws
"invoice\\u202efdp.txt" as "invoicetxt.pdf", and turns the words after it on the line
backwards), and, in a one-line name, control characters and line breaks (an escape sequence
a terminal obeys, a line break that fakes a line of a report). Ingest drops them from a
document's text (`sanitize`); where text is shown as given, they are written as escapes."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Iterator

# embeddings and overrides (U+202A to U+202E), isolates (U+2066 to U+2069) and marks
BIDI_CONTROLS = re.compile("[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")
_RIGHT_TO_LEFT_CLASSES = frozenset({"R", "AL"})  # the bidirectional classes of Hebrew, Arabic


def is_right_to_left(char: str) -> bool:
    """Whether a character is a letter written right to left (Hebrew, Arabic, Persian)."""
    return unicodedata.bidirectional(char) in _RIGHT_TO_LEFT_CLASSES


def escape_bidi(text: str) -> str:
    """`text` with each bidirectional control written as its escape (`\\u202e`), visible and
    unable to reorder the text around it; its line breaks kept."""
    return BIDI_CONTROLS.sub(lambda match: f"\\u{ord(match.group()):04x}", text)


def escaped_controls(text: str) -> str:
    """A name as one line that acts on nothing: its control characters, line breaks and
    bidirectional controls written as escapes (`\\x1b`, `\\n`, `\\u202e`)."""
    if text.isprintable():  # a bidi control is not (it is a format character)
        return text
    return "".join(escaped(ch)
                   if unicodedata.category(ch) in ("Cc", "Zl", "Zp") or BIDI_CONTROLS.match(ch)
                   else ch for ch in text)


def escaped(ch: str) -> str:
    """A character as Python writes it escaped (`\\x1b`, `\\n`, `\\u202e`)."""
    return ch.encode("unicode_escape").decode("ascii")


# the escapes `escaped` writes: \x1b, \n, \u202e, \U0001xxxx
_WRITTEN_ESCAPE = re.compile(r"\\(?:x[0-9a-fA-F]{2}|u[0-9a-fA-F]{4}|U[0-9a-fA-F]{8}|[ntr])")


def unescaped_controls(text: str) -> str:
    """A name as `escaped_controls` showed it, typed back: each escape of a character it
    escapes turned back into that character (`\\u202e` into U+202E). Any other backslash
    stays as typed: `C:\\users`, `\\x41`."""
    def back(match: re.Match[str]) -> str:
        written = match.group()
        ch = written.encode("ascii").decode("unicode_escape")
        return ch if escaped_controls(ch) != ch else written

    return _WRITTEN_ESCAPE.sub(back, text)


# What a terminal acts on: OSC (a window title, a clipboard write, a link) ended by BEL or
# ST, and CSI (colours, cursor moves), in their 7- and 8-bit forms
_TERMINAL_SEQUENCE = re.compile(
    "(?:\x1b\\]|\x9d)[^\x07\x1b\x9c]*(?:\x07|\x9c|\x1b\\\\)"
    "|(?:\x1b\\[|\x9b)[0-?]*[ -/]*[@-~]"
)
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")  # all but tab and newline
# the start of an escape sequence (or of a CRLF) that a piece of streamed text may end with,
# its rest still to come: an ESC, an OSC whose end has not come (its ST may be half there),
# a CSI without its final byte
_UNFINISHED = re.compile(
    "(?:(?:\x1b\\]|\x9d)[^\x07\x1b\x9c]*\x1b?|(?:\x1b\\[|\x9b)[0-?]*[ -/]*|\x1b|\r)\\Z")
# an unfinished sequence held longer than this is no title or link a model meant: let through,
# its ESC escaped, rather than hold back the rest of the answer
_UNFINISHED_MOST = 512


def terminal_safe(text: str) -> str:
    """Text of many lines (a model's answer) as a terminal may print it: its escape sequences
    removed, and any other control character written as an escape (`\\x1b`); line breaks
    and tabs stay."""
    text = _TERMINAL_SEQUENCE.sub("", text.replace("\r\n", "\n"))
    return _CONTROL.sub(lambda match: escaped(match.group()), text)


def terminal_safe_pieces(pieces: Iterable[str]) -> Iterator[str]:
    """Streamed text (an answer as its tokens arrive) as `terminal_safe` would print it whole:
    an escape sequence split across pieces (`"\\x1b"` then `"[0m"`) is held back until its
    end comes, then removed whole; its pieces alone would each show as text."""
    held = ""
    for piece in pieces:
        text = held + piece
        cut = _unfinished_at(text)
        text, held = text[:cut], text[cut:]
        if text:
            yield terminal_safe(text)
    if held:
        yield terminal_safe(held)


def _unfinished_at(text: str) -> int:
    """Where the escape sequence `text` ends in the middle of begins; the end of `text` when
    it ends in none (or in one held too long)."""
    unfinished = _UNFINISHED.search(text)
    if unfinished is None or len(text) - unfinished.start() > _UNFINISHED_MOST:
        return len(text)
    return unfinished.start()
