"""Words of any script, as the keyword index reads them.

A word keeps its combining marks, which Python's `\\w` leaves out: a Hindi or Thai word's
vowel signs, the dot of a Turkish "İ" once lower-cased. Chinese, Japanese, Korean, Thai,
Lao, Khmer and Myanmar are written without spaces between words, so a run of their text is
no word a query would name: in those scripts each character is a word, and the index's pairs
of adjacent terms (`lexical.pairs`) stand for the character pairs, as the bigrams of
Lucene's CJK analyser do. Case is folded (`casefold`: "Straße" and "STRASSE" meet), and so
are Turkish's dotted and dotless i, which no other language writes. `folded` takes the accents
off a word's Latin and Greek letters, which a keyboard may leave off ("cafe" for "café").
"""

from __future__ import annotations

import itertools
import re
import unicodedata
from functools import cache

# scripts written without spaces between words; each character of them is a word
_UNSPACED = (
    "\u0e00-\u0eff"  # Thai, Lao
    "\u1000-\u109f"  # Myanmar
    "\u1100-\u11ff\u3131-\u318e\uac00-\ud7af"  # Hangul
    "\u1780-\u17ff"  # Khmer
    "\u3005-\u3007\u3021-\u3029\u3031-\u3035\u3041-\u30ff\u31f0-\u31ff"  # kana, ideographic marks
    "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f"  # Han
)


def _marks() -> str:
    """The combining marks (vowel signs, accents, virama), as a character class's ranges:
    `re` has no `\\p{M}`, so they are read from the Unicode database."""
    ranges: list[tuple[int, int]] = []
    category = unicodedata.category
    for code in itertools.chain(range(0x300, 0x20000), range(0xE0100, 0xE01F0)):
        if category(chr(code))[0] == "M":
            if ranges and ranges[-1][1] == code - 1:
                ranges[-1] = (ranges[-1][0], code)
            else:
                ranges.append((code, code))
    return "".join(chr(a) if a == b else f"{chr(a)}-{chr(b)}" for a, b in ranges)


@cache
def _word() -> re.Pattern[str]:
    """Made on first use, once a process: ASCII text, the most of it, never needs it."""
    marks = _marks()
    return re.compile(
        rf"[{_UNSPACED}][{marks}]*"  # a character of an unspaced script, with its marks
        rf"|[^\W_{_UNSPACED}]+(?:[{marks}]+[^\W_{_UNSPACED}]*)*")  # letters, digits, marks


_SPACED_WORD = re.compile(r"[^\W_]+")
_DOTLESS = str.maketrans({"ı": "i"})


def spaced_words(text: str) -> list[str]:
    """The lower-cased runs of `\\w` in `text`: the words of ASCII text, found faster, and the
    words as collections indexed before every script was read (`lexical.SPACED_SCHEME`)."""
    return _SPACED_WORD.findall(text.lower())


def spaced_word_spans(text: str) -> list[tuple[int, int]]:
    """Where `spaced_words` finds each of its words in `text` (`text[start:end]`)."""
    return [match.span() for match in _SPACED_WORD.finditer(text)]


def words(text: str) -> list[str]:
    """The case-folded words of `text`, in order."""
    if text.isascii():
        return spaced_words(text)
    text = text.casefold()
    if "ı" in text or "\u0307" in text:
        text = text.replace("i\u0307", "i").translate(_DOTLESS)
    return _word().findall(text)


# Latin letters that Unicode does not write as a letter and an accent, and that a keyboard
# without them writes so (lower case: words are case-folded first)
_PLAIN_LETTERS = str.maketrans({"ø": "o", "æ": "ae", "œ": "oe", "ł": "l", "đ": "d", "ð": "d",
                                "þ": "th", "ħ": "h"})


def folded(word: str) -> str:
    """The word without the accents of its Latin and Greek letters ("café" -> "cafe",
    "Müller" -> "Muller", "Αθήνα" -> "Αθηνα", "Łódź" -> "Lodz"). Other scripts' marks are part
    of their letters (Hindi's vowel signs, Cyrillic's "й") and stay."""
    if word.isascii():
        return word
    word = word.translate(_PLAIN_LETTERS)
    kept: list[str] = []
    accented = False  # whether the last letter takes accents off
    for char in unicodedata.normalize("NFD", word):
        if not unicodedata.combining(char):
            # Latin and Greek, and their extended letters
            accented = char <= "\u03ff" or "\u1e00" <= char <= "\u1fff"
        elif accented:
            continue
        kept.append(char)
    return unicodedata.normalize("NFC", "".join(kept))
