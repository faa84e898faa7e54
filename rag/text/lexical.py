"""Sparse lexical vectors for hybrid search, in the shape Qdrant's IDF modifier expects.

A document vector holds each stemmed term's BM25 term-frequency weight; Qdrant multiplies it by
the term's IDF computed over the whole collection at query time, so the statistics live in
Qdrant, on a server or cluster too, and need no refit here when documents come and go. Qdrant
counts a deleted passage's terms until it rebuilds that part of its index (its vacuum, or the
embedded store's next start): its posting lists are immutable. A query vector weighs each of
its distinct terms 1.

Besides single terms, each pair of adjacent content terms ("new_york") is a term of its own:
a phrase the question shares with a passage is stronger evidence than its words scattered, and
the pair's IDF says how rare the phrase is. Pairs weigh BIGRAM_WEIGHT in the query, so the
weight can change without re-ingesting.

Words are read in any script (`rag.text.words`). A word written with accents on Latin or
Greek letters is indexed both as written and without them ("café" and "cafe"): a query typed
without accents finds it, and one typed with them ranks the passages that write them so
higher. Pairs are made of the words without accents.

A dotted name ("as.vector", "is.na", "os.path.join", `rag.text.identifiers.dotted_names`) is a
term of its own too, as written, besides its pieces: "as" and "is" are stop words, and "is.na"
is no "na". So is an operator ("&&", "<<-", "%in%", "...",
`rag.text.identifiers.operators`): its signs are no word's, and "What does %in% do?" holds no
other term. Neither counts in any text's length.

A date a question writes in figures ("16/05/2026", `rag.text.dates`) is searched as the day
it names, however a passage writes it ("16 May 2026", "May 16, 2026", "2026-05-16"): the
query holds the terms and pairs of each way; one that reads either way (05/06/2026), both
days'. A question's share of terms a sentence holds counts the day in words, which a
sentence writing it in figures holds too.

SCHEME names how document vectors are made; a collection records the scheme it was filled
with, and queries against an older collection are made the way its vectors were.
"""

from __future__ import annotations

import re
import threading
import zlib
from collections import Counter
from collections.abc import Sequence
from functools import lru_cache

import snowballstemmer

from rag.text import dates, references, spelling
from rag.text.identifiers import dotted_names, operators, without_dotted_names
from rag.text.words import folded, spaced_word_spans, spaced_words, words

K1 = 1.2
B = 0.75
AVERAGE_TERMS = 120.0  # typical content terms in a chunk; fixed so vectors never need refitting
BIGRAM_WEIGHT = 0.5  # a shared phrase counts half as much as a shared word (docs/evaluation.md)
# a question's term a sentence holds only as a variant ("skelet" of "skeleton") counts half;
# shorter starts and longer tails join other words ("plan" and "plant", "nation" and
# "nationalist"), and some words join all the same ("electr" and "electron")
VARIANT_SHARE = 0.5
VARIANT_STEM = 5
VARIANT_TAIL = 3
# a question's term that a text's document names in its title ("apache license", "in R"), or
# its section in the heading it is cited by: every sentence there is about it without saying
# so again (0.5 measured lower)
TITLE_SHARE = 1.0
# a question's word that may be misspelt (`rag.text.spelling`) and that a text writes a
# letter apart ("throuhg", "through") counts as a variant would
TYPO_SHARE = VARIANT_SHARE
SCHEME = "bm25-bigrams-5"  # single terms and adjacent pairs, BM25 tf weights, words of any
# script, accented words also without their accents, dotted names whole, and operators
OPERATORLESS_SCHEME = "bm25-bigrams-4"  # collections filled before operators were terms
UNDOTTED_SCHEME = "bm25-bigrams-3"  # collections filled before dotted names were terms
ACCENTED_SCHEME = "bm25-bigrams-2"  # collections filled before accents were taken off words
# collections filled before words were read in any script: pairs, and `\w` runs as words
SPACED_SCHEME = "bm25-bigrams-1"
UNIGRAM_SCHEME = "bm25-1"  # single terms only: collections filled before pairs were indexed
# a number written in thousands, and one of four digits or more written without them
_IN_THOUSANDS = re.compile(r"(?<![\d.,])\d{1,3}(?:,\d{3})+(?![\d,])")
_LONG_NUMBER = re.compile(r"(?<![\d.,])\d{4,}(?![\d,])")
# "3D", "3-D", "4K", "5G": not a decade's "s" ("70s")
_NUMBER_AND_LETTER = re.compile(r"(?<![\w.,-])(\d{1,2})-?([A-RT-Za-rt-z])(?![\w-])")
STOP_WORDS = frozenset(
    """
    a about above after again against all am an and any are as at be because been before being
    below between both but by can did do does doing down during each few for from further had
    has have having he her here hers herself him himself his how i if in into is it its itself
    just me more most my myself no nor not now of off on once only or other our ours ourselves
    out over own same she should so some such than that the their theirs them themselves then
    there these they this those through to too under until up very was we were what when where
    which while who whom why will with would you your yours yourself yourselves
    """.split()
)


def content_spans(text: str) -> list[tuple[int, int]]:
    """Where the text's content words lie (`text[start:end]`): its runs of `\\w` but stop
    words, each compared to the model's word pieces (`rag.stores.word_vectors`)."""
    return [(start, end) for start, end in spaced_word_spans(text)
            if text[start:end].lower() not in STOP_WORDS]


# snowballstemmer hands out PyStemmer's C stemmer (same algorithm, same stems, far faster)
# when it is installed; neither kind may be shared between threads
_stemmers = threading.local()


@lru_cache(maxsize=200_000)
def _term(word: str) -> str | None:
    """A lower-cased word's stem, or None for a stop word (cached: words repeat a lot)."""
    if word in STOP_WORDS:
        return None
    if word.isdigit():  # numbers have no suffix to strip; manuals are full of them
        return word
    stemmer = getattr(_stemmers, "english", None)
    if stemmer is None:
        stemmer = _stemmers.english = snowballstemmer.stemmer("english")
    return stemmer.stemWord(word)


@lru_cache(maxsize=200_000)
def _terms_of(word: str) -> tuple[str, str] | None:
    """A word's term, and its term without accents (the same term for most words); None for
    a stop word."""
    term = _term(word)
    if term is None:
        return None
    plain = folded(word)
    return term, ((_term(plain) or term) if plain != word else term)


def stems(text: str) -> list[str]:
    """Every word's stem in order, a stop word as written: a phrase to find in another
    ("check in" in "When is check-in?", which `terms` reads as "check" alone)."""
    return [_term(word) or word for word in words(text)]


def terms(text: str, scheme: str = SCHEME) -> list[str]:
    """Case-folded, stemmed content words, as written (read as `scheme` reads them)."""
    found = (words(text) if scheme in (SCHEME, OPERATORLESS_SCHEME, UNDOTTED_SCHEME,
                                       ACCENTED_SCHEME)
             else spaced_words(text))
    return [t for t in map(_term, found) if t is not None]


def indexed_terms(text: str, scheme: str = SCHEME) -> tuple[list[str], list[str]]:
    """The text's terms as written and, side by side, without accents (the same list when
    `scheme` predates that)."""
    if scheme not in (SCHEME, OPERATORLESS_SCHEME, UNDOTTED_SCHEME):
        written = terms(text, scheme)
        return written, written
    both = [t for t in map(_terms_of, words(text)) if t is not None]
    return [written for written, _ in both], [plain for _, plain in both]


def names_dotted(scheme: str) -> bool:
    """Whether vectors made by `scheme` hold dotted names as terms of their own."""
    return scheme in (SCHEME, OPERATORLESS_SCHEME)


def names_operators(scheme: str) -> bool:
    """Whether vectors made by `scheme` hold operators as terms of their own."""
    return scheme == SCHEME


def term_shares(question: str, texts: Sequence[str], named: str = "") -> list[float]:
    """The share of the question's distinct terms each text contains (0 for a question of
    stop words only); a term the text holds only as a variant (`variant_stubs`) counts
    VARIANT_SHARE of one, and one held only by the names the texts go by
    (`rag.types.cited_names`), TITLE_SHARE, and a word probably misspelt that the text writes
    a letter apart (`rag.text.spelling`), TYPO_SHARE. The titles of a manual's
    cross-references are none of a text's words: they are another section's
    (`rag.text.references`)."""
    asked = asked_terms(question)
    if not asked:
        return [0.0] * len(texts)
    texts = [references.without_titles(text) for text in texts]
    starts = variant_stubs(asked)
    titled = term_set(named) & asked if named else frozenset()
    said_by_each = [term_set(text) for text in texts]
    # a word the texts write as the question does is theirs, not misspelt
    unknown = [(term, word) for term, word in _unknown_terms(question)
               if term not in titled and all(term not in said for said in said_by_each)]
    if unknown and len(texts) > 1:  # most texts write none of them: one look at them all
        together = " ".join(texts)
        unknown = [(term, word) for term, word in unknown
                   if spelling.writes_apart(word, together)]
    shares = []
    for text, said in zip(texts, said_by_each, strict=True):
        said_stubs = variant_stubs(said)
        held = written = _held(asked, starts, said, said_stubs)
        if titled - said:  # the stubs of the union from the cached parts', not a new entry
            with_titled = _held(asked, starts, said | titled, said_stubs | variant_stubs(titled))
            held += TITLE_SHARE * (with_titled - written)
        misspelt = frozenset(term for term, word in unknown if spelling.writes_apart(word, text))
        if misspelt:
            held += TYPO_SHARE * (_held(asked, starts, said | misspelt, said_stubs) - written)
        shares.append(held / len(asked))
    return shares


@lru_cache(maxsize=8192)
def _unknown_terms(question: str) -> tuple[tuple[str, str], ...]:
    """The question's words that may be misspelt (`rag.text.spelling`), each with its term."""
    return tuple((terms[1], word) for word in spelling.unknown_words(question)
                 if (terms := _terms_of(word)) is not None)


def _held(asked: frozenset[str], starts: frozenset[str], said: frozenset[str],
          said_stubs: frozenset[str]) -> float:
    """How many of the asked terms `said` holds: 1 each as written, VARIANT_SHARE each held
    only as a variant. `starts` and `said_stubs` are the asked and said terms' own
    (`variant_stubs`)."""
    missing = asked - said
    if not missing:
        return len(asked)
    longer = missing & said_stubs  # an asked term is the start of a said one
    # a said term is the start of an asked one
    shorter = ({term for term in missing - longer if not said.isdisjoint(_stubs_of(term))}
               if not said.isdisjoint(starts) else set())
    return len(asked) - len(missing) + VARIANT_SHARE * (len(longer) + len(shorter))


@lru_cache(maxsize=200_000)
def _stubs_of(term: str) -> frozenset[str]:
    """A term's starts of VARIANT_STEM characters or more, at most VARIANT_TAIL shorter;
    none for a number ("100000" is no form of "1000000") or a pair ("new_york")."""
    if not term.isalpha():
        return frozenset()
    return frozenset(term[:end]
                     for end in range(max(VARIANT_STEM, len(term) - VARIANT_TAIL), len(term)))


@lru_cache(maxsize=8192)
def variant_stubs(found: frozenset[str]) -> frozenset[str]:
    """The shorter terms each of `found` is a variant of: its starts of VARIANT_STEM
    characters or more that are at most VARIANT_TAIL shorter than it. The stemmer leaves
    some forms of one word apart ("skeletal" is "skelet", "skeleton" stays "skeleton";
    "bacteria" and "bacteri"); two terms are variants when one is such a start of the
    other. Numbers and pairs have none."""
    return frozenset().union(*map(_stubs_of, found))


# the search's rescoring and the extractive answer ask it of the same sentences in turn, and
# the same passages come back for related questions
@lru_cache(maxsize=8192)
def term_set(text: str) -> frozenset[str]:
    """A text's distinct terms, without accents, its dotted names and its operators, and
    the terms of each date it writes in figures written in words ("16/05/2026" holds "may"):
    a question and a sentence share a word however either writes it."""
    found = frozenset(indexed_terms(text)[1]).union(dotted_names(text), operators(text))
    if days := dates.dates_in(text):
        found |= frozenset(indexed_terms(" ".join(
            dates.in_words(day) for _, named in days for day in named))[1])
    return found


@lru_cache(maxsize=8192)
def asked_terms(question: str) -> frozenset[str]:
    """The terms a question asks for: `term_set`, a date in figures counted as its day in
    words ("16/05/2026" as "16 May 2026", which a sentence writing it either way holds), a
    dotted name counted once, whole, not again by its pieces ("read.table" is no "read" and
    "table" asked besides)."""
    question = dates.in_words_throughout(question)
    dotted = dotted_names(question)
    if not dotted:
        return term_set(question)
    return term_set(without_dotted_names(question)).union(dotted)


@lru_cache(maxsize=200_000)
def term_index(term: str) -> int:
    """A stable index for a term (no vocabulary to store or share between processes)."""
    return zlib.crc32(term.encode("utf-8")) & 0x7FFFFFFF


def _to_sparse(weights: dict[int, float]) -> tuple[list[int], list[float]]:
    indices = sorted(weights)
    return indices, [weights[i] for i in indices]


def pairs(found: list[str]) -> list[str]:
    """Adjacent terms joined as one term ("_" never occurs inside a term)."""
    return [f"{a}_{b}" for a, b in zip(found, found[1:], strict=False)]


def document_vector(text: str, scheme: str = SCHEME) -> tuple[list[int], list[float]]:
    """BM25 term-frequency weights of a chunk's terms (as written, and without accents where
    that differs), dotted names, operators and term pairs (IDF is applied by Qdrant), its
    words read as `scheme` reads them; the length normalisation counts the terms as written.
    The titles of a manual's cross-references are left out: they are another section's words
    (`rag.text.references`)."""
    text = references.without_titles(text)
    written, plain = indexed_terms(text, scheme)
    length_norm = 1 - B + B * len(written) / AVERAGE_TERMS
    unaccented = [term for term, as_written in zip(plain, written, strict=True)
                  if term != as_written]
    whole = dotted_names(text) if names_dotted(scheme) else []
    whole += operators(text) if names_operators(scheme) else []
    weights: dict[int, float] = {}
    for counts in (Counter(written) + Counter(unaccented) + Counter(whole),
                   Counter(pairs(plain))):
        for term, tf in counts.items():
            index = term_index(term)
            weights[index] = weights.get(index, 0.0) + tf * (K1 + 1) / (tf + K1 * length_norm)
    return _to_sparse(weights)


def query_vector(text: str, scheme: str = SCHEME) -> tuple[list[int], list[float]]:
    """Each distinct query term once, as written and without accents, and each dotted name
    and operator, weight 1, and (unless the collection predates them) each distinct pair of
    adjacent terms, weight BIGRAM_WEIGHT; a number also as the other way of writing it
    (`number_forms`)."""
    written, plain = indexed_terms(text, scheme)
    joined, grouped = number_forms(text)
    dated, dated_pairs = date_forms(text)
    joined, grouped = joined + dated, grouped + dated_pairs
    if names_dotted(scheme):
        joined += dotted_names(text)
    if names_operators(scheme):
        joined += operators(text)
    weights = {term_index(term): 1.0 for term in {*written, *plain, *joined}}
    if scheme != UNIGRAM_SCHEME:
        for pair in {*pairs(plain), *grouped}:
            weights.setdefault(term_index(pair), BIGRAM_WEIGHT)
    return _to_sparse(weights)


def number_forms(text: str) -> tuple[list[str], list[str]]:
    """The numbers of `text` as a sheet or a report may write them otherwise: one written in
    thousands ("1,234,567", whose pieces are three terms) as the one term of its digits, and
    one of four digits or more ("4821937") as the pairs of its thousands' pieces ("4_821",
    "821_937"), which a passage writing "4,821,937" holds; a number with one letter written
    with a hyphen or without ("3-D", "3D", "4K") both ways, as the term "3d" and the pair
    "3_d". (joined terms, pairs)."""
    joined = [found.group().replace(",", "") for found in _IN_THOUSANDS.finditer(text)]
    grouped = [pair for found in _LONG_NUMBER.finditer(text)
               for pair in pairs(_thousands(found.group()))]
    for found in _NUMBER_AND_LETTER.finditer(text):
        number, letter = found.group(1), found.group(2).casefold()
        joined.append(f"{number}{letter}")
        grouped.append(f"{number}_{letter}")
    return joined, grouped


def date_forms(text: str) -> tuple[list[str], list[str]]:
    """The terms of each day a date in figures in `text` may name, in words ("16", "may",
    "2026"), and the pairs of each way a passage may write it (`dates.written_forms`): a
    figure alone ("5" for May) would find every passage counting anything. (terms, pairs)."""
    joined: list[str] = []
    grouped: list[str] = []
    for day in (day for _, days in dates.dates_in(text) for day in days):
        joined += indexed_terms(dates.in_words(day))[1]
        grouped += [pair for form in dates.written_forms(day)
                    for pair in pairs(indexed_terms(form)[1])]
    return joined, grouped


def _thousands(digits: str) -> list[str]:
    head = len(digits) % 3 or 3
    return [digits[:head]] + [digits[at:at + 3] for at in range(head, len(digits), 3)]
