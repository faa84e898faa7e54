"""Rescoring fused hits by their best sentence: a reranker that needs no weights of its own.

A chunk's one vector averages everything the chunk says, and a question usually asks about one
of its sentences. So the best `candidates` fused hits (and each side's best SIDE_BEST that the
fusion ranked lower) are split into sentences, the sentences embedded with the search's own
model, and each hit's fused score raised by WEIGHT times its best sentence's cosine to the
question, by WORDS_WEIGHT times the largest share of the question's terms one of its sentences
holds (the chunk-level BM25 cannot tell a sentence holding all the question's words from words
scattered over the chunk; a word held only in another form the stemmer leaves apart, "skeleton"
for "skeletal", counts half, and one its document's title or its section's heading holds
counts as held: `lexical.term_shares`), by TYPE_WEIGHT times that share for the
best sentence also holding what the question asks for (a date for "When ...?", a name for "Who
...?": `rag.text.answer_types`), by HEADING_WEIGHT when a line of it is the question itself, an
FAQ's or a manual's heading ("2.12 What is CRAN?"), which its sentences answer without
repeating, and by ENTRY_WEIGHT when it holds the entry of a definition list that the question
names ("users: ..." for "What is the users group?", in a document where "users" and "group" are
on every line), and by MATCH_WEIGHT times how well its words match the question's word by word
(`rag.stores.word_vectors`: each question word's most alike word of the passage, in context,
weighted by the word's rarity among the candidates); the hits are then reordered, each with
its sentences' matches measured the same way (`Hit.sentence_matches`), which the extractive
answer orders its sentences by. No
cross-encoder's weights install from the package registries for offline use
(docs/evaluation.md); this uses only the model the search already has, and helped on every
development set measured.

A hit from a collection that keeps sentence vectors brings them along, made at ingest from
the chunk's own forward pass (`rag.stores.sentence_vectors`): rescoring it embeds nothing.
Hits without them (a collection filled before they were stored) have their sentences embedded
here, kept in a small in-memory LRU, since the same passages come back for related questions.
"""

from __future__ import annotations

import re
import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import replace
from functools import lru_cache

import numpy as np

from rag.providers.embedders.base import Embedder
from rag.stores import word_vectors
from rag.text import lexical, references
from rag.text.answer_types import answer_kind
from rag.text.entries import named_entries
from rag.text.question_lines import has_line, plain_line
from rag.text.sentences import sentences
from rag.types import Hit, cited_names

WEIGHT = 3.0  # the best sentence's cosine against the fused (DBSF, 0..~2.5) score
WORDS_WEIGHT = 1.0  # the best sentence's share of the question's terms (0.6 to 1.5 alike)
CANDIDATES = 20  # fused hits rescored; 10 measured worse, 30 no better
# and each side's best this many, wherever the fusion put them: a chunk only one side finds
# (a heading "2.1 What is R?", whose words are in every chunk) can still win on its sentences
SIDE_BEST = 10
HEADING_WEIGHT = 1.0  # a line that is the question: the section answering it
ENTRY_WEIGHT = 0.5  # a list's entry naming the question's subject: its definition
# a sentence holding the question's words and what it asks for (0.6 and 1 cost reddit MRR)
TYPE_WEIGHT = 0.3
# the question's words' cosines to the passage's words most like them, weighted by their
# rarity among the candidates (about 0.4 to 1): a passage saying what is asked in other words
MATCH_WEIGHT = 4.0  # 3 and 6 measured no better (docs/evaluation.md)
# "What does the FAQ say about Emacs?": the verb asks what the document holds, and matched
# word by word it would favour a passage that says "speaks" over the one on Emacs
_ASKS_ABOUT = re.compile(r"\b(say|says|said|tell|tells|told|mention|mentions|write|writes)"
                         r"(?:\s+(?:us|me))?\s+about\b", re.IGNORECASE)


class SentenceCache:
    """An LRU of sentence vectors for one embedder, filled a batch at a time."""

    def __init__(self, embedder: Embedder, size: int = 4096) -> None:
        self.embedder = embedder
        self.size = size
        self._vectors: OrderedDict[str, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()

    def __call__(self, texts: Sequence[str]) -> list[np.ndarray]:
        with self._lock:
            found = {t: self._vectors[t] for t in texts if t in self._vectors}
            for t in found:
                self._vectors.move_to_end(t)
        missing = list(dict.fromkeys(t for t in texts if t not in found))
        if missing:
            found.update(zip(missing, self.embedder.embed_documents(missing), strict=True))
            if self.size:
                with self._lock:
                    self._vectors.update((t, found[t]) for t in missing)
                    while len(self._vectors) > self.size:
                        self._vectors.popitem(last=False)
        return [found[t] for t in texts]


class SentenceRescorer:
    """`stored=False` ignores the hits' stored sentence vectors (to compare the two ways)."""

    def __init__(self, embedder: Embedder, candidates: int = CANDIDATES,
                 weight: float = WEIGHT, words_weight: float = WORDS_WEIGHT,
                 cache_size: int = 4096, stored: bool = True,
                 heading_weight: float = HEADING_WEIGHT, side_best: int = SIDE_BEST,
                 type_weight: float = TYPE_WEIGHT, entry_weight: float = ENTRY_WEIGHT,
                 match_weight: float = MATCH_WEIGHT) -> None:
        self.embedder = embedder
        self.candidates = candidates
        self.side_best = side_best
        self.weight = weight
        self.words_weight = words_weight
        self.heading_weight = heading_weight
        self.type_weight = type_weight
        self.entry_weight = entry_weight
        self.match_weight = match_weight
        self.stored = stored
        self.embedded = SentenceCache(embedder, cache_size)

    def rescore(self, question: str, query: np.ndarray, hits: Sequence[Hit],
                also: Sequence[Hit] = ()) -> list[Hit]:
        """The first `candidates` hits, and `also` (hits fused lower that one side ranked
        among its best), reordered by fused score + `weight` × best sentence cosine +
        `words_weight` × best sentence term share + `type_weight` × best term share of a
        sentence holding what the question asks for + `heading_weight` when a line is the
        question + `entry_weight` when a list's entry defines what it names (their `score`
        becomes that sum); the rest keep their order after them."""
        head = [*hits[: self.candidates], *also]
        tail = list(hits[self.candidates:])
        if len(head) < 2:
            return list(hits)
        best = self.best_cosines(query, head)
        words, typed = _best_term_shares(question, head)
        matched, by_sentence = self._word_matches(question, head)
        asked = plain_line(question)
        terms = lexical.term_set(question)
        scored = [replace(hit, score=hit.score + self.weight * cosine + self.words_weight * share
                          + self.type_weight * holding + self.match_weight * match
                          + self.heading_weight * has_line(hit.text, asked)
                          + self.entry_weight * bool(named_entries(hit.text, terms)),
                          sentence_matches=sentences)
                  for hit, cosine, share, holding, match, sentences
                  in zip(head, best, words, typed, matched, by_sentence, strict=True)]
        # ties (the same page in two files) by document and place, not by the order the
        # store wrote them in, which parallel ingest varies
        scored.sort(key=lambda h: (-h.score, h.source, h.position))
        return scored + tail

    def word_matches(self, question: str, hits: Sequence[Hit]) -> list[float]:
        """Each hit's match of the question word by word: over the question's content words
        (the verb of "say about" left out), the cosine of the hit's word most like each
        (`word_vectors.best_matches`, from the word vectors stored at ingest), weighted by
        each word's rarity among the hits (`_rarity`). A word the hit's document title or
        section heading names counts as matched, as in the term shares: every passage there
        is about it. All 0 unless every hit has stored words and the model can pool the
        question's, so that hits are never scored two ways."""
        return self._word_matches(question, hits)[0]

    def _word_matches(self, question: str, hits: Sequence[Hit]
                      ) -> tuple[list[float], list[tuple[float, ...] | None]]:
        """`word_matches`, and each hit's sentences' matches measured the same way within
        each sentence (None for a hit whose words cannot be told apart by sentence): what the
        extractive answer ranks its sentences by (`Hit.sentence_matches`)."""
        unmatched: tuple[list[float], list[tuple[float, ...] | None]] = (
            [0.0] * len(hits), [None] * len(hits))
        stored = [hit.sentence_vectors.words if hit.sentence_vectors is not None else None
                  for hit in hits]
        if not self.match_weight or any(words is None for words in stored):
            return unmatched
        asked = self.embedder.embed_query_words(question)
        if asked is None or not len(asked):
            return unmatched
        framed = {match.start(1) for match in _ASKS_ABOUT.finditer(question)}
        spans = lexical.content_spans(question)
        kept = [i for i, (start, _end) in enumerate(spans) if start not in framed]
        if not kept:
            return unmatched
        rows = word_vectors.projected(asked[kept])
        words = [lexical.term_set(question[slice(*spans[i])]) for i in kept]
        named = [lexical.term_set(cited_names(hit.title, hit.locator)) for hit in hits]
        weights = _rarity(words, [lexical.term_set(references.without_titles(hit.text)) | names
                                  for hit, names in zip(hits, named, strict=True)])
        by_sentence = [_by_sentence(hit, block) for hit, block in zip(hits, stored, strict=True)]
        # one product over every hit's sentences' words (a hit not cut by sentence: all its
        # words as one part); a hit's best word for each question word is its parts' best
        parts = [cut if cut is not None else [block]
                 for cut, block in zip(by_sentence, stored, strict=True)]
        flat = [part for cut in parts for part in cut]
        best = word_vectors.best_matches(rows, flat)
        wordless = np.array([not len(part) for part in flat])[:, None]
        starts = np.cumsum([0] + [len(cut) for cut in parts[:-1]])
        per_hit = np.maximum.reduceat(np.where(wordless, -np.inf, best), starts, axis=0)
        per_hit[np.isneginf(per_hit)] = 0.0  # a hit of no words at all
        titled = np.array([[bool(word & names) for word in words] for names in named])
        owners = np.repeat(np.arange(len(hits)), [len(cut) for cut in parts])
        matched = np.where(titled[owners], 1.0, best) @ weights
        per_sentence: list[tuple[float, ...] | None] = []
        for cut, start in zip(by_sentence, starts, strict=True):
            per_sentence.append(None if cut is None
                                else tuple(matched[start:start + len(cut)].tolist()))
        return (np.where(titled, 1.0, per_hit) @ weights).tolist(), per_sentence

    def best_cosines(self, query: np.ndarray, hits: Sequence[Hit]) -> list[float]:
        """Each hit's best sentence's cosine to the question: from its stored vectors, or
        from its sentences embedded now."""
        best = np.full(len(hits), np.nan)
        stored = {i: hit.sentence_vectors.vectors for i, hit in enumerate(hits)
                  if self.stored and hit.sentence_vectors is not None}
        if stored:  # in one product: numpy calls per hit would each wait for the lock back
            blocks = list(stored.values())
            starts = np.cumsum([0] + [len(block) for block in blocks[:-1]])
            best[list(stored)] = np.maximum.reduceat(np.concatenate(blocks) @ query, starts)
        missing = np.flatnonzero(np.isnan(best)).tolist()
        if missing:
            per_hit = [_split(hits[i]) for i in missing]
            cosines = np.stack(self.embedded([s for group in per_hit for s in group])) @ query
            at = 0
            for i, group in zip(missing, per_hit, strict=True):
                best[i] = cosines[at:at + len(group)].max()
                at += len(group)
        return best.tolist()


def _by_sentence(hit: Hit, words: np.ndarray) -> list[np.ndarray] | None:
    """A hit's stored word rows cut by its stored sentences, but the words of its
    cross-references' titles (`rag.text.references`); None when the rows do not follow its
    text's content words (`lexical.content_spans`), as ingest pools them, or a word lies
    outside every sentence."""
    found = _content_spans(hit.text)
    if hit.sentence_vectors is None or len(found) != len(words):
        return None
    if titles := references.title_spans(hit.text):
        kept = [i for i, (start, _end) in enumerate(found)
                if not references.inside_titles(titles, start)]
        words, found = words[kept], tuple(found[i] for i in kept)
    cut = word_vectors.by_span(words, found, hit.sentence_vectors.spans)
    return cut if sum(len(part) for part in cut) == len(words) else None


@lru_cache(maxsize=4096)  # the same passages come back for related questions
def _content_spans(text: str) -> tuple[tuple[int, int], ...]:
    return tuple(lexical.content_spans(text))


def _rarity(words: Sequence[frozenset[str]], held: Sequence[frozenset[str]]) -> np.ndarray:
    """Each question word's weight in the word match, summing to 1: its IDF among the
    candidates (BM25's, over the hits' terms), so that a word they all hold, which tells none
    of them apart, weighs least."""
    count = len(held)
    having = np.array([sum(bool(word & terms) for terms in held) for word in words])
    weights = np.log1p((count - having + 0.5) / (having + 0.5))
    return (weights / weights.sum()).astype(np.float32)


def _best_term_shares(question: str, hits: Sequence[Hit]) -> tuple[list[float], list[float]]:
    """Each hit's largest share of the question's terms held by one of its sentences, and by
    one that also holds what the question asks for (0 when none does, or it asks for no
    particular kind of thing)."""
    holds = answer_kind(question)
    best, typed = [], []
    for hit in hits:
        said = _sentences(hit)
        shares = lexical.term_shares(question, said, cited_names(hit.title, hit.locator))
        best.append(max(shares))
        typed.append(_best_holding(said, shares, holds) if holds else 0.0)
    return best, typed


def _best_holding(said: Sequence[str], shares: Sequence[float],
                  holds: Callable[[str], object]) -> float:
    """The largest share among the sentences holding what the question asks for. They are
    tried best share first, so the pattern (a regular expression; names, per word) runs on
    few sentences: most of a passage's share none of the question's words."""
    for share, sentence in sorted(zip(shares, said, strict=True), key=lambda pair: -pair[0]):
        if share <= 0:
            break
        if holds(sentence):
            return share
    return 0.0


def _sentences(hit: Hit) -> list[str]:
    """A hit's sentences: as its stored vectors cut it, else split now."""
    if hit.sentence_vectors is not None:
        return [hit.text[start:end] for start, end in hit.sentence_vectors.spans]
    return _split(hit)


def _split(hit: Hit) -> list[str]:
    """A hit's sentences as the answer reads them (`Hit.code_fence`, `Hit.opens_inside_code`)."""
    return sentences(hit.text, code_fence=hit.code_fence,
                     outside_code=hit.opens_inside_code is False) or [hit.text]
