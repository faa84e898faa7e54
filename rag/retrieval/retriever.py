"""Find the chunks that best match a question: dense, sparse (lexical) or both fused; a
question with a word it misspelt searched again as the hits found write the word; in hybrid
mode the fused candidates rescored by their best sentence; a table of contents' chunks last;
then optionally reranked.

For a question being answered (`lenient`), a question that cannot be embedded (the embedding
service is down, or the question is longer than the embedder takes) is searched by its words
alone: the sparse half needs no model. The retrieval then says so.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np

from rag.errors import AIError, InputTooLongError, first_sentence
from rag.providers.embedders.base import Embedder
from rag.providers.rerankers.base import Reranker
from rag.retrieval.cache import Cache
from rag.retrieval.rerank import rerank_or_keep
from rag.retrieval.rescoring import SentenceRescorer
from rag.stores import word_vectors
from rag.stores.base import ChunkStore
from rag.stores.fusion import ScoredIds
from rag.text import lexical, names, spelling
from rag.text.contents import is_contents
from rag.text.identifiers import (
    defines_in_a_line,
    identifiers,
    is_dotted_name,
    is_operator,
    is_option,
    short_codes,
    writes,
)
from rag.text.words import folded
from rag.types import Hit, SearchMode

log = logging.getLogger(__name__)

# the question's words looked up in the library at most, the first it writes: a question
# pasted from another text may hold hundreds the vocabulary does not know
UNHELD_LOOKUPS = 5
CODE_LOOKUP_DEPTH = 20  # passages a code's pieces find, read for the code written whole
QUERY_LOOKUP_DEPTH = 50  # and passages the question's words find, read for it first
SPELLING_LOOKUPS = 3  # a misspelt word's likely spellings looked up in the library at most
SPELLING_LOOKUP_DEPTH = 10  # passages a spelling's terms find, read for it written
SPARSE_ONLY_NOTE = ("The search matched words only: the question could not be embedded ({}).")


@dataclass(frozen=True)
class Retrieval:
    """Hits, whether a configured reranker failed (they are then in fused order), why the
    search fell back to words only (None when it did not), the query's vector (None when
    none was made), the query respelt as the library writes its misspelt words, when
    that was searched instead, and whether the query was too long to embed."""

    hits: list[Hit]
    rerank_failed: bool = False
    sparse_only: str | None = None
    vector: np.ndarray | None = None
    respelt: str | None = None
    too_long: bool = False


def _named_whole(words: list[str], runs: Sequence[str]) -> list[str]:
    """`words` with each of `runs` named whole in place of its own words among them: "World
    Cup", not "Cup" alone when the library holds "world" elsewhere."""
    within = {word for run in runs for word in run.split()}
    return [word for word in words if word not in within] + list(runs)


def _written(hit: Hit) -> str:
    """A passage's text after the names it goes by, which write a code as its words do."""
    return f"{hit.written_names()}\n{hit.text}"


# a word of pieces joined by hyphens ("Wi-Fi", "check-up")
_HYPHENATED = re.compile(r"\w+(?:-\w+)+")


def _hyphenated_whole(question: str, words: Sequence[str]) -> list[str]:
    """`words`, each piece of a hyphenated word of the question ("Wi" of "Wi-Fi") as that
    word, once: the reader asked about "Wi-Fi", not about "Wi" and "Fi"."""
    whole = {piece: word.group() for word in _HYPHENATED.finditer(question)
             for piece in word.group().split("-")}
    return list(dict.fromkeys(whole.get(word, word) for word in words))


class Retriever:
    def __init__(self, embedder: Embedder, store: ChunkStore, mode: SearchMode = "hybrid",
                 cache: Cache | None = None, reranker: Reranker | None = None,
                 rerank_candidates: int = 20, rescore: bool = True) -> None:
        self.embedder = embedder
        self.store = store
        self.mode = mode
        self.cache = cache
        self.reranker = reranker
        self.rerank_candidates = rerank_candidates
        self.rescorer = SentenceRescorer(embedder) if rescore else None

    @property
    def rerank_key(self) -> list[object] | None:
        """What reranking changes about results (None when off): part of the answer-cache key."""
        # the rescoring's settings: an answer ranked with other settings is not replayed
        key: list[object] = (["sentences", self.rescorer.weight, self.rescorer.words_weight,
                              self.rescorer.heading_weight, self.rescorer.side_best,
                              self.rescorer.type_weight, self.rescorer.entry_weight,
                              self.rescorer.match_weight, word_vectors.SCHEME,
                              lexical.VARIANT_SHARE, lexical.TITLE_SHARE, lexical.TYPO_SHARE]
                             if self.rescorer else [])
        if self.reranker is not None:
            key += [self.reranker.name, self.rerank_candidates]
        return key or None

    def embed_query(self, query: str) -> np.ndarray:
        """The query's vector, from the cache when this embedder has seen the query before."""
        if self.cache is not None:
            cached = self.cache.query_vector(self.embedder.name, query)
            if cached is not None:
                return cached
        vector = self.embedder.embed_query(query)
        if self.cache is not None:
            self.cache.set_query_vector(self.embedder.name, query, vector)
        return vector

    def search(self, query: str, top_k: int, mode: SearchMode | None = None,
               doc_id: str | None = None, source: str | None = None) -> list[Hit]:
        """The best `top_k` hits; see `retrieve` for what reranking does to them."""
        return self.retrieve(query, top_k, mode, doc_id, source).hits

    def sparse_half(self, query: str, top_k: int) -> ScoredIds:
        """The sparse side of a hybrid search, as deep as the hybrid query's own (to be fused
        later by `retrieve(sparse_side=...)`)."""
        return self.store.sparse_side(lexical.query_vector(query, self.store.lexical_scheme),
                                      self._depth(top_k, "hybrid"))

    def retrieve(self, query: str, top_k: int, mode: SearchMode | None = None,
                 doc_id: str | None = None, source: str | None = None, *,
                 lenient: bool = False,
                 sparse_side: ScoredIds | None = None) -> Retrieval:
        """The best `top_k` hits, and whether reranking failed.

        In hybrid mode the best fused hits are first rescored by their best sentence
        (`rescoring.SentenceRescorer`, when on). With a reranker, the best `rerank_candidates`
        of those (top_k when more) are then reranked and the top_k kept in the reranker's
        order; each hit's `score` is then the reranker's score. If the reranker fails, the
        top_k are returned in the order before it. `sparse_side` (from `sparse_half`, fetched
        earlier) stands for the sparse half of a hybrid search over the whole collection: only
        the dense half runs here.
        """
        mode = mode or self.mode
        dense, sparse_only, too_long = None, None, False
        if mode != "sparse":
            try:
                dense = self.embed_query(query)
            except (AIError, InputTooLongError) as exc:
                if not lenient:
                    raise
                log.warning("question embedding failed, searching by words only: %s", exc)
                mode, sparse_only = "sparse", first_sentence(exc)
                too_long = isinstance(exc, InputTooLongError)
        if sparse_side is not None and mode == "hybrid" and doc_id is None and source is None:
            depth = self._depth(top_k, mode)
            hits = self.store.search(dense, None, depth, mode, sparse_side=sparse_side,
                                     side_best=self._side_best(mode))
            retrieval = self._refine_or_respell(query, dense, hits, depth, top_k, mode)
        else:
            retrieval = self.retrieve_with(query, dense, top_k, mode, doc_id, source)
        hits = self._with_codes_written(retrieval.respelt or query, retrieval.hits, top_k,
                                        doc_id, source)
        return Retrieval(hits, retrieval.rerank_failed, sparse_only, dense, retrieval.respelt,
                         too_long)

    def _with_codes_written(self, query: str, hits: list[Hit], top_k: int,
                            doc_id: str | None, source: str | None) -> list[Hit]:
        """The hits, with a passage writing each code or name the query asks about as
        written ("--persist", "E1047") that none of them writes, in their last places: its
        pieces are common words ("persist"), which the search ranks other passages by. An
        option the hits write only in passing ("unless --persist is also specified") brings
        the passage defining it, a line of a list of options opening with it, if one does."""
        texts = [_written(hit) for hit in hits]
        codes = [(code, written) for code in identifiers(query)
                 if not (written := any(writes(text, code) for text in texts))
                 or (is_option(code) and not any(defines_in_a_line(text, code)
                                                 for text in texts))]
        if top_k < 2 or not hits or not codes:  # the best hit stays, whatever it writes
            return hits
        added: list[Hit] = []
        for code, written in codes[:UNHELD_LOOKUPS]:
            taken = {hit.chunk_id for hit in (*hits, *added)}
            writing = self._writing(query, code, taken, doc_id, source, defining=written)
            if writing is not None:
                added.append(writing)
        if not added:
            return hits
        kept = hits[:max(top_k - len(added), 1)] if len(hits) >= top_k else hits
        lowest = min(hit.score for hit in kept)
        return [*kept, *(replace(hit, score=lowest) for hit in added)][:top_k]

    def retrieve_with(self, query: str, dense: np.ndarray | None, top_k: int,
                      mode: SearchMode, doc_id: str | None = None,
                      source: str | None = None, *, respell: bool = True) -> Retrieval:
        """`retrieve` with the query's dense vector already made (None in sparse mode).

        A question with a word it may have misspelt, that none of the hits found writes as
        asked but some write a letter apart (`spelling.corrected`), is searched again as
        they write it (`respell`), its vector made anew: the sparse side found nothing for
        the word, and the dense side read it as another."""
        sparse = (lexical.query_vector(query, self.store.lexical_scheme)
                  if mode != "dense" else None)
        depth = self._depth(top_k, mode)
        hits = self.store.search(dense, sparse, depth, mode, doc_id=doc_id, source=source,
                                 side_best=self._side_best(mode))
        if respell and sparse is not None:
            return self._refine_or_respell(query, dense, hits, depth, top_k, mode, doc_id,
                                           source)
        return self._refine(query, dense, hits[:depth], top_k, mode, hits[depth:])

    def _refine_or_respell(self, query: str, dense: np.ndarray | None, hits: list[Hit],
                           depth: int, top_k: int, mode: SearchMode, doc_id: str | None = None,
                           source: str | None = None) -> Retrieval:
        """The fetched hits refined, or the question searched again respelt when they write
        a word it misspelt only a letter apart. A search of one document or source may find
        none writing a word the library writes elsewhere ("Stata"), which is then no slip;
        the whole library's search finds a passage writing it among the sparse side's best."""
        texts = [hit.text for hit in hits]
        scoped = doc_id is not None or source is not None
        respelt = spelling.corrected(query, texts, self._holds if scoped else None)
        if respelt == query:
            respelt = self._respelt_as_held(query, texts)
        if respelt != query:
            return self._respelt(respelt, dense, top_k, mode, doc_id, source)
        return self._refine(query, dense, hits[:depth], top_k, mode, hits[depth:])

    def _respelt_as_held(self, query: str, texts: Sequence[str]) -> str:
        """The question with each word it may have misspelt that none of `texts` writes,
        even a letter apart, written as the library writes it: the first of its likely
        spellings (`spelling.likely_spellings`) a passage writes. Its hits then say nothing
        of a word the question only mistyped ("diffrence"), so neither is it called
        unmentioned."""
        for word in spelling.unwritten(query, texts, meant=False)[:UNHELD_LOOKUPS]:
            spelt = next((spelt for spelt in spelling.likely_spellings(folded(word))
                          [:SPELLING_LOOKUPS] if self._writes_anywhere(spelt)), None)
            if spelt is not None:
                query = spelling.as_written(query, word, spelt)
        return query

    def _writes_anywhere(self, words: str) -> bool:
        """Whether a passage of the library writes `words` (one word, or two in a row) as
        they are, among the passages their terms find best: a passage holding only another
        word of its stem ("patched" for "patch") does not."""
        vector = lexical.query_vector(words, self.store.lexical_scheme)
        if not vector[0]:
            return False
        written = spelling.whole_words(words)
        return any(written.search(hit.text) for hit in self.store.search(
            None, vector, SPELLING_LOOKUP_DEPTH, mode="sparse"))

    def _respelt(self, respelt: str, dense: np.ndarray | None, top_k: int, mode: SearchMode,
                 doc_id: str | None = None, source: str | None = None) -> Retrieval:
        """The search of the respelt question, its vector made anew (the question's as
        asked kept when none is made, in sparse mode, or the embedder fails now)."""
        if dense is not None:
            try:
                dense = self.embed_query(respelt)
            except (AIError, InputTooLongError) as exc:
                log.warning("respelt question embedding failed, keeping the question's: %s",
                            exc)
        found = self.retrieve_with(respelt, dense, top_k, mode, doc_id, source, respell=False)
        return replace(found, respelt=respelt)

    def unheld(self, question: str, hits: Sequence[Hit]) -> tuple[str, ...]:
        """The question's words the vocabulary does not know (a name, an option, a slip)
        that none of `hits` writes, even a letter apart, and no passage of the library holds,
        and the words it writes as names ("CUDA", "PostgreSQL", `names.named_words`) that
        neither holds in any form, as the question writes them, in its order; then its codes
        and names ("E9999", "retry_timeout_ms", and a short one: "K3", `short_codes`) that
        neither writes as asked."""
        texts = [_written(hit) for hit in hits]
        words = [word for word in spelling.unwritten(question, texts)[:UNHELD_LOOKUPS]
                 if not self._holds(word)]
        words += self._unheld_names(question, texts)
        words = _named_whole(words, self._unheld_runs(question, texts))
        words = _hyphenated_whole(question, sorted(words, key=question.find))
        asked = sorted(identifiers(question) + short_codes(question), key=question.find)
        codes = [code for code in asked if code not in words
                 and not any(writes(text, code) for text in texts)][:UNHELD_LOOKUPS]
        return tuple(words + [code for code in codes if not self._holds_code(code)])

    def _unheld_names(self, question: str, texts: Sequence[str]) -> list[str]:
        """The words the question writes as names, that the vocabulary knows (the others are
        `unwritten`'s), that none of `texts` holds and no passage of the library holds, in any
        of their forms (`names.writes_name`, `names.name_forms`)."""
        unknown = set(spelling.unknown_words(question))
        named = [name for name in names.named_words(question)
                 if folded(name).lower() not in unknown]
        if not named:
            return []
        unsaid = [name for name in named
                  if not any(names.writes_name(text, name) for text in texts)]
        return [name for name in unsaid[:UNHELD_LOOKUPS] if not self._holds_any(name)]

    def _unheld_runs(self, question: str, texts: Sequence[str]) -> list[str]:
        """The names of several words the question writes (`names.named_runs`: "World Cup")
        that none of `texts` writes in a row and no passage of the library does, though it
        may hold each word apart."""
        unsaid = [run for run in names.named_runs(question)
                  if not any(spelling.whole_words(run).search(text) for text in texts)]
        return [run for run in unsaid[:UNHELD_LOOKUPS] if not self._writes_anywhere(run)]

    def _holds_any(self, name: str) -> bool:
        """Whether a passage of the library holds one of the name's forms (a name of no term:
        it cannot tell)."""
        vector = lexical.query_vector(" ".join(names.name_forms(name)),
                                      self.store.lexical_scheme)
        return not vector[0] or bool(self.store.sparse_side(vector, 1))

    def _writing(self, query: str, code: str, taken: set[str], doc_id: str | None,
                 source: str | None, *, defining: bool = False) -> Hit | None:
        """The passage that best writes `code` as asked, not one of `taken`: among those the
        query's words find, else those the code's pieces find; one opening a line with it
        first (a list of options or codes defines each so), a contents' or an index's line
        naming it ("--persist . . . 17") only where no other passage writes it. `defining`:
        only one opening a line with it."""
        found: list[Hit] = []
        for text, depth in ((query, QUERY_LOOKUP_DEPTH), (code, CODE_LOOKUP_DEPTH)):
            vector = lexical.query_vector(text, self.store.lexical_scheme)
            if vector[0]:
                found += self.store.search(None, vector, depth, mode="sparse", doc_id=doc_id,
                                           source=source)
        writing = [hit for hit in found if hit.chunk_id not in taken
                   and writes(_written(hit), code)]
        if defining:
            writing = [hit for hit in writing
                       if defines_in_a_line(hit.text, code) and not is_contents(hit.text)]
        return min(writing, key=lambda hit: (is_contents(hit.text),
                                             not defines_in_a_line(hit.text, code)),
                   default=None)

    def _holds(self, word: str) -> bool:
        """Whether a passage of the library holds `word` (a word of no term: it cannot tell)."""
        vector = lexical.query_vector(word, self.store.lexical_scheme)
        return not vector[0] or bool(self.store.sparse_side(vector, 1))

    def _holds_code(self, code: str) -> bool:
        """Whether a passage of the library writes `code` as asked: among those its pieces'
        terms find best, where a passage holding it all ranks high. A dotted name or an
        operator in a collection that keeps no such terms cannot be told: its pieces ("as",
        "vector"; the "o" of "%o%") are stop words or common ones, or none."""
        scheme = self.store.lexical_scheme
        if ((is_dotted_name(code) and not lexical.names_dotted(scheme))
                or (is_operator(code) and not lexical.names_operators(scheme))):
            return True
        vector = lexical.query_vector(code, scheme)
        found = self.store.search(None, vector, CODE_LOOKUP_DEPTH, mode="sparse")
        return not vector[0] or any(writes(_written(hit), code) for hit in found)

    def _depth(self, top_k: int, mode: SearchMode) -> int:
        """Candidates to fetch: enough for the rescorer and the reranker to choose from."""
        depth = top_k
        if self.rescorer and mode == "hybrid":
            depth = max(depth, self.rescorer.candidates)
        if self.reranker:
            depth = max(depth, self.rerank_candidates)
        return depth

    def _side_best(self, mode: SearchMode) -> int:
        """Each side's best fetched beyond the fused candidates, for the rescorer."""
        return self.rescorer.side_best if self.rescorer and mode == "hybrid" else 0

    def _refine(self, query: str, dense: np.ndarray | None, hits: list[Hit], top_k: int,
                mode: SearchMode, side_best: Sequence[Hit] = ()) -> Retrieval:
        """The fetched candidates (and `side_best`, each side's best the fusion ranked
        lower) rescored by sentence (hybrid), then reranked, cut to top_k. Passages of a
        table of contents go after the others: they match a question by its headings' words
        and cite the contents page."""
        if self.rescorer and mode == "hybrid" and dense is not None:
            hits = self.rescorer.rescore(query, dense, hits, side_best)
        hits = sorted(hits, key=lambda hit: is_contents(hit.text))  # stable: order kept
        if self.reranker is None:
            return Retrieval(hits[:top_k])
        # never fewer than top_k: a passage left out of the reranking is not to be lost
        reranked, ok = rerank_or_keep(self.reranker, query,
                                      hits[: max(self.rerank_candidates, top_k)], top_k)
        return Retrieval(reranked, rerank_failed=not ok)
