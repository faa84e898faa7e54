"""Words a question probably misspelt, and whether a text writes them a letter apart.

People type questions fast ("throuhg", "Celsuis", "factrs"). A misspelt word matches no
term of the sparse side and none of a sentence's words, so the passage it asks about loses
the share of the question's words that its other words earn. A word is taken as possibly
misspelt when it is no whole word of the bundled WordPiece vocabulary (the embedders'
bert-base-uncased one, about 22,500 English words and names): every real word of the
question that vocabulary knows is left alone, so "plane" is never read as "plant". A text
holds such a word when one of its own words is a letter apart: a letter missing, added or
changed, or two neighbouring letters swapped.
"""

from __future__ import annotations

import json
from functools import lru_cache

from rag.text.tokens import bundled_tokenizer_path
from rag.text.words import folded, words

# shorter words are a letter apart from too many others ("caddy" and "daddy")
SHORTEST = 5


@lru_cache(maxsize=1)
def known_words() -> frozenset[str]:
    """The bundled vocabulary's whole words (empty without the weights package: then no
    word is taken as misspelt)."""
    path = bundled_tokenizer_path()
    if path is None:
        return frozenset()
    vocabulary = json.loads(path.read_text(encoding="utf-8"))["model"]["vocab"]
    return frozenset(token for token in vocabulary if token.isalpha())


@lru_cache(maxsize=8192)
def unknown_words(question: str) -> tuple[str, ...]:
    """The question's words the vocabulary does not know (without accents), none shorter
    than SHORTEST."""
    known = known_words()
    if not known:
        return ()
    return tuple(sorted({folded(word) for word in words(question)
                         if len(word) >= SHORTEST and word.isalpha() and word not in known}))


def writes_apart(word: str, text: str) -> bool:
    """Whether `text` writes `word` a letter apart (or as it is)."""
    start, end = _ends_kept(word)
    if text.isascii():  # most texts hold neither: seen without reading their words
        lowered = text.lower()
        if start not in lowered and end not in lowered:
            return False
    return any(abs(len(other) - len(word)) <= 1 and (other.startswith(start)
                                                     or other.endswith(end))
               and letter_apart(word, other) for other in _word_set(text))


def _ends_kept(word: str) -> tuple[str, str]:
    """A word's start and end, one of which a letter apart leaves as it is: an edit at or
    after the middle the start before it, one before the middle the end from it."""
    middle = (len(word) + 1) // 2
    return word[:middle - 1], word[middle:]


@lru_cache(maxsize=8192)
def _word_set(text: str) -> frozenset[str]:
    """The words of `text`, without accents (the rescoring and the answer read the same
    sentences)."""
    return frozenset(map(folded, words(text)))


def letter_apart(one: str, other: str) -> bool:
    """Whether two words are the same but for a letter missing, added or changed, or two
    neighbouring letters swapped."""
    shorter, longer = sorted((one, other), key=len)
    if len(longer) - len(shorter) > 1:
        return False
    at = next((i for i, (a, b) in enumerate(zip(shorter, longer, strict=False)) if a != b),
              len(shorter))
    if len(shorter) < len(longer):
        return shorter[at:] == longer[at + 1:]
    rest = at + 2
    return (shorter[at + 1:] == longer[at + 1:]  # changed, or the same word
            or (shorter[at:rest] == longer[at:rest][::-1] and shorter[rest:] == longer[rest:]))
