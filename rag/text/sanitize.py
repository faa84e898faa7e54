"""Clean untrusted text before it can reach a model: what people type, and documents' text.

`clean(text)` applies, in order:

1. Unicode NFKC, so that full-width, circled or ligature letters read as the plain ones.
2. A right-to-left override run (U+202E ... U+202C) is replaced by what a reader sees: its
   characters reversed. "\u202eerongi\u202c" is shown as "ignore", and is "ignore" afterwards.
3. Control and invisible characters are dropped: zero-width characters, bidi controls, Unicode
   tag characters, variation selectors, Hangul fillers, C0/C1 controls (tab and newlines stay).
4. Chat-template and role markers are removed: `{system}`, ChatML `<|im_start|>system`,
   Llama `[INST]`, `<<SYS>>`, `<s>`, Llama 3 headers, any `<|...|>` special token, Gemma
   turns, Mistral's `[SYSTEM_PROMPT]`-style tags and `### System:` headers (at a line start or
   right after a removed marker). Markers are found on the text's `skeleton`, so Cyrillic or
   Greek look-alike letters do not hide them.

The result says what was removed, counted by kind, so that logs can record it without the
text itself (`log_removed`). Questions, conversation turns and document text at ingest all go
through this one function: a passage cannot carry a forged special token into a prompt.
"""

from __future__ import annotations

import json
import logging
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass, field

from rag.text.controls import BIDI_CONTROLS

log = logging.getLogger("rag.guard")

# --- characters ---------------------------------------------------------------------------

_KINDS: dict[str, re.Pattern[str]] = {
    "bidi": BIDI_CONTROLS,
    "tag": re.compile("[\U000e0000-\U000e007f]"),
    # format characters (zero-width space and joiners, soft hyphen, word joiner, BOM, ...),
    # variation selectors and the Hangul fillers, all drawn as nothing
    "invisible": re.compile("[\u00ad\u034f\u115f\u1160\u17b4\u17b5\u180b-\u180f\u200b-\u200d"
                            "\u2060-\u2065\u206a-\u206f\u3164\ufe00-\ufe0f\ufeff\uffa0"
                            "\ufff9-\ufffb\U0001bca0-\U0001bca3\U0001d173-\U0001d17a"
                            "\U000e0100-\U000e01ef]"),
    "control": re.compile("[\x00-\x08\x0e-\x1f\x7f-\x84\x86-\x9f]"),
}
_LINE_BREAKS = re.compile("[\x0b\x0c\x85\u2028\u2029]")
_OVERRIDE_RUN = re.compile("\u202e([^\u202a-\u202e\u2066-\u2069\n]*)(?:\u202c|(?=\n)|$)")

# Letters of other scripts drawn like Latin ones (Unicode's confusables, the common subset),
# one character for one so that positions in the skeleton are positions in the text.
_LOOK_ALIKES = str.maketrans({look: latin for look, latin in (
    # Cyrillic
    "Аa Вb Еe Ѕs Іi Јj Кk Мm Нh Оo Рp Сc Тt Хx Уy аa еe оo рp сc уy хx ѕs іi јj һh ԁd ԛq ԝw "
    "ӏl Ӏl "
    # Greek
    "Αa Βb Εe Ζz Ηh Ιi Κk Μm Νn Οo Ρp Τt Υy Χx αa οo ρp ιi υu νv κk τt "
    # Latin extensions, Armenian, small capitals
    "ıi ɑa ɡg ɩi ʏy օo սu ᴀa ᴄc ᴅd ᴇe ᴊj ᴋk ᴍm ᴏo ᴘp ᴛt ᴜu ᴠv ᴡw ᴢz"
).split()})


_ANY_LOOK_ALIKE = re.compile("[" + "".join(map(chr, _LOOK_ALIKES)) + "]")


def skeleton(text: str) -> str:
    """`text` with look-alike letters replaced by the Latin ones, position for position."""
    return text.translate(_LOOK_ALIKES) if _ANY_LOOK_ALIKE.search(text) else text


# --- markers ------------------------------------------------------------------------------

_ROLE = r"(?:system|assistant|user|human|ai|bot|developer|tool|model|instructions?)"
_HEADER_ROLE = r"(?:system|assistant|user|human|instructions?|response|input|context|prompt)"
_HEADER = r"[ \t]*#{1,6}[ \t]*" + _HEADER_ROLE + r"[ \t]*:"
#: Families of chat-template markers, checked in this order (the specific before the generic).
MARKERS: dict[str, re.Pattern[str]] = {
    "chatml": re.compile(r"<\|\s*im_(?:start|end|sep)\s*\|>(?:[ \t]*" + _ROLE + r"\b)?", re.I),
    "llama3": re.compile(r"<\|\s*start_header_id\s*\|>[^<>\n]{0,40}<\|\s*end_header_id\s*\|>",
                         re.I),
    "special_token": re.compile(r"<\|[^<>|\n]{1,60}\|>"),
    "llama2": re.compile(r"\[\s*/?\s*INST\s*\]|<<\s*/?\s*SYS\s*>>|</?s>", re.I),
    "mistral": re.compile(r"\[\s*/?\s*(?:SYSTEM_PROMPT|AVAILABLE_TOOLS|TOOL_CALLS|TOOL_RESULTS|"
                          r"TOOL_CONTENT)\s*\]", re.I),
    "gemma": re.compile(r"<\s*(?:start|end)_of_turn\s*>(?:[ \t]*(?:user|model|system)\b)?",
                        re.I),
    "role_braces": re.compile(r"\{\{?\s*" + _ROLE + r"\s*\}\}?", re.I),
    "role_header": re.compile(r"^" + _HEADER, re.I | re.M),
}
# A removed marker starts a turn as a line start does: a header right after one goes with it
_HEADER_AFTER_MARKER = re.compile(_HEADER, re.I)


@dataclass(frozen=True)
class Cleaned:
    """Cleaned text and what was taken out of it, by kind ("invisible", "chatml", ...)."""

    text: str
    removed: dict[str, int] = field(default_factory=dict)

    @property
    def changed(self) -> bool:
        return bool(self.removed)


class TooLongNormalized(ValueError):
    """NFKC made the text longer than it may be: one character can become eighteen (U+FDFA)."""


def clean(text: str, *, tidy_spaces: bool = False, max_chars: int | None = None) -> Cleaned:
    """The text with invisible characters and chat-template markers removed (see above).

    `tidy_spaces` collapses the runs of spaces a removal leaves and strips the ends (a
    question); document text keeps its layout. Past `max_chars` once normalized, it raises
    TooLongNormalized before the whole text is made.
    """
    removed: Counter[str] = Counter()
    if not text.isascii():
        text = _normalized(text, max_chars)
        text, reversed_runs = _OVERRIDE_RUN.subn(lambda m: m.group(1)[::-1], text)
        removed["bidi"] += reversed_runs
        text = _LINE_BREAKS.sub("\n", text)
        for kind, pattern in _KINDS.items():
            text, count = pattern.subn("", text)
            removed[kind] += count
    else:
        text, count = _KINDS["control"].subn("", _LINE_BREAKS.sub("\n", text))
        removed["control"] += count
    text = _remove_markers(text, removed)
    if tidy_spaces:
        text = re.sub(r"[ \t]*\n[ \t]*", "\n", re.sub(r"[ \t]{2,}", " ", text)).strip()
    return Cleaned(text, {kind: n for kind, n in removed.items() if n})


_NORMALIZED_PIECE = 65_536  # characters normalized at a time, so that a bound is kept as it goes
# Thai's and Lao's vowel AM is a letter of their alphabets, not a look-alike, but NFKC splits it
# into two signs: put back, a quote keeps the characters the document and the reader have
_AM_SPLIT = re.compile("\u0e4d\u0e32|\u0ecd\u0eb2")
_AM = {"\u0e4d\u0e32": "\u0e33", "\u0ecd\u0eb2": "\u0eb3"}


def _nfkc(text: str) -> str:
    normalized = unicodedata.normalize("NFKC", text)
    if "\u0e4d" in normalized or "\u0ecd" in normalized:
        normalized = _AM_SPLIT.sub(lambda m: _AM[m.group()], normalized)
    return normalized


def _normalized(text: str, max_chars: int | None) -> str:
    """NFKC, a piece at a time when the result is bounded: each piece ends before a character
    that combines with none before it, where normalizing apart changes nothing."""
    if max_chars is None or len(text) <= _NORMALIZED_PIECE:
        normalized = _nfkc(text)
        if max_chars is not None and len(normalized) > max_chars:
            raise TooLongNormalized(max_chars)
        return normalized
    pieces, size, start = [], 0, 0
    while start < len(text):
        end = min(start + _NORMALIZED_PIECE, len(text))
        while end < len(text) and unicodedata.combining(text[end]):
            end += 1
        piece = _nfkc(text[start:end])
        size += len(piece)
        if size > max_chars:
            raise TooLongNormalized(max_chars)
        pieces.append(piece)
        start = end
    return "".join(pieces)


def _remove_markers(text: str, removed: Counter[str]) -> str:
    seen = skeleton(text)  # cut alongside the text, so that positions stay the same
    # a marker hidden inside another is found once the outer one is gone: cut until none is
    # left (every cut shortens the text, so this ends)
    while True:
        found = False
        for family, pattern in MARKERS.items():
            spans = [m.span() for m in pattern.finditer(seen)]
            if not spans:
                continue
            found = True
            removed[family] += len(spans)
            if family != "role_header":
                spans = [_with_header_after(seen, span, removed) for span in spans]
            text, seen = _cut(text, spans), _cut(seen, spans)
        if not found:
            break
    return text


def _with_header_after(seen: str, span: tuple[int, int],
                       removed: Counter[str]) -> tuple[int, int]:
    """The marker's span, stretched over a `### Instruction:`-style header right after it."""
    header = _HEADER_AFTER_MARKER.match(seen, span[1])
    if header is None:
        return span
    removed["role_header"] += 1
    return span[0], header.end()


def _cut(text: str, spans: list[tuple[int, int]]) -> str:
    """The text without the spans; each leaves one space so that words stay apart."""
    parts, last = [], 0
    for start, end in spans:
        parts.append(text[last:start])
        last = end
    parts.append(text[last:])
    return " ".join(parts)


def log_removed(where: str, removed: dict[str, int], **context: object) -> None:
    """One log record of what cleaning removed: counts only, never the text."""
    if removed:
        record = {"event": "sanitized", "where": where, "removed": removed, **context}
        log.info(json.dumps(record), extra={"sanitized": record})
