"""What a PDF's text layer gets wrong that its reader never sees: accents drawn apart from
their letters, web addresses and identifiers broken at the end of a line, the corners of a
box drawn as glyphs, and the hyphens at a line's end that pdfium takes out of compounds
("cut-and-paste") as well as broken words."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from itertools import pairwise

# TeX draws an accent as a glyph of its own, before its letter, and PDF readers return it as
# the spacing accent ("Jos´e", "J¨oreskog"), which NFKC later turns into a space and a loose
# mark. Joined only on the letters that carry them in names, so that "it´s" stays as written.
_SPACING_ACCENTS = {"¨": "\u0308", "´": "\u0301", "ˆ": "\u0302", "˜": "\u0303", "ˇ": "\u030c",
                    "˚": "\u030a"}
_ACCENT_BEFORE_LETTER = re.compile("([¨´ˆ˜ˇ˚])([aeiouyAEIOUYı]|(?<=˜)[nN]|(?<=ˇ)[cszrCSZR])")

# a line's last word and the next line's first word. Both searches start only where a run of
# non-space characters (a word, an address) starts, and the address is then looked for inside
# the word: a search starting at each address of a run ("(https://(https://...") would read
# the rest of the run again each time, which on a long run grows with its square
_WORD_AT_LINE_END = re.compile(r"(?<!\S)(\S+)[ \t]*\n[ \t]*(?=(\S+))")
# an address opens with its scheme, or with "www." where a document leaves the scheme out
_ADDRESS_START = re.compile(r"(?<![\w/.:#~=-])(?:https?://|www\.)")
_CUT_AFTER = "/-_.#~"  # an address's last character where the layout may have broken it
_ADDRESS_PART = re.compile(r"[/.=#_)-]")
# a host after an address's scheme: a name with a dot inside ("ESS.R-project.org"), a port or
# a path ("localhost:8080", "localhost/"); a word of prose ("The", "nowadays.") is none
_HOST = re.compile(r"[^\W_][\w-]*(?:\.[^\W_]|[:/])")
_SECTION_NUMBER = re.compile(r"\d+(?:\.\d+)*\.?$")  # "2.5" after an address ending a sentence

# pdfium's mark where it took out a hyphen and the line break after it
HYPHENATION_MARK = "\x02"

# TeX lets a line break after an identifier's underscore ("LD_LIBRARY_" then "PATH")
_IDENTIFIER_AT_LINE_END = re.compile(
    r"(^[ \t]*)?(?<!\S)(\S*[A-Za-z0-9]_)[ \t]*\n[ \t]*(?=([A-Za-z0-9_]+))", re.MULTILINE)


# Texinfo draws an example's box with a corner glyph at each end of its top and bottom edges,
# which PDF readers return as dingbats on lines of their own: "☛ ✟" above, "✡ ✠" below
_BOX_CORNERS = "☛✟✡✠"
_BOX_EDGE = re.compile(rf"^[ \t]*[{_BOX_CORNERS}](?:[ \t]*[{_BOX_CORNERS}])*[ \t]*$",
                       re.MULTILINE)


def mended(text: str) -> str:
    """A page's text with the repairs below."""
    return joined_identifiers(joined_addresses(joined_accents(without_box_edges(text))))


def without_box_edges(text: str) -> str:
    """The text with each line of a Texinfo box's corners left empty: quoted, a sentence
    opened with them ("☛ ✟ Packages in ..."), and the blank line they leave keeps the box's
    example apart from the prose around it, as it is on the page."""
    if not any(corner in text for corner in _BOX_CORNERS):  # most pages: no need to look
        return text
    return _BOX_EDGE.sub("", text)


def joined_accents(text: str) -> str:
    """The text with each spacing accent drawn before its letter joined to it ("José")."""
    return _ACCENT_BEFORE_LETTER.sub(
        lambda m: unicodedata.normalize(  # TeX accents an i without its dot: "Garc´ıa"
            "NFC", m.group(2).replace("ı", "i") + _SPACING_ACCENTS[m.group(1)]), text)


def joined_addresses(text: str) -> str:
    """The text with a web address that a line end cut ("https://CRAN.R-project.org/" then
    "mirrors.html", "www.example." then "com/path") made whole again. The next line continues
    the address when its first word is not a section number and the address cannot end there
    ("...wiki/R#"), or the word holds an address's punctuation, or the address was cut after a
    dot and the word starts in lower case or with a digit ("html", "9781611971224"): "and",
    "The" or "2.5" after an address go on with the sentence or start another. An address cut
    right after its scheme ("https://" then "ESS.R-project.org/") takes the word when it names a
    host; a sentence about the scheme itself goes on with prose ("https://" then "The")."""
    def join(match: re.Match[str]) -> str:
        return match.group(1) if address_goes_on(match.group(1), match.group(2)) \
            else match.group()

    if "://" not in text and "www." not in text:  # most pages: no need to look at line ends
        return text
    return _WORD_AT_LINE_END.sub(join, text)


def address_goes_on(word: str, rest: str) -> bool:
    """Whether `rest`, the word opening a line (or a page), goes on with a web address that
    `word`, the word ending the line before, holds at its end (`joined_addresses`)."""
    start = _ADDRESS_START.search(word)
    if start is None or not rest:
        return False
    scheme_only = start.end() == len(word) and word.endswith("://")
    return _continues(word[start.start():], scheme_only, rest)


def _continues(address: str, scheme_only: bool, rest: str) -> bool:
    """Whether `rest`, the next line's first word, goes on with `address`, which ends a line
    (`scheme_only`: the address is no more than "https://")."""
    if _SECTION_NUMBER.match(rest):
        return False
    if scheme_only:
        return _HOST.match(rest) is not None
    if address[-1] not in _CUT_AFTER:
        return False
    if address.endswith(".") and not address[-2].isalnum():  # "...=haven)." ends a sentence
        return False
    cut_after_dot = address.endswith(".")
    return (address[-1] in "#-_~" or _ADDRESS_PART.search(rest) is not None
            or (cut_after_dot and (rest[0].islower() or rest[0].isdigit())))


def joined_identifiers(text: str) -> str:
    """The text with an identifier that a line end cut after an underscore ("LD_LIBRARY_"
    then "PATH", "R_" then "PreserveObject") made whole again. Inside a line of prose the
    next word always continues it. An identifier alone on its line, or one that starts with
    an underscore, may be whole already: a definition list's term ("_R_CHECK_LICENSE_" then
    "Control whether...") or one that ends the sentence's subject ("..._OUTPUT_ is set"); it
    is joined only when the next word is written in its case ("_GNU_" then "SOURCE",
    "java_unsigned_" then "conversion")."""
    def join(match: re.Match[str]) -> str:
        alone, cut, rest = match.group(1) is not None, match.group(2), match.group(3)
        if rest.startswith("_"):  # the next term of a list of them
            return match.group()
        if not alone and not cut.startswith("_"):
            return (match.group(1) or "") + cut
        letters = [c for c in cut if c.isalpha()]
        if letters and all(c.isupper() for c in letters):
            rest_letters = [c for c in rest if c.isalpha()]
            same_case = len(rest_letters) >= 2 and all(c.isupper() for c in rest_letters)
        else:
            same_case = rest[0].islower() or rest[0].isdigit()
        return (match.group(1) or "") + cut if same_case else match.group()

    return _IDENTIFIER_AT_LINE_END.sub(join, text)


# a document's words of letters, alone ("hyphenation") or joined by hyphens ("network-mounted",
# "non-empty-set"); a word a marked line end breaks; the letters ending and starting a word.
# A marked word, and a word's last letters, are looked for only where a run (of non-space
# characters, of letters) starts, so that a long run is read once, not from each of its letters
_WORD = re.compile(r"[^\W\d_]+(?:-[^\W\d_]+)*")
_MARKED_WORD = re.compile(rf"(?<!\S)[^\s{HYPHENATION_MARK}]*{HYPHENATION_MARK}\S*")
_LAST_LETTERS = re.compile(r"(?<![^\W\d_])[^\W\d_]+\Z")
_FIRST_LETTERS = re.compile(r"[^\W\d_]+")


@dataclass(frozen=True)
class Spellings:
    """How a document writes its words where no line end breaks them, case aside: the words
    ("hyphenation", "nonnegative") and the pairs of words it joins with a hyphen ("network",
    "mounted")."""

    words: frozenset[str] = field(default_factory=frozenset)
    pairs: frozenset[tuple[str, str]] = field(default_factory=frozenset)

    @classmethod
    def of(cls, texts: Iterable[str]) -> Spellings:
        """The spellings of a document's texts (pdfium's, hyphens still marked). A word
        broken at a marked line end is left out: counted joined or in halves, it would only
        repeat what is to be decided about it."""
        texts = list(texts)
        if not any(HYPHENATION_MARK in text for text in texts):  # nothing to decide
            return cls()
        words: set[str] = set()
        for text in texts:
            words.update(_WORD.findall(_MARKED_WORD.sub(" ", text).casefold()))
        pairs: set[tuple[str, str]] = set()
        for compound in [word for word in words if "-" in word]:  # few: split one by one
            parts = compound.split("-")
            words.update(parts)
            pairs.update(pairwise(parts))
        return cls(frozenset(words), frozenset(pairs))

    def hyphenated(self, left: str, right: str) -> bool | None:
        """Whether the document writes the words ending `left` and starting `right` as one
        word with a hyphen between them: False where it writes them joined ("hyphenation"),
        True where only with the hyphen ("network-mounted"), None where it writes neither."""
        before, after = _LAST_LETTERS.search(left), _FIRST_LETTERS.match(right)
        if before is None or after is None:
            return None
        pair = (before.group().casefold(), after.group().casefold())
        if "".join(pair) in self.words:
            return False
        return True if pair in self.pairs else None


NO_SPELLINGS = Spellings()


def line_end_hyphens_resolved(text: str, spellings: Spellings = NO_SPELLINGS) -> str:
    """pdfium's text with each hyphen it took out at a line end (leaving \\x02 in place of
    the hyphen and the line break) put back where the hyphen belongs to the word, and the two
    halves joined where it only broke the word: "cut-and-paste", "Springer-Verlag",
    "R-help", but "hyphenation". The document's `spellings` elsewhere settle a compound of
    two words (`keeps_hyphen`)."""
    if HYPHENATION_MARK not in text:
        return text
    pieces = text.split(HYPHENATION_MARK)
    resolved = [pieces[0]]
    for before, after in pairwise(pieces):
        kept = keeps_hyphen(_last_word(before), _first_word(after), spellings)
        resolved.append("-" if kept else "")
        resolved.append(after)
    return "".join(resolved)


def keeps_hyphen(left: str, right: str, spellings: Spellings = NO_SPELLINGS) -> bool:
    """Whether a hyphen between the words `left` and `right` belongs there, rather than
    breaking one word in two. Hyphenation breaks a plain word of letters, leaving two letters
    or more on either side, never a word that has a hyphen of its own (TeX breaks such a
    word only at its hyphens). Between two such words the document's own `spellings`
    elsewhere decide: joined where it writes them as one word ("hyphenation",
    "PostScript"), a hyphen where it writes them only with one ("network-mounted"). Where it
    writes neither, a word does not change case at the break ("DBMS-specific",
    "Springer-Verlag"), and a compound of two lower-case words ("user-defined") cannot be
    told from a broken word and is joined; a word in capitals ("PER-MITTED") is broken like
    any other."""
    if "-" in left or "-" in right:  # cut-and-|paste, --with-|blas
        return True
    if not (_two_letters(left[-2:]) and _two_letters(right[:2])):  # R-|help, UTF-|8
        return True
    written = spellings.hyphenated(left, right)
    if written is not None:
        return written
    return left[-1].isupper() != right[0].isupper()


def _two_letters(text: str) -> bool:
    return len(text) == 2 and text.isalpha()


def _last_word(text: str) -> str:
    return "" if not text or text[-1].isspace() else text.rsplit(None, 1)[-1]


def _first_word(text: str) -> str:
    return "" if not text or text[0].isspace() else text.split(None, 1)[0]
