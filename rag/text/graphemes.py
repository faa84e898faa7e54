"""Where text may be cut between characters as a reader sees them (grapheme clusters): not
before a combining mark (a Thai vowel or tone mark, an accent written apart) or a Thai or Lao
vowel written after its letter, nor after one written before it, nor around a zero-width
joiner, nor before a variation selector, nor between a flag's two letters.

Cut there, a chunk of text without spaces (Thai, Lao) would begin on a mark with no letter
to carry it, drawn on a dotted circle, and its syllable split in two matches no query.
"""

from __future__ import annotations

import unicodedata

_JOINER = "\u200d"
# Thai's and Lao's vowels written after their syllable's letter as letters of their own
# (sara a, aa, am; Lao's a, aa, am), which Unicode's clusters keep with it
_TRAILING_VOWELS = frozenset("\u0e30\u0e32\u0e33\u0e45\u0eb0\u0eb2\u0eb3")
# and those written before it (Thai's e, ae, o, ai maimuan, ai maimalai; Lao's): no cut after
_LEADING_VOWELS = frozenset("\u0e40\u0e41\u0e42\u0e43\u0e44\u0ec0\u0ec1\u0ec2\u0ec3\u0ec4")
_FLAG_LETTERS = range(0x1F1E6, 0x1F200)  # regional indicators: two make a flag


def _joins(before: str, char: str) -> bool:
    """Whether `char` belongs to the cluster of the character `before` it, a flag's second
    letter aside (that takes counting the letters before it)."""
    return _extends(char) or before == _JOINER or before in _LEADING_VOWELS


def _extends(char: str) -> bool:
    """A combining mark, a joiner, a variation selector or a trailing Thai or Lao vowel: part
    of the character before."""
    return (unicodedata.category(char)[0] == "M" or char == _JOINER
            or "\ufe00" <= char <= "\ufe0f" or char in _TRAILING_VOWELS)


def _flag_letters_before(text: str, at: int) -> int:
    """How many regional indicators run up to `at`: an odd run ends on a flag's first."""
    count = 0
    while count < at and ord(text[at - 1 - count]) in _FLAG_LETTERS:
        count += 1
    return count


def clusters(text: str) -> list[str]:
    """`text` as its grapheme clusters, which join back into it."""
    found: list[str] = []
    for char in text:
        if found and (_joins(found[-1][-1], char) or (
                ord(char) in _FLAG_LETTERS and len(found[-1]) == 1
                and ord(found[-1]) in _FLAG_LETTERS)):  # a flag's first letter, alone so far
            found[-1] += char
        else:
            found.append(char)
    return found


def cluster_start(text: str, at: int) -> int:
    """`at`, or the nearest place before it that starts a cluster (0 at the least)."""
    while 0 < at < len(text) and (
            _joins(text[at - 1], text[at])
            or (ord(text[at]) in _FLAG_LETTERS and _flag_letters_before(text, at) % 2 == 1)):
        at -= 1
    return at
