"""What a PDF's text layer gets wrong that its reader never sees: accents drawn apart from
their letters, and web addresses and identifiers broken at the end of a line."""

from __future__ import annotations

import re
import unicodedata

# TeX draws an accent as a glyph of its own, before its letter, and PDF readers return it as
# the spacing accent ("Jos´e", "J¨oreskog"), which NFKC later turns into a space and a loose
# mark. Joined only on the letters that carry them in names, so that "it´s" stays as written.
_SPACING_ACCENTS = {"¨": "\u0308", "´": "\u0301", "ˆ": "\u0302", "˜": "\u0303", "ˇ": "\u030c",
                    "˚": "\u030a"}
_ACCENT_BEFORE_LETTER = re.compile("([¨´ˆ˜ˇ˚])([aeiouyAEIOUYı]|(?<=˜)[nN]|(?<=ˇ)[cszrCSZR])")

# an address whose line ends where the layout wrapped it, and the next line's first word
# both searches start where a run of non-space characters (a word, an address) does: from a
# later character of the same run they find nothing more, and read the rest of the run again
# each time, which on a long run (a hex dump, addresses run together) grows with its square
_ADDRESS_AT_LINE_END = re.compile(
    r"(?<![\w/.:#~=-])(https?://\S*[/\-_.#~])[ \t]*\n[ \t]*(?=(\S+))")
_ADDRESS_PART = re.compile(r"[/.=#_)-]")
_SECTION_NUMBER = re.compile(r"\d+(?:\.\d+)*\.?$")  # "2.5" after an address ending a sentence

# TeX lets a line break after an identifier's underscore ("LD_LIBRARY_" then "PATH")
_IDENTIFIER_AT_LINE_END = re.compile(
    r"(^[ \t]*)?(?<!\S)(\S*[A-Za-z0-9]_)[ \t]*\n[ \t]*(?=([A-Za-z0-9_]+))", re.MULTILINE)


def mended(text: str) -> str:
    """A page's text with the repairs below."""
    return joined_identifiers(joined_addresses(joined_accents(text)))


def joined_accents(text: str) -> str:
    """The text with each spacing accent drawn before its letter joined to it ("José")."""
    return _ACCENT_BEFORE_LETTER.sub(
        lambda m: unicodedata.normalize(  # TeX accents an i without its dot: "Garc´ıa"
            "NFC", m.group(2).replace("ı", "i") + _SPACING_ACCENTS[m.group(1)]), text)


def joined_addresses(text: str) -> str:
    """The text with a web address that a line end cut ("https://CRAN.R-project.org/" then
    "mirrors.html") made whole again. The next line continues the address when its first
    word is not a section number and the address cannot end there ("...wiki/R#"), or the
    word holds an address's punctuation, or the address was cut after a dot and the word
    starts in lower case or with a digit ("html", "9781611971224"): "and", "The" or "2.5"
    after an address go on with the sentence or start another."""
    def join(match: re.Match[str]) -> str:
        address, rest = match.group(1), match.group(2)
        if _SECTION_NUMBER.match(rest):
            return match.group()
        cut_after_dot = address.endswith(".") and address[-2].isalnum()  # not "...xml2)."
        if (address[-1] in "#-_~" or _ADDRESS_PART.search(rest)
                or (cut_after_dot and (rest[0].islower() or rest[0].isdigit()))):
            return address
        return match.group()

    return _ADDRESS_AT_LINE_END.sub(join, text)


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
