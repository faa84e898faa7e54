"""A number as Excel shows it under its cell's number format: `15%` for 0.15 under `0%`,
`$1,200.50` for 1200.5 under `"$"#,##0.00`.

openpyxl gives the stored value only, and a sheet's stored value can mean something else than
what its reader saw (a rate of 0.15 is "15%" on screen, a budget under `#,##0,` is shown in
thousands). The PyPI renderers tried (excel-text) failed on common formats (accounting,
colours, `General`), so this reads the small subset that changes a number's meaning:
percent, currency symbols and literal text, decimals, thousands separators and scaling, and a
negative section. Anything else (dates, fractions, scientific notation, conditions) gives
None, and the caller keeps the stored value.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

# `[$€-407]` names a currency symbol (and a locale); `[$-409]` only a locale
_CURRENCY = re.compile(r"\[\$([^\]-]*)(?:-[0-9A-Fa-f]+)?\]")
_COLOUR = re.compile(r"\[(?:black|blue|cyan|green|magenta|red|white|yellow|color ?\d+)\]",
                     re.IGNORECASE)
_PLACEHOLDERS = re.compile(r"[0#?][0#?,]*(?:\.[0#?]*)?,*|\.[0#?]+,*")


@dataclass(frozen=True)
class Section:
    """One section of a format: text around one run of digit placeholders."""

    before: str
    after: str
    scale: Decimal  # 100 per %, 1/1000 per trailing comma
    places: int  # decimals written at most
    fixed_places: int  # decimals written even when zero ('0', not '#' or '?')
    grouped: bool  # thousands separators
    zero_before_point: bool  # '0' in the whole part: 0.5 is "0.5", else ".5"


def shown_number(value: float | int, number_format: str | None) -> str | None:
    """`value` as `number_format` shows it, or None for a format outside the subset."""
    if not number_format or number_format == "General":
        return None
    sections = _parsed(number_format)
    if sections is None:
        return None
    section, sign = sections[0], "-" if value < 0 else ""
    if value < 0 and len(sections) > 1:
        section, sign = sections[1], ""  # the section writes its own sign, if any
    elif value == 0 and len(sections) > 2:
        section = sections[2]
    return None if section is None else _written(abs(value), section, sign)


def _written(value: float | int, section: Section, sign: str) -> str | None:
    scaled = Decimal(repr(float(value))) * section.scale
    try:
        rounded = scaled.quantize(Decimal(1).scaleb(-section.places), rounding=ROUND_HALF_UP)
    except InvalidOperation:
        return None
    grouping = "," if section.grouped else ""
    number = f"{rounded:{grouping}.{section.places}f}"
    if section.places > section.fixed_places:  # '#' and '?' places write no trailing zero
        keep = len(number) - (section.places - section.fixed_places)
        number = number[:keep] + number[keep:].rstrip("0")
        number = number.rstrip(".") if section.fixed_places == 0 else number
    if not section.zero_before_point and number.startswith("0"):
        number = number[1:]
    sign = sign if rounded else ""
    return " ".join(f"{sign}{section.before}{number}{section.after}".split())


@functools.lru_cache(maxsize=256)
def _parsed(number_format: str) -> tuple[Section | None, ...] | None:
    """The format's sections, parsed once per format (a workbook holds a few); None when
    any section is outside the subset."""
    sections = _split_sections(number_format)
    if len(sections) > 4:
        return None
    parsed = tuple(_section(s) for s in sections[:3])
    return None if parsed[0] is None else parsed


def _split_sections(number_format: str) -> list[str]:
    sections, current, quoted, escaped = [], [], False, False
    for char in number_format:
        if escaped:
            escaped = False
        elif char == "\\":
            escaped = True
        elif char == '"':
            quoted = not quoted
        elif char == ";" and not quoted:
            sections.append("".join(current))
            current = []
            continue
        current.append(char)
    sections.append("".join(current))
    return sections


def _bracket_free(section: str) -> bool:
    """True when every [...] is a colour or a currency, which change no digit."""
    return "[" not in _CURRENCY.sub("", _COLOUR.sub("", section))


def _section(section: str) -> Section | None:
    if not _bracket_free(section):
        return None
    parsed = _literals(_CURRENCY.sub(lambda m: f'"{m.group(1)}"', _COLOUR.sub("", section)))
    if parsed is None:
        return None
    code, texts = parsed
    if any(c in code for c in "@Ee/") or re.search(r"[dmyhsAaBbGg]", code):
        return None  # text, scientific, fraction, date or time
    found = list(_PLACEHOLDERS.finditer(code))
    if len(found) != 1:
        return None  # no digits at all, or digits split by text (phone numbers, codes)
    start, end = found[0].span()
    if any(start < position < end for position, _ in texts):
        return None
    digits = found[0].group()
    stripped = digits.rstrip(",")
    whole, _, fraction = stripped.partition(".")
    percents = sum(text == "%" for _, text in texts)
    return Section(
        before="".join(text for position, text in texts if position <= start),
        after="".join(text for position, text in texts if position >= end),
        scale=Decimal(100) ** percents / Decimal(1000) ** (len(digits) - len(stripped)),
        places=len(fraction), fixed_places=fraction.count("0"), grouped="," in whole,
        zero_before_point="0" in whole)


def _literals(section: str) -> tuple[str, list[tuple[int, str]]] | None:
    """The section's format code with its literal text taken out, and each piece of that
    text with the position in the code where it stood: `"$"#,##0` is `#,##0`, [(0, "$")]."""
    code: list[str] = []
    texts: list[tuple[int, str]] = []
    index = 0
    while index < len(section):
        char = section[index]
        if char == '"':
            close = section.find('"', index + 1)
            if close < 0:
                return None
            texts.append((len(code), section[index + 1:close]))
            index = close + 1
            continue
        if char in "\\_*" and index + 1 < len(section):
            if char == "\\":
                texts.append((len(code), section[index + 1]))
            index += 2  # `_x` pads by the width of x and `*x` fills with x: no text
            continue
        if char in "$-+()€£¥ :%":
            texts.append((len(code), char))
        else:
            code.append(char)
        index += 1
    return "".join(code), texts
