"""What a PDF's text layer gets wrong that its reader never sees: accents drawn apart from
their letters, and web addresses broken at the end of a line."""

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
_ADDRESS_AT_LINE_END = re.compile(r"(https?://\S*[/\-_.#~])[ \t]*\n[ \t]*(?=(\S+))")
_ADDRESS_PART = re.compile(r"[/.=#_)-]")
_SECTION_NUMBER = re.compile(r"\d+(?:\.\d+)*\.?$")  # "2.5" after an address ending a sentence


def mended(text: str) -> str:
    """A page's text with both repairs below."""
    return joined_addresses(joined_accents(text))


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
