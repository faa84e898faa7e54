"""Content a Word document imports from another file (`w:altChunk`: an HTML page, plain
text, RTF, another Word document), which web apps and HTML-to-Word converters write and Word
merges into the text when it opens the document. An HTML or plain text part's text is merged
into the body in the chunk's place, as Word shows it, so the rest of the reading finds it where
it finds a paragraph (in the body, a table cell, a content control); a part of any other kind,
or one that cannot be read, is left out, and a warning names it.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ingest.formats.base import MAX_DOCUMENT_CHARS, too_much_text
from rag.errors import DocumentError

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
IMPORTED = W + "altChunk"
R = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
IMPORTED_CHUNK = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/aFChunk"
HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})
TEXT_TYPES = frozenset({"text/plain"})
# what a warning calls the kinds Word imports that are not read here
WORD_KINDS = ("wordprocessingml.document", "wordprocessingml.template", "ms-word.")
KIND_NAMES = {"application/rtf": "RTF", "text/rtf": "RTF",
              "message/rfc822": "a web archive (MHT)"}
# characters no XML text may hold, which a decoded page may: the merged text is XML's
NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def keep_chunks_unparsed(factory) -> None:
    """Have python-docx's part `factory` read an imported chunk as a plain part (its bytes,
    unparsed), whatever its kind: the kind of another Word document's main part is a whole
    .docx package there, not XML, and parsed as XML would fail the document holding it. Every
    other part is read as python-docx chooses."""
    if not isinstance(factory.part_class_selector, ChunksUnparsed):
        factory.part_class_selector = ChunksUnparsed(factory.part_class_selector)


@dataclass(frozen=True)
class ChunksUnparsed:
    """A part class selector (python-docx's hook): a plain part for an imported chunk, the
    `chosen` selector's class for any other part."""

    chosen: Callable[[str, str], Any] | None

    def __call__(self, content_type: str, reltype: str) -> Any:
        from docx.opc.part import Part

        if reltype == IMPORTED_CHUNK:
            return Part
        return self.chosen(content_type, reltype) if self.chosen is not None else None


def merge_imported_chunks(path: Path, document) -> list[str]:
    """Put each imported chunk's text in its place in `document`'s body, a paragraph of its
    own (its blocks apart as a paragraph's lines are), as Word does on opening it; the
    warning naming the chunks left out, if any. A part is read once however many chunks
    import it, and the text merged is held to the document's bound."""
    left_out: list[str] = []
    read: dict[str, tuple[str | None, str]] = {}
    merged = 0
    for chunk in list(document.element.body.iter(IMPORTED)):
        rid = chunk.get(R + "id") or ""
        if rid not in read:
            read[rid] = chunk_text(path, rid, document.part)
        text, kind = read[rid]
        if text is None:
            left_out.append(kind)
        merged += len(text or "")
        if merged > MAX_DOCUMENT_CHARS:
            raise too_much_text(path)
        replace_with_text(chunk, text or "")
    return chunks_warning(left_out)


def chunk_text(path: Path, rid: str, part) -> tuple[str | None, str]:
    """The text of the part a chunk imports by its relationship `rid` (None when it is not
    read) and what kind of part it is, for the warning."""
    relationship = part.rels.get(rid)
    if relationship is None or relationship.is_external:
        return None, "a part missing from the file"
    imported = relationship.target_part
    content_type = imported.content_type.split(";")[0].strip().lower()
    kind = kind_name(content_type)
    if content_type not in HTML_TYPES | TEXT_TYPES:
        return None, kind
    try:
        return decoded_text(path, imported.blob, content_type), kind
    except DocumentError as exc:
        return ("", kind) if exc.reason == "empty" else (None, kind)


def decoded_text(path: Path, data: bytes, content_type: str) -> str:
    """An HTML part's visible text, laid out as an .html file's is; a plain text part's
    text as it is."""
    from ingest.formats.text import decode_text
    from ingest.formats.web import html_markup, visible

    if content_type in HTML_TYPES:
        return visible(path, html_markup(path, data))[1]
    return decode_text(path, data)


def kind_name(content_type: str) -> str:
    """A part's kind as a warning names it: "a Word document", "RTF", or its content type."""
    if any(word in content_type for word in WORD_KINDS):
        return "a Word document"
    return KIND_NAMES.get(content_type, content_type or "a part of no stated kind")


def replace_with_text(chunk, text: str) -> None:
    """Put a paragraph holding `text` where `chunk` is, or nothing when it holds none."""
    from docx.oxml.parser import OxmlElement

    parent = chunk.getparent()
    text = NOT_XML.sub("", text).strip()
    if not text:
        parent.remove(chunk)
        return
    paragraph = OxmlElement("w:p")
    paragraph.add_r().add_t(text)
    parent.replace(chunk, paragraph)


def chunks_warning(kinds: list[str]) -> list[str]:
    """One warning for the chunks left out: how many, of what kinds, and what to do."""
    if not kinds:
        return []
    count = len(kinds)
    parts, them = ("1 part", "it") if count == 1 else (f"{count:,} parts", "them")
    return [f"{parts} imported from another file ({', '.join(dict.fromkeys(kinds))}) left "
            f"out: Word merges {them} into the text when it opens the document. Open and "
            f"save it in Word, then ingest it again."]
