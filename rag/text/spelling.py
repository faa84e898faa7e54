"""Words a question probably misspelt, whether a text writes them a letter apart, and the
question written as the texts write them.

People type questions fast ("throuhg", "Celsuis", "factrs"). A misspelt word matches no
term of the sparse side and none of a sentence's words, and the dense side reads it as
another word. A word is taken as possibly misspelt when it is no whole word of the bundled
WordPiece vocabulary (the embedders' bert-base-uncased one, about 22,500 English words and
names) nor shares a stem with one, nor a word of pyspellchecker's English dictionary
(128,000 words, common slips such as "recieve" left out) that the question writes in lower
case (the dictionary lists names too, which the library may never mention); the dictionary
is looked up only for a word the vocabulary lacks. Every real word of the question is left
alone, so "plane" is never read as "plant", nor "sever" as "seven", nor is "ailment" said
to be unmentioned as a slip or a product's name would be. A text holds such a word when one
of its own words is a letter apart: a letter missing, added or changed, or two neighbouring
letters swapped, after the same first letter. The question is written as the texts write
the word only when it may be a slip of theirs: not a name such as R's "readr" (no slip of
"reads", while "printr" is one of "printer" and "vinegr" of "vinegar"), "Quarto" (a
dictionary word, as "quartz" is) or a capitalised "Stata", "Gradle" or "Redis" a letter
changed or added from a word no text writes capitalised ("stats", "grade", "reds"; a
capitalised "Netwrok", "Netwok" or "Networrk", letters swapped, left out or doubled, is a
slip of "network").
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Callable, Sequence
from functools import lru_cache
from typing import TYPE_CHECKING

import snowballstemmer

from rag.text.tokens import bundled_tokenizer_path
from rag.text.words import folded, words

if TYPE_CHECKING:
    from spellchecker import SpellChecker

# shorter words are a letter apart from too many others ("caddy" and "daddy")
SHORTEST = 5
# a contraction typed without its apostrophe ("couldnt", "theyre"): texts' words split at
# the apostrophe ("couldn", "t"), so it would read as a letter apart from its first half.
# Named, not any known word and an ending: "gaint" is "giant" mistyped, not "gain't"
_CONTRACTION = re.compile(
    r"(?:could|would|should|might|must|does|did|is|was|were|are|has|have|had|need)nt"
    r"|(?:you|they|we|who|what|there)(?:re|ve|ll)|(?:could|would|should|might|must)ve"
    r"|(?:she|he|it|that)ll")


@lru_cache(maxsize=1)
def known_words() -> frozenset[str]:
    """The bundled vocabulary's whole words (empty without the weights package: then no
    word is taken as misspelt)."""
    path = bundled_tokenizer_path()
    if path is None:
        return frozenset()
    vocabulary = json.loads(path.read_text(encoding="utf-8"))["model"]["vocab"]
    return frozenset(token for token in vocabulary if token.isalpha())


@lru_cache(maxsize=1)
def _known_stems() -> frozenset[str]:
    """The stems of the vocabulary's words: a word sharing one ("sever" of "severe",
    "colonist" of "colonists") is a form of a known word, and the search's terms, which are
    stems, read it as that word's anyway."""
    stemmer = snowballstemmer.stemmer("english")
    return frozenset(map(stemmer.stemWord, known_words()))


@lru_cache(maxsize=8192)
def unknown_words(question: str) -> tuple[str, ...]:
    """The question's words the vocabulary does not know, nor a word of the same stem
    (without accents), none shorter than SHORTEST."""
    known = known_words()
    if not known:
        return ()
    stemmer = snowballstemmer.stemmer("english")  # one a call: stemmers are not thread-safe
    found = {folded(word) for word in words(question)
             if len(word) >= SHORTEST and word.isalpha() and word not in known}
    found = {word for word in found if stemmer.stemWord(word) not in _known_stems()
             and not _CONTRACTION.fullmatch(word)}
    if found:
        found -= dictionary_words() & _in_lower_case(question)
    return tuple(sorted(found))


_CASED_WORD = re.compile(r"[^\W\d_]+")  # a run of letters, as the question writes it


def _in_lower_case(question: str) -> set[str]:
    """The question's words it writes in lower case: a capitalised one may be a name
    ("Mubarak", "Specter"), which the dictionary also lists, and which the library may never
    mention."""
    return {folded(word) for word in _CASED_WORD.findall(question) if word.islower()}


@lru_cache(maxsize=1)
def _dictionary() -> SpellChecker:
    """pyspellchecker's English dictionary: read once, the first time a question holds a word
    the vocabulary lacks (its cost: docs/performance.md)."""
    from spellchecker import SpellChecker

    return SpellChecker(language="en", distance=1)


@lru_cache(maxsize=1)
def dictionary_words() -> frozenset[str]:
    """pyspellchecker's English words."""
    return frozenset(_dictionary().word_frequency.keys())


# a word typed as two joined ("dataframe", "filesystem") splits into words this long at least
SHORTEST_PART = 3
# a shorter unknown word is as often a name a letter apart from a dictionary word (R's
# "pmatch" and "patch", "agrep" and "agree") as a slip: the longer the word, the likelier a
# word a letter apart is the one meant ("diffrence")
SHORTEST_LIKELY = 7


def likely_spellings(word: str) -> list[str]:
    """What `word` (folded), which the vocabulary does not know, was probably meant to be,
    for a word of SHORTEST_LIKELY letters or more: the dictionary's words a letter apart from
    it (`letter_apart`), the most used first, then two of the vocabulary's words it writes
    joined ("data frame"), the longest first part first."""
    if len(word) < SHORTEST_LIKELY:
        return []
    dictionary = _dictionary()
    # a possessive ("trim's" for "trimws") is no spelling of a word
    near = [other for other in dictionary.candidates(word) or () if other != word
            and other.isalpha() and letter_apart(word, other)]
    near.sort(key=lambda other: (-dictionary.word_usage_frequency(other), other))
    known = known_words()
    split = [f"{word[:at]} {word[at:]}"
             for at in range(len(word) - SHORTEST_PART, SHORTEST_PART - 1, -1)
             if word[:at] in known and word[at:] in known]
    return near + split


def unwritten(question: str, texts: Sequence[str], *, meant: bool = True) -> list[str]:
    """The question's words the vocabulary does not know (`unknown_words`: a name, an
    option, a slip) that none of `texts` writes, even a letter apart, as the question
    writes them, in its order. With `meant`, a text writing the word only a letter apart as
    a word it cannot be a slip of (`_may_mean`: "Stata" and "stats") does not write it."""
    missing = [_as_asked(question, word) for word in unknown_words(question)
               if (_unmeant(question, word, texts) if meant
                   else not any(writes_apart(word, text) for text in texts))]
    return sorted(missing, key=question.find)


def _unmeant(question: str, word: str, texts: Sequence[str]) -> bool:
    """Whether no text writes `word` (folded), nor a word a letter apart it may be a slip of."""
    meant = _meant_in(question, word, texts)
    return meant is not None and not meant


def _as_asked(question: str, word: str) -> str:
    """`word` (folded) as the question writes it; folded when its accents part them."""
    found = whole_words(word).search(question)
    return found.group() if found else word


def whole_words(text: str) -> re.Pattern[str]:
    """`text`'s words in a row (or its one word), standing alone (not inside a longer word),
    in any case, whatever space parts them."""
    return re.compile(r"(?<![^\W_])" + r"\s+".join(map(re.escape, text.split()))
                      + r"(?![^\W_])", re.IGNORECASE)


def writes_apart(word: str, text: str) -> bool:
    """Whether `text` writes `word` a letter apart (or as it is)."""
    return bool(_apart_in(word, text))


def _apart_in(word: str, text: str) -> set[str]:
    """The words of `text` a letter apart from `word`, or it itself."""
    start, end = _ends_kept(word)
    if text.isascii():  # most texts hold neither: seen without reading their words
        lowered = text.lower()
        if start not in lowered and end not in lowered:
            return set()
    return {other for other in _word_set(text)
            if abs(len(other) - len(word)) <= 1 and (other.startswith(start)
                                                      or other.endswith(end))
            and letter_apart(word, other)}


def capitalised_apart(word: str, text: str) -> bool:
    """Whether `text` writes capitalised a word a letter apart from `word` (folded), not
    `word` itself: a name written otherwise ("Wang" of "Wand", "Levi" of "Lev")."""
    return any(_capitalised_in(other, text) for other in _apart_in(word, text) - {word})


def as_written(question: str, word: str, replacement: str) -> str:
    """The question with `word` (as a whole word, in any case) written as `replacement`,
    capitalised as it was."""
    def cased(match: re.Match[str]) -> str:
        asked = match.group()
        if asked.isupper():
            return replacement.upper()
        return replacement[:1].upper() + replacement[1:] if asked[:1].isupper() else replacement

    return whole_words(word).sub(cased, question)


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
    neighbouring letters swapped, after the same first letter: people seldom mistype a
    word's first letter, and names a first letter apart are other names (R's lapply,
    sapply and tapply)."""
    if one[:1] != other[:1]:
        return False
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


def corrected(question: str, texts: Sequence[str],
              held: Callable[[str], bool] | None = None) -> str:
    """The question with each word it may have misspelt that none of `texts` writes as
    asked written as they write a word a letter apart from it that it may be a slip of
    (`_may_mean`; the one most of them write, the first text's at a tie); the question as it
    is when they write none. A word `held` says the library writes is no slip, whatever
    `texts` write."""
    for word in unknown_words(question):
        near = _meant_in(question, word, texts)
        if near and not (held is not None and held(word)):
            question = as_written(question, word, near.most_common(1)[0][0])
    return question


def _meant_in(question: str, word: str, texts: Sequence[str]) -> Counter[str] | None:
    """The words of `texts` a letter apart from `word` (folded) that it may be a slip of,
    each with the number of texts writing it; None when a text writes `word` itself."""
    near: Counter[str] = Counter()
    for text in texts:
        found = _apart_in(word, text)
        if word in found:
            return None  # the texts' own word, not a misspelling
        near.update(found)
    return Counter({other: count for other, count in near.items()
                    if _may_mean(question, word, other, texts)})


# a consonant and "r" end hardly any English word ("martyr", "zephyr"), but a word with an
# "r" so added is a name of a style R's packages and web services share (readr, tidyr,
# Flickr)
_NAME_ENDING = re.compile(r"[^aeiour]r")


def _may_mean(question: str, word: str, other: str, texts: Sequence[str]) -> bool:
    """Whether `word` (folded), asked, may be a slip of `other`, a word of `texts` a letter
    apart from it. Not when both are dictionary words: the question asks about one
    ("Quarto", not "quartz"). Not when `word` is a name in the style of R's packages
    (`_r_named`) and `other` is not it with the vowel before its "r" typed (`_r_dropped`):
    "readr" is no slip of "reads", while "printr" is one of "printer". Not when the
    question names `word` (`_named`), no text writes `other` as a name is written,
    capitalised, and the two part as a slip does not (`_slip_shaped`): a name is made of a
    word by a letter changed or added ("Stata" of R's "stats", "Gradle" of "grade", "Redis"
    of "reds"), while "Netwrok" is a slip of "network" and "Gadhalfi" of "Gadhafi", which a
    text writes capitalised."""
    dictionary = dictionary_words()
    if word in dictionary and other in dictionary:
        return False
    if _r_named(word) and not _r_dropped(word, other):
        return False
    return (not _named(question, word) or any(_capitalised_in(other, text) for text in texts)
            or _slip_shaped(word, other))


def _r_named(word: str) -> bool:
    """Whether `word` is a dictionary word and an "r" after its last consonant, as names
    are made and words are not (`_NAME_ENDING`: "readr"; "vinegr", no word and "r", is
    not)."""
    return bool(_NAME_ENDING.match(word, len(word) - 2)) and word[:-1] in dictionary_words()


def _r_dropped(word: str, other: str) -> bool:
    """Whether `other` is `word` with a vowel before its final "r": the "e" of "-er" or the
    "o" of "-or" is the letter people most often leave out of such a word ("printr" for
    "printer", "routr" for "router")."""
    return (len(other) == len(word) + 1 and other.endswith("r") and other[-2] in "aeiou"
            and other[:-2] == word[:-1])


def _slip_shaped(word: str, other: str) -> bool:
    """Whether `word` is `other` as fast typing mangles a word: two neighbouring letters
    swapped ("Netwrok"), a letter left out ("Netwok", "Printr") or a letter typed twice
    ("Networrk")."""
    if len(word) < len(other):
        return True  # `letter_apart`: a letter missing from the word asked
    if len(word) > len(other):
        at = next((i for i, (a, b) in enumerate(zip(word, other, strict=False)) if a != b),
                  len(other))
        return word[at] == word[at - 1]  # the letter added repeats the one before it
    at = next(i for i, (a, b) in enumerate(zip(word, other, strict=True)) if a != b)
    return word[at + 1:at + 2] == other[at:at + 1] and word[at] == other[at + 1:at + 2]


def _named(question: str, word: str) -> bool:
    """Whether the question writes `word` (folded) capitalised, after its first word: a name.
    A question in capitals, or a word opening it, says nothing of that."""
    if question.isupper():
        return False
    asked = folded(question)
    return any(found.group()[:1].isupper() and _CASED_WORD.search(asked, 0, found.start())
               for found in whole_words(word).finditer(asked))


def _capitalised_in(word: str, text: str) -> bool:
    """Whether `text` writes `word` (folded) capitalised somewhere."""
    return any(found.group()[:1].isupper()
               for found in whole_words(word).finditer(folded(text)))
