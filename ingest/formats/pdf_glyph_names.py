"""Symbols pdfium reads as the letter of their code: read by the name their font gives them.

A font with no ToUnicode map is read by its glyphs' names, and pdfium knows the names of the
Adobe Glyph List alone. TeX's math fonts (cmsy, cmmi, cmex), as pdfTeX embeds them, have no
ToUnicode map and no /Encoding: the font program's own encoding names each glyph, by TeX's
names ("turnstileright", "summationdisplay", "integraltext", "bardbl"), which that list lacks.
pdfium then gives such a character its code as a letter and marks it as having no Unicode
(`FPDFText_HasUnicodeMapError`): the Octave manual's output marker "⊣" read "a", a "∑" "X", a
"∫" "R", a "‖" "k". Each character so marked is read by the name its font's program gives
its code, through pypdf's table of glyph names (the Adobe Glyph List and TeX's names); one
whose name the table lacks, or whose font's program names none (a program not in Type1's text
form, or one whose glyphs the PDF names only in a /Differences array, which pdfium does not
show), keeps pdfium's letter.

A letter drawn inside the box of a symbol so read is part of it: TeX draws "©" as cmsy's circle
("circlecopyrt") with a text font's "c" set in it, which read apart gives "©c".
"""

from __future__ import annotations

import ctypes
import re
from collections.abc import Mapping, Sequence
from functools import cache

import pypdfium2.raw as pdfium_c

# a Type1 program's encoding, in its clear part before "eexec": "dup 97 /turnstileright put"
_ENCODED_GLYPH = re.compile(rb"dup\s+(\d+)\s*/([^\s/\[\]{}()<>%]+)\s+put")
_CLEAR_PART_END = b"eexec"
_UNICODE_NAME = re.compile(r"uni([0-9A-F]{4})|u([0-9A-F]{4,6})")
# pypdf's table has TeX's two turnstiles the other way round: cmsy draws turnstileleft (\vdash)
# as "⊢" and turnstileright (\dashv, Texinfo's output marker) as "⊣", as TeX's glyph list has them
_TEX_GLYPHS = {"turnstileleft": "\u22a2", "turnstileright": "\u22a3"}


def glyph_names_read(textpage, text: str, indexes: Sequence[int] | None
                     ) -> tuple[str, Sequence[int] | None]:
    """The page's `text` with each character pdfium could not map to Unicode read by its
    glyph's name where its font names it, and a letter drawn inside such a symbol left out
    (`_drawn_inside`); with the `indexes` of the characters kept. `indexes` are the text's
    characters' indexes among the page's (None: not known, and the text is left as it is)."""
    if indexes is None:
        return text, indexes
    unmapped = _unmapped_chars(textpage.raw)
    if not unmapped:
        return text, indexes
    chars = list(text)
    encodings: dict[int, dict[int, str]] = {}
    inside: set[int] = set()
    for position, index in enumerate(indexes):
        if index in unmapped:
            read = _read_by_name(textpage.raw, index, encodings)
            if read:
                chars[position] = read
                if _drawn_inside(textpage.raw, text, indexes, position):
                    inside.add(position + 1)
    kept = [position for position in range(len(chars)) if position not in inside]
    return "".join(chars[position] for position in kept), [indexes[at] for at in kept]


def _drawn_inside(raw_textpage, text: str, indexes: Sequence[int], position: int) -> bool:
    """Whether the character after the symbol at `position` is a letter whose box lies
    within the symbol's: a mark the symbol encloses, not a character of its own."""
    after = position + 1
    if after >= len(text) or not text[after].isalpha():
        return False
    outer, inner = _char_box(raw_textpage, indexes[position]), _char_box(
        raw_textpage, indexes[after])
    return (outer[0] <= inner[0] and inner[1] <= outer[1]
            and outer[2] <= inner[2] and inner[3] <= outer[3])


def _char_box(raw_textpage, index: int) -> tuple[float, float, float, float]:
    """A character's box: left, right, bottom, top."""
    box = [ctypes.c_double() for _ in range(4)]
    pdfium_c.FPDFText_GetCharBox(raw_textpage, index, *(ctypes.byref(side) for side in box))
    return box[0].value, box[1].value, box[2].value, box[3].value


def _unmapped_chars(raw_textpage) -> set[int]:
    """The indexes of the page's characters pdfium gave their code, for want of a Unicode."""
    count = pdfium_c.FPDFText_CountChars(raw_textpage)
    return {index for index in range(count)
            if pdfium_c.FPDFText_HasUnicodeMapError(raw_textpage, index) == 1}


def _read_by_name(raw_textpage, index: int, encodings: dict[int, dict[int, str]]) -> str:
    """The character at `index` as its glyph's name reads, "" where that is not known.
    `encodings` keeps each font's encoding by the font's address, read once a page."""
    code = pdfium_c.FPDFText_GetUnicode(raw_textpage, index)  # pdfium's stand-in is the code
    text_object = pdfium_c.FPDFText_GetTextObject(raw_textpage, index)
    font = pdfium_c.FPDFTextObj_GetFont(text_object) if text_object else None
    if code > 0xFF or not font:
        return ""
    address = ctypes.cast(font, ctypes.c_void_p).value or 0
    if address not in encodings:
        encodings[address] = builtin_encoding(font_program(font))
    return glyph_text(encodings[address].get(code, ""))


def font_program(font) -> bytes:
    """The font's embedded program as the PDF holds it (b"" for a font not embedded)."""
    size = ctypes.c_size_t(0)
    if not pdfium_c.FPDFFont_GetFontData(font, None, 0, ctypes.byref(size)) or not size.value:
        return b""
    buffer = (ctypes.c_uint8 * size.value)()
    if not pdfium_c.FPDFFont_GetFontData(font, buffer, size.value, ctypes.byref(size)):
        return b""
    return bytes(buffer)[:size.value]


def builtin_encoding(program: bytes) -> dict[int, str]:
    """The glyph names a Type1 font program's own encoding gives its codes; none for a
    program in another form (CFF, TrueType) or with a standard encoding."""
    clear = program.split(_CLEAR_PART_END, 1)[0]
    return {int(code): name.decode("latin-1") for code, name in _ENCODED_GLYPH.findall(clear)
            if int(code) <= 0xFF}


def glyph_text(name: str) -> str:
    """The character a glyph's name stands for ("turnstileright": "⊣", "uni2211": "∑"), ""
    for a name not known or standing for more than one character (the text keeps one
    character for each of pdfium's)."""
    name = name.split(".", 1)[0]  # a variant's suffix: "summation.display"
    text = _TEX_GLYPHS.get(name) or _glyph_table().get(f"/{name}", "")
    if not text and (match := _UNICODE_NAME.fullmatch(name)):
        code = int(match.group(1) or match.group(2), 16)
        text = chr(code) if code <= 0x10FFFF else ""
    return text if len(text) == 1 and text.isprintable() else ""


@cache
def _glyph_table() -> Mapping[str, str]:
    """pypdf's table of glyph names ("/summationdisplay": "∑"), none where a pypdf to come
    keeps it elsewhere: the symbols then keep pdfium's letters, the rest of the text is read."""
    try:
        from pypdf._codecs import adobe_glyphs
    except ImportError:
        return {}
    return adobe_glyphs
