"""Plain text and Markdown: the whole file is one page.

A Markdown file's YAML front matter (Jekyll, Hugo, Obsidian, MkDocs, a model card) is the
page's metadata, not its text: its `title` names the document and its `description` (or
`summary`) is kept as the first paragraph. Its other fields are facts a reader asks about (a
model card's license, a post's author and date), kept after the text as passages of their
own, one a field: at the text's start they would run into the first sentence an answer
quotes. Its footnotes are passages of their own as well, after the text
(`markdown_footnotes`).
"""

from __future__ import annotations

import codecs
import re
import unicodedata
from datetime import date
from pathlib import Path
from typing import Any

import charset_normalizer
import yaml

from ingest.formats.base import LoadOptions, Pages, Parsed
from ingest.formats.markdown_footnotes import footnotes_apart, plain_text, reference_marks
from ingest.formats.markdown_html import rendered
from ingest.formats.markdown_quotes import quotes_joined
from ingest.formats.markdown_tables import with_named_rows
from ingest.formats.sniffing import binary_kind, rename_hint
from rag.errors import DocumentError
from rag.types import FOOTNOTE, FRONT_MATTER

# a byte-order mark says the encoding outright; UTF-32's marks begin with UTF-16's
_MARKS = ((codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"),
          (codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"),
          (codecs.BOM_UTF16_BE, "utf-16"))
# declared single-byte Western encodings: read as without a declaration (UTF-8, else
# Windows-1252, as browsers read Latin-1), since a page declaring Latin-1 that is valid UTF-8
# is UTF-8, a common slip
_WESTERN = frozenset({"iso-8859-1", "iso8859-1", "latin-1", "latin1", "l1", "us-ascii",
                      "ascii", "windows-1252", "cp1252"})
# the block opens the file: `---`, YAML, then `---` or `...`, each on a line of its own
_FRONT_MATTER = re.compile(r"\A---[ \t]*\r?\n(.*?)\r?\n(?:---|\.\.\.)[ \t]*(?:\r?\n|\Z)",
                           re.DOTALL)
_FRONT_MATTER_MAX_CHARS = 65_536
_FIELD_NAME = re.compile(r"[A-Za-z_][\w.-]*\Z")
# fields that tell a site generator how to show the page, and say nothing about it; and those
# already read as the title and the first paragraph
_NOT_FACTS = frozenset({
    "title", "description", "summary", "layout", "permalink", "slug", "url", "template",
    "draft", "weight", "type", "toc", "toc_sticky", "comments", "sidebar", "nav_order",
    "nav_exclude", "menu", "hide", "search", "cssclass", "cssclasses", "published", "sitemap",
    "redirect_from", "aliases", "render_with_liquid", "excerpt_separator"})
# The code a Markdown comment's opening is shown in (a fenced block, a code span), or the
# opening itself: code is matched first, so a comment inside it stays
_CODE_OR_COMMENT = re.compile(
    r"^(?P<fence>`{3,}(?!`)|~{3,}(?!~)).*?^(?P=fence)|(?<!`)(?P<tick>`+)[^`]+(?P=tick)|<!--",
    re.DOTALL | re.MULTILINE)
# A text that is not UTF-8 is guessed at from its opening bytes, cut at a line's end; with
# fewer non-ASCII bytes than this the guess is a coin toss, and Windows-1252 reads it.
_GUESS_SAMPLE_BYTES = 65_536
_GUESS_MIN_NON_ASCII = 8
# the code page a legacy file is read in unless the guess reads it better
WESTERN = "cp1252"
_SCRIPT_LETTERS = frozenset({"Lu", "Ll", "Lo"})
_WINDOWS_LATIN = frozenset({"cp1250", "cp1254", "cp1257"})
_VERDICT_MIN_NON_ASCII = 40
_BETTER_BY = 0.02  # charset-normalizer's coherence: ties and near ties are no verdict
_NEVER_TURKISH = re.compile("[áéíóúæãÁÉÍÓÚÆÃ]")
# a letter or a digit of any script: what a file needs to hold text (U+FFFD, which stands for
# bytes that did not decode, is neither)
_LETTER_OR_DIGIT = re.compile(r"[^\W_]")


def decode_text(path: Path, data: bytes, declared: str | None = None) -> str:
    """The text of `data`: in the encoding its byte-order mark names (UTF-8, UTF-16 or
    UTF-32); else in `declared` (an HTML page's own charset); else UTF-8, its invalid bytes
    replaced when its valid non-ASCII characters outnumber them; else the legacy encoding
    `legacy_text` finds. Refused when no letter or digit is left besides what could not be
    decoded (`_holding_text`). Its lines end in "\n", whatever ended them in the file
    (`_with_newlines`)."""
    return _holding_text(path, _with_newlines(_decoded(path, data, declared)))


def _with_newlines(text: str) -> str:
    """`text` with each Windows (CRLF) and classic Mac (CR) line end made "\n": a carriage
    return left in a passage sends a terminal's cursor back over the line printed before it.
    Every reader of decoded text takes the three as one line end (Markdown, a browser
    reading HTML, Python's csv), so nothing else changes: a CSV cell's quoted line break
    stays a line break."""
    if "\r" not in text:
        return text
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _holding_text(path: Path, text: str) -> str:
    """`text`, when it holds a letter or a digit (of any script); else a DocumentError: with
    replacement characters, the bytes were not text in the encoding they seemed to be in
    (junk after a byte-order mark); without, nothing a search could find (punctuation,
    symbols, white space)."""
    if _LETTER_OR_DIGIT.search(text):
        return text
    if "\ufffd" in text:
        raise DocumentError("binary", f"{path}: looks like a binary file, not text")
    raise DocumentError("empty", f"{path}: the file holds no letter or digit: no text to index")


def _decoded(path: Path, data: bytes, declared: str | None) -> str:
    for mark, codec in _MARKS:
        if data.startswith(mark):
            return data.decode(codec, errors="replace")
    kind = binary_kind(data)
    if kind is not None:
        raise DocumentError("mislabelled", f"{path}: {kind.description} named "
                                           f"{path.suffix.lower() or 'without a suffix'}"
                                           f"{rename_hint(kind)}")
    if b"\x00" in data[:8192]:
        raise DocumentError("binary", f"{path}: looks like a binary file, not text")
    codec = _known_codec(declared)
    if codec is not None:
        return data.decode(codec, errors="replace")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        text = data.decode("utf-8", errors="replace")
        invalid = text.count("\ufffd")
        if sum(ord(ch) > 127 for ch in text) - invalid > invalid:
            return text
        return legacy_text(data)


def legacy_text(data: bytes) -> str:
    """Text saved in a Windows or other legacy code page (Excel's CSV, Notepad's "ANSI"):
    in the encoding charset-normalizer guesses when that reads the text as another script
    (Cyrillic, Greek, Arabic, Chinese, Japanese...) or as Latin letters that Windows-1252
    would break with symbols (Polish `Zażółć` as `Za¿ó³æ`); else in Windows-1252, which
    decodes any byte. Western text has too few telling bytes for the guess to be trusted
    over the code page most such files are in."""
    sample = data[:_GUESS_SAMPLE_BYTES]
    if len(data) > _GUESS_SAMPLE_BYTES:
        sample = sample[:sample.rfind(b"\n") + 1] or sample
    codec = WESTERN
    non_ascii = sum(byte > 127 for byte in sample)
    if non_ascii >= _GUESS_MIN_NON_ASCII:
        matches = charset_normalizer.from_bytes(sample)
        guess = matches.best()
        # a guess of UTF-16 or UTF-32 is wrong here: their text holds NULs, refused above
        if guess is not None and not guess.encoding.startswith(("utf_16", "utf_32")):
            guessed = sample.decode(guess.encoding, errors="replace")
            as_western = sample.decode(WESTERN, errors="replace")
            if (_other_script_share(guessed) > 0.5
                    or _symbols_in_words(guessed) < _symbols_in_words(as_western)
                    or _reads_better(guess, matches, non_ascii)):
                codec = guess.encoding
            else:
                codec = _told_code_page(as_western, matches) or WESTERN
    return data.decode(codec, errors="replace")


def _told_code_page(as_western: str, matches: Any) -> str | None:
    """The Windows code page among charset-normalizer's matches that the letters Windows-1252
    reads in its place tell, where its languages cannot (Czech and Danish, Turkish and
    Icelandic read as well in either): Czech's ě and ů read as ì and ù inside words, where
    Italian writes them at a word's end only, in a text without à inside words (Scottish
    Gaelic writes all three, and à most; no Czech letter reads as à); Hungarian's ő and ű as
    õ and û after letters, both (Portuguese writes õ, French û, neither both); Romanian's ş
    as º inside words (where Spanish and Portuguese write it after a number's figures), and
    its ţ as þ beside its ă as ã (Icelandic writes þ, Portuguese ã, neither both); Turkish's
    ı, ş and ğ as ý, þ and ð inside words, in a text without the letters Turkish never writes
    and those that write them have: Icelandic's á, é, í, ó, ú and æ, Romanian's ă (ţ read as
    þ) read as ã."""
    found = {match.encoding for match in matches}
    if "cp1250" in found and (
            (_inside_words("ìù", as_western) >= 2 and not _inside_words("à", as_western))
            or (_after_letters("õ", as_western) and _after_letters("û", as_western))
            or _inside_words("ºª", as_western) >= 2
            or (_inside_words("þ", as_western) >= 2 and "ã" in as_western)):
        return "cp1250"
    if ("cp1254" in found and _inside_words("ýþð", as_western) >= 2
            and not _NEVER_TURKISH.search(as_western)):
        return "cp1254"
    return None


def _inside_words(letters: str, text: str) -> int:
    return len(re.findall(rf"(?<=[^\W\d_])[{letters}](?=[^\W\d_])", text))


def _after_letters(letters: str, text: str) -> int:
    return len(re.findall(rf"(?<=[^\W\d_])[{letters}]", text))


def _reads_better(guess: Any, matches: Any, non_ascii: int) -> bool:
    """charset-normalizer's own verdict on a Windows Latin guess (Turkish's, Central
    European's, Baltic's): Windows-1252 reads the text as no language at all, or as one less
    well (Turkish's ı, ş, ğ read as ý, þ, ð). Over a sentence or two its verdict is a coin
    toss (Italian read as Vietnamese): only a text with enough letters beyond ASCII."""
    if guess.encoding not in _WINDOWS_LATIN or non_ascii < _VERDICT_MIN_NON_ASCII:
        return False
    western = next((match for match in matches if match.encoding == WESTERN), None)
    return western is None or guess.coherence > western.coherence + _BETTER_BY


def _other_script_share(text: str) -> float:
    """The share of non-ASCII letters that are not Latin. A modifier letter is none: a Mac
    code page reads Finnish's ö as "ˆ", which is no script's letter."""
    letters = [ch for ch in text if ord(ch) > 127 and unicodedata.category(ch) in _SCRIPT_LETTERS]
    latin = sum(unicodedata.name(ch, "").startswith("LATIN") for ch in letters)
    return (len(letters) - latin) / len(letters) if letters else 0.0


def _symbols_in_words(text: str) -> int:
    """Non-ASCII symbols between two letters (`¿` in `Za¿ó³æ`), as a wrong code page leaves."""
    return sum(1 for before, ch, after in zip(text, text[1:], text[2:], strict=False)
               if ord(ch) > 127 and before.isalpha() and after.isalpha() and not ch.isalpha()
               and not unicodedata.category(ch).startswith("M"))


def _known_codec(declared: str | None) -> str | None:
    """Python's codec for a declared charset; None when there is none, it is unknown or
    Western single-byte, or it is UTF-16 or UTF-32 without a byte-order mark (a browser
    reads such a page as UTF-8)."""
    if not declared:
        return None
    name = declared.strip().lower()
    if name in _WESTERN:
        return None
    try:
        codec = codecs.lookup(name).name
    except LookupError:
        return None
    return None if codec.startswith(("utf-16", "utf-32")) else codec


def load_text(path: Path, data: bytes, options: LoadOptions) -> Parsed:
    pages = Pages(path)
    pages.add(None, decode_text(path, data))
    return Parsed(path.stem, pages.pages)


def load_markdown(path: Path, data: bytes, options: LoadOptions) -> Parsed:
    fields, text = front_matter(decode_text(path, data))
    text, notes = footnotes_apart(text)
    marks = reference_marks(notes)
    text = with_named_rows(as_shown(quotes_joined(text), marks))
    title = _field(fields, "title") or first_heading(text) or path.stem
    summary = _field(fields, "description") or _field(fields, "summary")
    pages = Pages(path)
    pages.add(None, f"{summary}\n\n{text}" if summary else text)
    for note in notes:  # each its own passage, as a rendered page sets it apart
        pages.add(None, plain_text(as_shown(note.text, marks)), f"{FOOTNOTE} {note.name}")
    for fact in fact_lines(fields):  # each its own passage, found by its own words
        pages.add(None, fact, FRONT_MATTER)
    return Parsed(title, pages.pages)


def first_heading(markdown: str) -> str | None:
    """The text of the first level-1 heading (`# Setup`) outside fenced code, where a line
    may start as a heading does and be code (a shell or Python comment)."""
    prose = _CODE_OR_COMMENT.sub(_without_fenced_code, markdown)
    return next((line.lstrip("#").strip() for line in prose.splitlines()
                 if line.startswith("# ")), None)


def _without_fenced_code(found: re.Match[str]) -> str:
    """What a `_CODE_OR_COMMENT` match leaves for `first_heading` to read: nothing of a fenced
    block; a code span and a comment's opening as they are, since a heading cannot be in a
    span and `as_shown` has already taken the closed comments out."""
    return "" if found.group("fence") else found.group(0)


def fact_lines(fields: dict[str, Any]) -> list[str]:
    """The front matter's fields a reader may ask about, "license: apache-2.0", a list's
    items joined by commas; nested settings (a site's menus, a card's results) are left out,
    and so are empty fields."""
    lines = []
    for name, value in fields.items():
        if name.lower() in _NOT_FACTS:
            continue
        items = value if isinstance(value, list) else [value]
        if not all(isinstance(item, (str, int, float, bool, date)) for item in items):
            continue
        said = ", ".join(_said(item) for item in items if _said(item))
        if said:
            lines.append(f"{name}: {said}")
    return lines


def _said(value: str | float | date) -> str:
    """A YAML value as the file writes it: true, not True."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return " ".join(str(value).split())


def as_shown(markdown: str, marks: re.Pattern[str] | None = None) -> str:
    """Markdown as a reader of the page sees it: without its HTML comments (a draft's notes,
    or instructions planted for a model; a comment never closed is kept), its other HTML read
    as text (`markdown_html.rendered`), without its footnotes' references (`marks`: `[^1]`,
    drawn as a small number linking to the note), code kept as written."""
    kept: list[str] = []
    at = 0
    while (found := _CODE_OR_COMMENT.search(markdown, at)) is not None:
        if found.group(0) != "<!--":  # code, kept as written
            kept += [_rendered_piece(markdown, at, found.start(), marks), found.group(0)]
            at = found.end()
            continue
        closed = markdown.find("-->", found.end())
        if closed < 0:
            break
        kept.append(_rendered_piece(markdown, at, found.start(), marks))
        at = closed + 3
    kept.append(_rendered_piece(markdown, at, len(markdown), marks))
    return "".join(kept)


def _rendered_piece(markdown: str, start: int, end: int,
                    marks: re.Pattern[str] | None) -> str:
    """The prose from `start` to `end` read as shown, told whether it opens and closes its
    lines: the space between prose and a code span beside it is the text's, not the HTML's."""
    prose = markdown[start:end]
    return rendered(marks.sub("", prose) if marks else prose,
                    opens_line=start == 0 or markdown[start - 1] == "\n",
                    closes_line=end == len(markdown) or markdown[end] in "\r\n")


def front_matter(text: str) -> tuple[dict[Any, Any], str]:
    """A Markdown text's YAML front matter and the text after it; no fields, and the text
    whole, when it opens with none (a rule, or `---` around prose)."""
    match = _FRONT_MATTER.match(text)
    if not match or len(match.group(1)) > _FRONT_MATTER_MAX_CHARS:
        return {}, text
    try:
        fields = yaml.safe_load(match.group(1))
    except yaml.YAMLError:
        return {}, text
    if not isinstance(fields, dict) or not all(
            isinstance(key, str) and _FIELD_NAME.match(key) for key in fields):
        return {}, text  # prose between two rules, which YAML may read as a mapping
    return fields, text[match.end():]


def _field(fields: dict[Any, Any], name: str) -> str | None:
    value = fields.get(name)
    return (" ".join(value.split()) or None) if isinstance(value, str) else None
