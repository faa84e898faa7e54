"""Which language's rules cut a text into sentences.

sentencex knows each language's abbreviations: read with English's, Russian's "г." (year),
German's "geb." (born) and French's "av." (avenue) end sentences, and an answer quotes half of
one. The language is told by the script (Cyrillic, Greek) or, in Latin letters, by the
function words the text uses most; English unless another language's clearly outnumber its
own, so that an English passage naming "Notre-Dame de Paris" stays English.
"""

from __future__ import annotations

import re
from functools import lru_cache

ENGLISH = "en"
_SAMPLE_CHARS = 2_000  # a passage's opening says its language
_WORD = re.compile(r"[^\W\d_]+")
# the commonest words of each language that the others rarely write
_FUNCTION_WORDS = {
    ENGLISH: frozenset("the and of to is was that it for with as are this be by from".split()),
    "de": frozenset("der die und das ist nicht mit sich auf ein eine den dem des im zu".split()),
    "fr": frozenset("les des est une dans pour qui avec sur pas du au aux cette sont".split()),
    "es": frozenset("el los las que por una con para del se su al como más fue".split()),
    "it": frozenset("il che non della per sono gli anche alla nel questo è".split()),
    "pt": frozenset("não uma os que com para do da em um são ao dos das foi".split()),
    "nl": frozenset("het een van en niet zijn dat met voor op ook naar".split()),
}
_MIN_WORDS = 3  # fewer function words than this tell no language
_SURELY_ENGLISH = 3  # times " the " in a passage's opening
_SCRIPTS = (("ru", re.compile(r"[\u0400-\u04ff]")), ("el", re.compile(r"[\u0370-\u03ff]")))


def sentence_language(text: str) -> str:
    """The language whose sentence rules fit `text` (an ISO 639-1 code sentencex knows)."""
    return _language_of(text[:_SAMPLE_CHARS])


# keyed by the opening alone: a whole document kept as a key would stay in memory
@lru_cache(maxsize=4096)
def _language_of(sample: str) -> str:
    if sample.count(" the ") >= _SURELY_ENGLISH:  # most passages: no words to count
        return ENGLISH
    if sample.isascii():
        return _by_function_words(sample)
    letters = _WORD.findall(sample)
    for language, script in _SCRIPTS:
        if sum(bool(script.match(word)) for word in letters) * 2 > len(letters):
            return language
    return _by_function_words(sample)


def _by_function_words(sample: str) -> str:
    words = [word.lower() for word in _WORD.findall(sample)]
    counts = {language: sum(word in common for word in words)
              for language, common in _FUNCTION_WORDS.items()}
    best = max(counts, key=lambda language: counts[language])
    if best == ENGLISH or counts[best] < _MIN_WORDS or counts[best] <= 2 * counts[ENGLISH]:
        return ENGLISH
    return best
