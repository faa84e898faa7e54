"""Word's equations (Office Math, Insert > Equation) and inserted symbols (Insert > Symbol) as
the text a reader sees in their place.

An equation is written in a linear form, as Word's own linear format types it: "A=πr^2",
"x_i", "(a+b)/2", "√(x+1)", "∑_(i=1)^n x_i": a sentence holding one keeps its formula, and a
display equation is a line of its own rather than nothing.
"""

from __future__ import annotations

import re
import unicodedata

# Office Math's namespace, as lxml spells a tag
M = "{http://schemas.openxmlformats.org/officeDocument/2006/math}"
W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
MATH = frozenset({M + "oMath", M + "oMathPara"})
MATH_RUN = M + "r"
# an argument written as is after "^", "_" or "/": a name or a number; anything longer is
# bracketed, so "e^(-x)" does not read as "e^-x"
_ATOM = re.compile(r"[\w.,′″]+|.")
_BRACKETS = {"(": ")", "[": "]", "{": "}", "|": "|", "⟨": "⟩"}
# Word's symbol fonts hold their characters at these codes, each a byte plus U+F000 (the
# private use area), which is how Word saves an inserted symbol of theirs
_SYMBOL_FONT_PAGE = 0xF000
# a few characters of Wingdings fonts that forms tick, cross and box with, and lists bullet
# with, by font: they have no encoding of their own
_DINGBATS = {
    "wingdings": {0x6C: "●", 0x6E: "■", 0x6F: "□", 0x71: "❑", 0xA7: "▪", 0xA8: "☐", 0xD8: "➢",
                  0xE8: "➔", 0xFB: "✗", 0xFC: "✓", 0xFD: "☒", 0xFE: "☑"},
    "wingdings 2": {0x4F: "✗", 0x50: "✓", 0x52: "☑", 0x54: "☒", 0xA3: "☐"},
}


def math_text(element) -> str:
    """An equation's (`m:oMath`) or a display equation's (`m:oMathPara`) text, linear."""
    if element.tag == M + "oMathPara":
        return " ".join(filter(None, (math_text(e) for e in element.iterchildren(M + "oMath"))))
    return _content(element)


def _content(element) -> str:
    """The text of `element`'s children in order, each structure written linear."""
    return "".join(_linear(child) for child in element.iterchildren())


def _linear(element) -> str:
    tag = element.tag
    if not isinstance(tag, str) or tag.endswith("Pr"):  # a comment; properties hold no text
        return ""
    if tag == MATH_RUN:
        return _run(element)
    writer = _WRITERS.get(tag)
    return writer(element) if writer is not None else _content(element)


def _run(run) -> str:
    """A math run's text; none when Word hides it or a tracked change deletes it."""
    properties = run.find(W + "rPr")
    if properties is not None and (properties.find(W + "vanish") is not None
                                   or properties.find(W + "del") is not None):
        return ""
    return "".join(t.text or "" for t in run.iterchildren(M + "t"))


def _part(element, name: str) -> str:
    found = element.find(M + name)
    return _content(found) if found is not None else ""


def _grouped(text: str) -> str:
    """`text` as one argument: as is when a name, a number or already bracketed, else in
    parentheses."""
    if _ATOM.fullmatch(text) or _bracketed(text):
        return text
    return f"({text})"


def _bracketed(text: str) -> bool:
    """Whether `text` is wholly inside one pair of round brackets: "(a+b)", not "(a)(b)"."""
    if not text.startswith("(") or not text.endswith(")"):
        return False
    depth = 0
    for at, ch in enumerate(text):
        depth += (ch == "(") - (ch == ")")
        if depth == 0 and at < len(text) - 1:
            return False
    return depth == 0


def _setting(element, properties: str, name: str, default: str) -> str:
    """A structure's setting (a delimiter's or an operator's character): `default` when the
    file leaves it out; an empty value is none at all."""
    found = element.find(f"{M}{properties}/{M}{name}")
    if found is None:
        return default
    return found.get(M + "val", "")


def _scripts(base: str, sub: str, sup: str) -> str:
    return (base + (f"_{_grouped(sub)}" if sub else "")
            + (f"^{_grouped(sup)}" if sup else ""))


def _superscript(element) -> str:
    return _scripts(_grouped(_part(element, "e")), "", _part(element, "sup"))


def _subscript(element) -> str:
    return _scripts(_grouped(_part(element, "e")), _part(element, "sub"), "")


def _sub_superscript(element) -> str:
    return _scripts(_grouped(_part(element, "e")), _part(element, "sub"), _part(element, "sup"))


def _pre_scripts(element) -> str:
    return _scripts("", _part(element, "sub"), _part(element, "sup")) + _part(element, "e")


def _fraction(element) -> str:
    return f"{_grouped(_part(element, 'num'))}/{_grouped(_part(element, 'den'))}"


def _radical(element) -> str:
    degree = _part(element, "deg")
    root = {"": "√", "3": "∛", "4": "∜"}.get(degree, f"{_grouped(degree)}√")
    return root + _grouped(_part(element, "e"))


def _delimited(element) -> str:
    """Bracketed arguments, "(" and ")" unless the file names others, split by "|" or its
    own separator."""
    opening = _setting(element, "dPr", "begChr", "(")
    closing = _setting(element, "dPr", "endChr", _BRACKETS.get(opening, ")"))
    separator = _setting(element, "dPr", "sepChr", "|")
    return opening + separator.join(_content(e) for e in element.iterchildren(M + "e")) + closing


def _n_ary(element) -> str:
    """A sum, product or integral: its operator, limits, then what it applies to."""
    operator = _setting(element, "naryPr", "chr", "∫")
    limits = _scripts(operator, _part(element, "sub"), _part(element, "sup"))
    return f"{limits} {_part(element, 'e')}"


def _function(element) -> str:
    name, argument = _part(element, "fName"), _grouped(_part(element, "e"))
    return name + argument if argument.startswith("(") else f"{name} {argument}"


def _lower_limit(element) -> str:
    return f"{_part(element, 'e')}_{_grouped(_part(element, 'lim'))}"


def _upper_limit(element) -> str:
    return f"{_part(element, 'e')}^{_grouped(_part(element, 'lim'))}"


def _rows(element) -> str:
    """An equation array's or a matrix's rows, "; " between; a matrix's cells, " " between."""
    rows = []
    for row in element.iterchildren(M + "e", M + "mr"):
        rows.append(" ".join(_content(e) for e in row.iterchildren(M + "e"))
                    if row.tag == M + "mr" else _content(row))
    return "; ".join(rows)


_WRITERS = {M + "sSup": _superscript, M + "sSub": _subscript, M + "sSubSup": _sub_superscript,
            M + "sPre": _pre_scripts, M + "f": _fraction, M + "rad": _radical,
            M + "d": _delimited, M + "nary": _n_ary, M + "func": _function,
            M + "limLow": _lower_limit, M + "limUpp": _upper_limit, M + "eqArr": _rows,
            M + "m": _rows}


def symbol_text(sym) -> str:
    """An inserted symbol's character (`w:sym`): its font's character at its code. A symbol
    font's code lies in the private use area, which no reader's text shows: the Symbol
    font's is read through Adobe's Symbol encoding ("°", "π", "≤"), a few of the Wingdings
    fonts' ticks, crosses, boxes and bullets as their Unicode look-alikes, any other font's
    as the byte it stands for; a code naming nothing printable is no text."""
    try:
        code = int(sym.get(W + "char") or "", 16)
    except ValueError:
        return ""
    font = (sym.get(W + "font") or "").strip().lower()
    if _SYMBOL_FONT_PAGE <= code <= _SYMBOL_FONT_PAGE + 0xFF:
        code -= _SYMBOL_FONT_PAGE
    if not 0 <= code <= 0x10FFFF:
        return ""
    if code > 0xFF:
        text = chr(code)
    elif font == "symbol":
        text = _symbol_encoding()[code]
    elif font.startswith(("wingdings", "webdings")):
        text = _DINGBATS.get(font, {}).get(code, "")
    else:
        text = chr(code)
    return "" if unicodedata.category(text or "\0").startswith("C") else text


def _symbol_encoding() -> list[str]:
    """Adobe's Symbol encoding (the Symbol font's characters by code), as pypdf holds it for
    PDFs' Symbol font."""
    from pypdf._codecs import charset_encoding

    return charset_encoding["/Symbol"]
