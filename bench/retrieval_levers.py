"""Retrieval levers measured side by side on every development set, in numpy.

Each set's passages are chunked the way ingest chunks them and embedded once (cached under
/tmp); then every variant (sparse weighting, stemming, title terms, fusion rule and weights,
query expansion) is scored exactly as Qdrant would score it: dense cosine over every chunk,
sparse dot products with Qdrant's IDF modifier, DBSF fusion of each side's top HYBRID_DEPTH.
The winners are then confirmed through the real store with `bench/squad_eval.py --report`.

    .venv/bin/python bench/retrieval_levers.py [--every K] [--squad-every K] [--only NAME...]
        [--variants LABEL...] [--out FILE]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field, replace
from functools import cache
from pathlib import Path

import numpy as np
import snowballstemmer

from ingest.chunking import Chunker
from ingest.embedding import sentence_spans
from rag.evaluation import load_squad, rank_metrics
from rag.registry import make_embedder
from rag.settings import load_settings
from rag.stores import word_vectors
from rag.text import lexical
from rag.text.sentences import sentences
from rag.text.tokens import fit_tokens

ROOT = Path(__file__).resolve().parents[1]
CACHE = Path("/tmp/rag-levers-cache")
SQUAD = ROOT.parent / "shared" / "data" / "eval" / "squad-dev-v1.1.json"
_WORD = re.compile(r"[^\W_]+", re.UNICODE)
_stem = snowballstemmer.stemmer("english").stemWord


@dataclass
class Sparse:
    k1: float = 1.2
    b: float = 0.75
    avg: float | None = 120.0  # None: the corpus's real average
    stem: bool = True
    stop: bool = True
    title: float = 0.0  # weight of the title's terms added to every chunk
    bigram: float = 0.0  # weight of adjacent-term pairs, as extra terms
    lemma: str = ""  # "": none; "unique": lemminflect's lemma when it has one; "simplemma"
    # the stemmer run again on its own stem, until it changes nothing: "dimensional" and
    # "dimensions", which one pass stems apart ("dimension", "dimens"), both end as "dimen"
    restem: bool = False
    # each word's character n-grams of this length ("#word#" padded) as the terms, in place
    # of its stem: a misspelt or compounded word still shares most of its n-grams
    chargram: int = 0
    name: str = "bm25"


@dataclass
class Variant:
    sparse: Sparse = field(default_factory=Sparse)
    fusion: str = "dbsf"  # dbsf | rrf | none-dense | none-sparse
    w_dense: float = 1.0
    w_sparse: float = 1.0
    depth: int = 100
    prf: int = 0  # pseudo-relevance feedback: terms added from the top sparse chunks
    maxsim: float = 0.0  # weight of the best sentence's cosine, reranking the top `rerank`
    rerank: int = 20
    # sentence vectors: None, each sentence embedded alone (as at question time); a number,
    # pooled from the chunk's forward pass less that share of the chunk's vector (as stored)
    pooled: float | None = None
    # weight of the largest share of the question's terms one sentence of the chunk holds,
    # added in the rescoring; `words_idf` weighs each term by its IDF
    words: float = 0.0
    words_idf: bool = False
    # each side's best chunk kept in the final top 5 (inserted 5th when fusion and rescoring
    # left it out): "sparse", "dense" or "both"
    keep_best: str = ""
    # the sparse side's weight times min(1, its best score / this): a question whose terms
    # are in most chunks says little through them
    adaptive: float = 0.0
    # each side's best this many also rescored, wherever fusion put them ("dense": that
    # side's only): a chunk only one side finds can still win on its sentences
    pool: int = 0
    pool_sides: tuple[str, ...] = ("dense", "sparse")
    # a third side, searched over every chunk by its best stored sentence (Qdrant's
    # multivector MAX_SIM): its best this many rescored too, and its DBSF-normalised scores
    # fused at this weight
    sentence_pool: int = 0
    w_sentence: float = 0.0
    # dense pseudo-relevance feedback (Rocchio): the question's vector plus this times the
    # mean vector of the best `dense_prf_k` fused chunks, searched and fused again
    dense_prf: float = 0.0
    dense_prf_k: int = 3
    # the rescoring's sentence cosine: (1 - this) x the best sentence's + this x the second
    # best's (the best's again for a chunk of one sentence): an answer spanning two sentences
    second: float = 0.0
    # the dense side embeds each chunk after its document's title ("raw": as given; "words":
    # only a title that reads as words, not an id such as "cnn_e39c...story")
    dense_title: str = ""
    # the word-by-word match added in the rescoring at this weight: each question content
    # word's cosine to the chunk's word most like it, from the chunk's forward pass
    # (`rag.stores.word_vectors`, projected as stored); averaged (`match_rarity` ""), or
    # weighted by each word's IDF among the rescored chunks ("local", as the app does)
    match: float = 0.0
    match_rarity: str = ""
    # a third side: BM25 over character n-grams (`char`), its top `depth` fused at this weight
    w_char: float = 0.0
    char: Sparse = field(default_factory=lambda: Sparse(chargram=4, stem=False))
    label: str = ""


@cache
def _lemma(word: str, how: str) -> str:
    """An inflected form's dictionary form ("bought" -> "buy"), which no stemmer finds
    (`pip install lemminflect simplemma`: measured, not the app's dependencies)."""
    if how == "simplemma":
        import simplemma
        return simplemma.lemmatize(word, lang="en")
    from lemminflect import getAllLemmas
    found = {lemma for lemmas in getAllLemmas(word).values() for lemma in lemmas}
    return found.pop() if len(found) == 1 else word


def tokens(text: str, s: Sparse) -> list[str]:
    words = _WORD.findall(text.lower())
    if s.stop:
        words = [w for w in words if w not in lexical.STOP_WORDS]
    if s.chargram:
        return [f"#{w}#"[i:i + s.chargram] for w in words
                for i in range(max(len(w) + 3 - s.chargram, 1))]
    if s.lemma:
        words = [w if w.isdigit() else _lemma(w, s.lemma) for w in words]
    if s.stem:
        words = [w if w.isdigit() else (_stem_fully(w) if s.restem else _stem(w))
                 for w in words]
    return words


@cache
def _stem_fully(word: str) -> str:
    stem = _stem(word)
    while stem != word:
        word, stem = stem, _stem(stem)
    return stem


def _title(title: str, how: str) -> str:
    """A document's title as the dense side reads it: "Super_Bowl_50" as "Super Bowl 50"; with
    "words", nothing when any of its words is an id (digits and letters mixed, or a file's
    name: "cnn_e39c...story", "sciq_train_9676")."""
    spaced = title.replace("_", " ")
    if how == "words" and any(re.search(r"\d", w) and re.search(r"[^\W\d]", w) or "." in w
                              or w.isdigit() and len(w) > 2 for w in spaced.split()):
        return ""
    return spaced


def bigrams(text: str, s: Sparse) -> list[str]:
    words = tokens(text, s)
    return [f"{a}_{b}" for a, b in zip(words, words[1:], strict=False)]


class Corpus:
    def __init__(self, name: str, path: Path, every: int, chunk_tokens: int, overlap: int,
                 embedder) -> None:
        documents, questions = load_squad(path, every=every)
        self.documents = documents
        limit = embedder.max_tokens - embedder.special_tokens
        chunker = Chunker(embedder.token_counter(), chunk_tokens, overlap, limit)
        self.chunks = [c for d in documents for c in chunker(d)]
        self.titles = [d.title for d in documents for _ in chunker(d)]
        self.sources = [c.source for c in self.chunks]
        self.questions = [q for q in questions]
        key = hashlib.sha1(f"{path}:{every}:{chunk_tokens}:{overlap}:{embedder.name}:"
                           f"{len(self.chunks)}:{len(self.questions)}"
                           .encode()).hexdigest()[:12]
        cache = CACHE / f"{name}-{key}.npz"
        self._cache = cache
        if cache.exists():
            data = np.load(cache)
            self.dense, self.qdense = data["dense"], data["qdense"]
        else:
            self.dense = embedder.embed_documents([c.text for c in self.chunks])
            self.qdense = embedder.embed_documents([embedder.query_instruction + q.text
                                                    for q in self.questions])
            CACHE.mkdir(exist_ok=True)
            np.savez(cache, dense=self.dense, qdense=self.qdense)
        self.dense_scores = self.qdense @ self.dense.T
        self._embedder, self._cache = embedder, cache
        self._sentences: tuple | None = None
        self._pooled: dict[float, np.ndarray] = {}
        self._sparse: dict[tuple, tuple] = {}
        self._titled: dict[str, np.ndarray] = {}
        self._sentence_terms: dict[tuple[str, bool], list[list[set[str]]]] = {}
        self._idf: dict[tuple[str, bool], dict[str, float]] = {}

    def titled_dense_scores(self, how: str) -> np.ndarray:
        """Questions by chunks, each chunk embedded after its document's title."""
        if how not in self._titled:
            cache = self._cache.with_name(self._cache.stem + f"-titled-{how}.npz")
            if cache.exists():
                vectors = np.load(cache)["dense"]
            else:
                counter = self._embedder.token_counter()
                limit = self._embedder.max_tokens - self._embedder.special_tokens
                # the title's words take the place of the chunk's last ones
                texts = [fit_tokens(f"{_title(t, how)}\n{c.text}", counter.count, limit)[0]
                         if _title(t, how) else c.text
                         for t, c in zip(self.titles, self.chunks, strict=True)]
                vectors = self._embedder.embed_documents(texts)
                np.savez(cache, dense=vectors)
            self._titled[how] = self.qdense @ vectors.T
        return self._titled[how]

    def word_vectors(self) -> tuple[list[np.ndarray], list[np.ndarray], list[list[set[str]]]]:
        """Every chunk's content words' stored vectors (int8 rows, as the payload keeps them),
        every question's (unit rows), and each question word's terms."""
        if not hasattr(self, "_words"):
            cache = self._cache.with_name(self._cache.stem + "-words.npz")
            texts = [c.text for c in self.chunks]
            spans = [lexical.content_spans(t) for t in texts]
            if cache.exists():
                data = np.load(cache)
                rows, qrows = data["rows"], data["qrows"]
            else:
                _, pooled = self._embedder.embed_documents_with_sentences(texts, spans)
                rows = np.vstack([word_vectors.projected(p) for p in pooled])
                asked = [self._embedder.embed_query_words(q.text) for q in self.questions]
                qrows = np.vstack([word_vectors.projected(a) for a in asked])
                np.savez(cache, rows=rows, qrows=qrows)
            stored = word_vectors.decode(word_vectors.encode(rows))
            cuts = np.cumsum([len(w) for w in spans])[:-1]
            qspans = [lexical.content_spans(q.text) for q in self.questions]
            qcuts = np.cumsum([len(w) for w in qspans])[:-1]
            terms = [[set(lexical.term_set(q.text[a:b])) for a, b in w]
                     for q, w in zip(self.questions, qspans, strict=True)]
            self._words = (np.split(stored, cuts), np.split(qrows, qcuts), terms)
        return self._words

    def word_match(self, qi: int, chunk_ids: list[int], rarity: str) -> np.ndarray:
        chunks, questions, terms = self.word_vectors()
        best = word_vectors.best_matches(questions[qi], [chunks[i] for i in chunk_ids])
        if not best.shape[1]:
            return np.zeros(len(chunk_ids))
        # a word the document's title names counts as matched, as the app counts it
        named = [lexical.term_set(self.titles[i].replace("_", " ")) for i in chunk_ids]
        for row, names in zip(best, named, strict=True):
            row[[bool(word & names) for word in terms[qi]]] = 1.0
        if rarity != "local":
            return best.mean(axis=1)
        held = [lexical.term_set(self.chunks[i].text) | names
                for i, names in zip(chunk_ids, named, strict=True)]
        having = np.array([sum(bool(word & h) for h in held) for word in terms[qi]])
        weights = np.log1p((len(held) - having + 0.5) / (having + 0.5))
        return best @ (weights / weights.sum())

    def sentence_vectors(self):
        """Every chunk's sentences embedded: (vectors, chunk index of each)."""
        if self._sentences is None:
            cache = self._cache.with_name(self._cache.stem + "-sentences.npz")
            if cache.exists():
                data = np.load(cache)
                self._sentences = (data["vectors"], data["owner"])
            else:
                texts, owner = [], []
                for i, c in enumerate(self.chunks):
                    for sent in sentences(c.text) or [c.text]:
                        texts.append(sent)
                        owner.append(i)
                vectors = self._embedder.embed_documents(texts)
                owner_arr = np.array(owner)
                np.savez(cache, vectors=vectors, owner=owner_arr)
                self._sentences = (vectors, owner_arr)
            vectors, owner = self._sentences
            self._by_chunk = defaultdict(list)
            for j, i in enumerate(owner):
                self._by_chunk[int(i)].append(j)
        return self._sentences

    def pooled_vectors(self, contrast: float) -> np.ndarray:
        """Every chunk's sentences pooled from its own forward pass, less `contrast` × the
        chunk's vector, in the order of `sentence_vectors`."""
        if contrast not in self._pooled:
            cache = self._cache.with_name(self._cache.stem + "-pooled.npz")
            if cache.exists():
                pooled, owner = np.load(cache)["pooled"], np.load(cache)["owner"]
            else:
                texts = [c.text for c in self.chunks]
                spans = [sentence_spans(t) for t in texts]
                _, per_chunk = self._embedder.embed_documents_with_sentences(texts, spans)
                pooled = np.vstack(per_chunk)
                owner = np.array([i for i, rows in enumerate(per_chunk) for _ in rows])
                np.savez(cache, pooled=pooled, owner=owner)
            assert np.array_equal(owner, self.sentence_vectors()[1])
            rows = pooled - contrast * self.dense[owner]
            self._pooled[contrast] = rows / np.linalg.norm(rows, axis=1, keepdims=True)
        return self._pooled[contrast]

    def maxsim(self, qi: int, chunk_ids: list[int], pooled: float | None = None,
               second: float = 0.0) -> np.ndarray:
        vectors, _ = self.sentence_vectors()
        if pooled is not None:
            vectors = self.pooled_vectors(pooled)
        q = self.qdense[qi]

        def cosine(i: int) -> float:
            if not self._by_chunk[i]:
                return 0.0
            cosines = vectors[self._by_chunk[i]] @ q
            if not second:  # every variant but one: no sort needed
                return float(cosines.max())
            ranked = np.sort(cosines)[::-1]
            return float((1 - second) * ranked[0] + second * ranked[min(1, len(ranked) - 1)])

        return np.array([cosine(i) for i in chunk_ids])

    def best_sentences(self, qi: int, pooled: float | None) -> np.ndarray:
        """Every chunk's best sentence cosine to the question, over the whole corpus."""
        vectors, owner = self.sentence_vectors()
        if pooled is not None:
            vectors = self.pooled_vectors(pooled)
        starts = np.flatnonzero(np.r_[True, owner[1:] != owner[:-1]])
        best = np.zeros(len(self.chunks), dtype=np.float32)
        best[owner[starts]] = np.maximum.reduceat(vectors @ self.qdense[qi], starts)
        return best

    def word_shares(self, qi: int, chunk_ids: list[int], idf: bool,
                    sparse: Sparse) -> np.ndarray:
        """Each chunk's largest share of the question's terms held by one sentence."""
        read = Sparse(lemma=sparse.lemma, restem=sparse.restem)
        lemma = (read.lemma, read.restem)
        if lemma not in self._sentence_terms:
            self._sentence_terms[lemma] = [[set(tokens(t, read)) for t in sentences(c.text)
                                            or [c.text]] for c in self.chunks]
            held = self._sentence_terms[lemma]
            counts = Counter(t for d in held for t in set().union(*d))
            n = len(self.chunks)
            self._idf[lemma] = {t: math.log(1 + (n - k + 0.5) / (k + 0.5))
                                for t, k in counts.items()}
        asked = set(tokens(self.questions[qi].text, read))
        idfs = self._idf[lemma]
        weight = (lambda t: idfs.get(t, 0.0)) if idf else (lambda _t: 1.0)
        total = sum(map(weight, asked)) or 1.0
        return np.array([max(sum(map(weight, asked & held)) for held in
                             self._sentence_terms[lemma][i]) / total for i in chunk_ids])

    def sparse_index(self, s: Sparse):
        key = (s.k1, s.b, s.avg, s.stem, s.stop, s.title, s.bigram, s.lemma, s.restem,
               s.chargram)
        if key not in self._sparse:
            docs = [tokens(c.text, s) for c in self.chunks]
            grams = [bigrams(c.text, s) for c in self.chunks] if s.bigram else None
            if s.title:
                titles = [tokens(t.replace("_", " "), s) for t in self.titles]
            lengths = [len(d) for d in docs]
            avg = s.avg or (sum(lengths) / max(len(lengths), 1))
            postings: dict[str, list[tuple[int, float]]] = defaultdict(list)
            for i, d in enumerate(docs):
                norm = 1 - s.b + s.b * len(d) / avg
                for term, tf in Counter(d).items():
                    w = tf * (s.k1 + 1) / (tf + s.k1 * norm)
                    postings[term].append((i, w))
                if grams:
                    for term, tf in Counter(grams[i]).items():
                        w = tf * (s.k1 + 1) / (tf + s.k1 * norm)
                        postings[term].append((i, s.bigram * w))
                if s.title:
                    for term in set(titles[i]):
                        found = [p for p in postings[term] if p[0] == i]
                        if found:
                            postings[term].remove(found[0])
                            postings[term].append((i, found[0][1] + s.title))
                        else:
                            postings[term].append((i, s.title))
            n = len(docs)
            index = {}
            for term, plist in postings.items():
                idf = math.log(1 + (n - len(plist) + 0.5) / (len(plist) + 0.5))
                ids = np.array([p[0] for p in plist])
                ws = np.array([p[1] for p in plist], dtype=np.float32) * idf
                index[term] = (ids, ws)
            self._sparse[key] = (index, docs)
        return self._sparse[key]

    def sparse_scores(self, qi: int, s: Sparse, prf: int) -> np.ndarray:
        index, docs = self.sparse_index(s)
        scores = np.zeros(len(self.chunks), dtype=np.float32)
        qterms = set(tokens(self.questions[qi].text, s))
        if s.bigram:
            qterms |= set(bigrams(self.questions[qi].text, s))
        for t in sorted(qterms):  # one order of float32 sums, whatever the hash seed
            if t in index:
                ids, ws = index[t]
                scores[ids] += ws
        if prf:
            top = np.argsort(-scores)[:3]
            counts: Counter[str] = Counter()
            for i in top:
                counts.update(t for t in set(docs[i]) if t not in qterms)
            extra = [t for t, c in counts.most_common() if c >= 2 and "_" not in t][:prf]
            for t in extra:
                ids, ws = index[t]
                scores[ids] += 0.3 * ws
        return scores


def _norm_dbsf(scores: np.ndarray) -> np.ndarray:
    mean, std = scores.mean(), scores.std()
    low, high = mean - 3 * std, mean + 3 * std
    return (scores - low) / (high - low) if high > low else np.ones_like(scores)


def ranking(corpus: Corpus, qi: int, v: Variant) -> list[int]:
    dense = corpus.titled_dense_scores(v.dense_title)[qi] if v.dense_title else \
        corpus.dense_scores[qi]
    if v.dense_prf:
        first = ranking(corpus, qi, replace(v, dense_prf=0.0))[: v.dense_prf_k]
        query = corpus.qdense[qi] + v.dense_prf * corpus.dense[first].mean(axis=0)
        dense = corpus.dense @ (query / np.linalg.norm(query))
    if v.fusion == "none-dense":
        return list(np.argsort(-dense)[:60])
    sparse = corpus.sparse_scores(qi, v.sparse, v.prf)
    if v.fusion == "none-sparse":
        order = np.argsort(-sparse)[:60]
        return [int(i) for i in order if sparse[i] > 0]
    d_top = np.argsort(-dense)[: v.depth]
    s_top = [int(i) for i in np.argsort(-sparse)[: v.depth] if sparse[i] > 0]
    fused: dict[int, float] = defaultdict(float)
    if v.fusion == "dbsf":
        for i, x in zip(d_top, _norm_dbsf(dense[d_top]), strict=True):
            fused[int(i)] += v.w_dense * float(x)
        if s_top:
            w_sparse = v.w_sparse
            if v.adaptive:
                w_sparse *= min(1.0, float(sparse[s_top[0]]) / v.adaptive)
            for i, x in zip(s_top, _norm_dbsf(sparse[s_top]), strict=True):
                fused[i] += w_sparse * float(x)
        if v.w_char:
            chars = corpus.sparse_scores(qi, v.char, 0)
            c_top = [int(i) for i in np.argsort(-chars)[: v.depth] if chars[i] > 0]
            if c_top:
                for i, x in zip(c_top, _norm_dbsf(chars[c_top]), strict=True):
                    fused[i] += v.w_char * float(x)
    elif v.fusion == "rrf":
        for r, i in enumerate(d_top):
            fused[int(i)] += v.w_dense / (60 + r + 1)
        for r, i in enumerate(s_top):
            fused[i] += v.w_sparse / (60 + r + 1)
    by_sentence: list[int] = []
    if v.sentence_pool or v.w_sentence:
        sentence = corpus.best_sentences(qi, v.pooled)
        by_sentence = [int(i) for i in np.argsort(-sentence)[: v.depth]]
        if v.w_sentence:
            for i, x in zip(by_sentence, _norm_dbsf(sentence[by_sentence]), strict=True):
                fused[i] += v.w_sentence * float(x)
    order = sorted(fused, key=lambda i: -fused[i])[:60]
    if v.maxsim:
        head = order[: v.rerank]
        sides = {"dense": [int(i) for i in d_top], "sparse": s_top}
        for side in v.pool_sides if v.pool else ():
            head += [i for i in sides[side][: v.pool] if i not in head]
        head += [i for i in by_sentence[: v.sentence_pool] if i not in head]
        base = np.array([fused[i] for i in head])
        best = corpus.maxsim(qi, head, v.pooled, v.second)
        score = base + v.maxsim * best
        if v.words:
            score = score + v.words * corpus.word_shares(qi, head, v.words_idf, v.sparse)
        if v.match:
            score = score + v.match * corpus.word_match(qi, head, v.match_rarity)
        taken = set(head)
        rest = [i for i in order if i not in taken]
        head = [head[j] for j in np.argsort(-score)]
        order = head + rest
    sides = {"sparse": s_top[:1], "dense": [int(i) for i in d_top[:1]]}
    kept = {"": (), "both": ("sparse", "dense")}.get(v.keep_best, (v.keep_best,))
    for side in kept:
        for best in sides[side]:
            if best not in order[:5]:
                order = [i for i in order if i != best]
                order.insert(4, best)
    return order


def doc_rank(corpus: Corpus, chunk_ids: list[int], gold: str) -> int | None:
    seen: list[str] = []
    for i in chunk_ids:
        s = corpus.sources[i]
        if s not in seen:
            seen.append(s)
            if len(seen) > 10:
                break
    return seen.index(gold) + 1 if gold in seen[:10] else None


def evaluate(corpus: Corpus, v: Variant) -> dict[str, float]:
    ranks = [doc_rank(corpus, ranking(corpus, qi, v), q.paragraph)
             for qi, q in enumerate(corpus.questions)]
    return rank_metrics(ranks)


def bm25_okapi(corpus: Corpus) -> dict[str, float]:
    """The baseline `rag eval` reports: rank-bm25 over whole paragraphs."""
    from rank_bm25 import BM25Okapi

    index = BM25Okapi([lexical.terms(d.pages[0].text) or ["_"] for d in corpus.documents])
    sources = [d.source for d in corpus.documents]
    ranks = []
    for q in corpus.questions:
        top = np.argsort(-index.get_scores(lexical.terms(q.text)))[:10]
        found = [sources[i] for i in top]
        ranks.append(found.index(q.paragraph) + 1 if q.paragraph in found else None)
    return rank_metrics(ranks)


S = Sparse  # shorthand
BIGRAMS = S(bigram=0.5)
BOTH_SIDES = ("dense", "sparse")
VARIANTS = [
    Variant(label="before: dbsf 1:1, unigrams"),
    Variant(fusion="none-sparse", label="sparse alone"),
    Variant(fusion="none-dense", label="dense alone"),
    Variant(fusion="rrf", label="rrf 1:1 (k 60)"),
    Variant(w_sparse=0.7, label="dbsf 1:0.7"),
    Variant(w_sparse=1.25, label="dbsf 1:1.25"),
    Variant(w_sparse=1.5, label="dbsf 1:1.5"),
    Variant(w_sparse=2.0, label="dbsf 1:2"),
    Variant(depth=40, label="depth 40"),
    Variant(depth=200, label="depth 200"),
    Variant(sparse=S(avg=None), label="length norm: corpus mean"),
    Variant(sparse=S(b=0.5), label="b 0.5"),
    Variant(sparse=S(b=0.9), label="b 0.9"),
    Variant(sparse=S(k1=0.9), label="k1 0.9"),
    Variant(sparse=S(k1=1.6), label="k1 1.6"),
    Variant(sparse=S(stem=False), label="no stemming"),
    Variant(sparse=S(stop=False), label="no stop words"),
    Variant(sparse=S(title=1.0), label="title terms +1"),
    Variant(prf=5, label="query expansion: 5 terms from top 3"),
    Variant(sparse=BIGRAMS, label="bigrams 0.5"),
    Variant(sparse=S(bigram=1.0), label="bigrams 1"),
    Variant(maxsim=3.0, label="sentence rescoring 3, top 20"),
    Variant(w_sparse=1.5, sparse=BIGRAMS, label="dbsf 1:1.5 + bigrams"),
    Variant(w_sparse=1.5, sparse=BIGRAMS, maxsim=2.0, label="dbsf 1:1.5 + bigrams + rescore 2"),
    Variant(w_sparse=1.5, sparse=BIGRAMS, maxsim=3.0,
            label="chosen: dbsf 1:1.5 + bigrams + rescore 3"),
    Variant(w_sparse=1.5, sparse=BIGRAMS, maxsim=4.0, label="dbsf 1:1.5 + bigrams + rescore 4"),
    Variant(w_sparse=1.5, sparse=BIGRAMS, maxsim=3.0, rerank=10, label="chosen, rescore top 10"),
    Variant(w_sparse=1.5, sparse=BIGRAMS, maxsim=3.0, rerank=30, label="chosen, rescore top 30"),
    Variant(w_sparse=2.0, sparse=BIGRAMS, maxsim=3.0, label="dbsf 1:2 + bigrams + rescore 3"),
    Variant(w_sparse=1.5, sparse=BIGRAMS, maxsim=3.0, prf=5, label="chosen + query expansion"),
    Variant(w_sparse=1.5, sparse=S(bigram=0.5, stop=False), maxsim=3.0,
            label="chosen, no stop words"),
    Variant(w_sparse=1.5, sparse=S(bigram=0.5, k1=0.9, b=0.5), maxsim=3.0,
            label="chosen, k1 0.9 b 0.5"),
    Variant(w_sparse=1.5, sparse=BIGRAMS, maxsim=3.0, pooled=0.0,
            label="chosen, sentences pooled from the chunk"),
    Variant(w_sparse=1.5, sparse=BIGRAMS, maxsim=3.0, pooled=0.3,
            label="chosen, pooled less 0.3 x chunk"),
    Variant(w_sparse=1.5, sparse=BIGRAMS, maxsim=3.0, pooled=0.5,
            label="chosen, pooled less 0.5 x chunk (stored)"),
    Variant(w_sparse=1.5, sparse=BIGRAMS, maxsim=3.0, pooled=0.7,
            label="chosen, pooled less 0.7 x chunk"),
    Variant(w_sparse=1.5, sparse=BIGRAMS, maxsim=2.0, pooled=0.5,
            label="chosen, stored, rescore 2"),
    Variant(w_sparse=1.5, sparse=BIGRAMS, maxsim=4.0, pooled=0.5,
            label="chosen, stored, rescore 4"),
    *[Variant(w_sparse=1.5, sparse=BIGRAMS, maxsim=3.0, pooled=0.5, words=w,
              label=f"chosen, stored + sentence words {w:g}"
                    + (" (the default)" if w == 1.0 else "")) for w in (0.6, 1.0, 1.5)],
    *[Variant(w_sparse=1.5, sparse=BIGRAMS, maxsim=3.0, pooled=0.5, words=w, words_idf=True,
              label=f"chosen, stored + sentence words {w:g}, IDF-weighted") for w in (0.6, 1.0)],
    *[Variant(w_sparse=1.5, sparse=BIGRAMS, maxsim=3.0, pooled=0.5, words=1.0, keep_best=side,
              label=f"the default, {side} side's best kept in the top 5")
      for side in ("sparse", "dense", "both")],
    *[Variant(w_sparse=1.5, sparse=BIGRAMS, maxsim=3.0, pooled=0.5, words=1.0, adaptive=a,
              label=f"the default, sparse weight scaled by its best score / {a:g}")
      for a in (2.0, 4.0, 8.0)],
    *[Variant(w_sparse=1.5, sparse=BIGRAMS, maxsim=3.0, pooled=0.5, words=1.0, pool=n,
              pool_sides=sides, label=f"the default, {' and '.join(sides)} side's top {n} "
                                      "rescored too")
      for n, sides in ((3, BOTH_SIDES), (5, BOTH_SIDES), (10, BOTH_SIDES), (5, ("dense",)))],
    *[Variant(w_sparse=1.5, sparse=BIGRAMS, maxsim=3.0, pooled=0.5, words=1.0, pool=10,
              sentence_pool=n, w_sentence=w,
              label=f"the default, sentence side: best {n} rescored, fused at {w:g}")
      for n, w in ((10, 0.0), (20, 0.0), (10, 0.5), (10, 1.0), (0, 1.0))],
    *[Variant(w_sparse=1.5, sparse=BIGRAMS, maxsim=3.0, pooled=0.5, words=1.0, pool=10,
              dense_prf=a, dense_prf_k=k,
              label=f"the default, dense feedback: + {a:g} x the best {k} fused chunks' mean")
      for a, k in ((0.3, 3), (0.6, 3), (0.3, 1))],
    *[Variant(w_sparse=1.5, sparse=BIGRAMS, maxsim=3.0, pooled=0.5, words=1.0, pool=10,
              second=a, label=f"the default, sentence cosine with {a:g} x the second best's")
      for a in (0.2, 0.4)],
    Variant(w_sparse=1.5, sparse=BIGRAMS, maxsim=3.0, pooled=0.5, words=1.0, pool=10,
            label="the default"),
    *[Variant(w_sparse=1.5, sparse=S(bigram=0.5, lemma=how), maxsim=3.0, pooled=0.5,
              words=1.0, pool=10, label=f"the default, words lemmatized ({how})")
      for how in ("unique", "simplemma")],
    *[Variant(sparse=S(lemma=how), fusion="none-sparse", label=f"sparse alone, lemmatized ({how})")
      for how in ("unique", "simplemma")],
    *[Variant(w_sparse=1.5, sparse=BIGRAMS, maxsim=3.0, pooled=0.5, words=1.0, pool=10,
              dense_title=how, label=f"the default, chunks embedded after the title ({how})")
      for how in ("raw", "words")],
    *[Variant(fusion="none-dense", dense_title=how,
              label=f"dense alone, chunks embedded after the title ({how})")
      for how in ("raw", "words")],
    Variant(w_sparse=1.5, sparse=S(bigram=0.5, restem=True), maxsim=3.0, pooled=0.5,
            words=1.0, pool=10, label="the default, stemmed until the stem holds"),
    Variant(sparse=S(restem=True), fusion="none-sparse",
            label="sparse alone, stemmed until the stem holds"),
    *[Variant(w_sparse=1.5, sparse=BIGRAMS, maxsim=3.0, pooled=0.5, words=1.0, pool=10,
              match=w, match_rarity=rarity,
              label=f"the default, word by word {w:g}" + (", by rarity" if rarity else ""))
      for rarity in ("", "local") for w in (1.0, 2.0, 3.0, 4.0, 6.0)],
    *[Variant(sparse=S(chargram=n, stem=False), fusion="none-sparse",
              label=f"sparse alone, character {n}-grams") for n in (3, 4, 5)],
    *[Variant(w_sparse=1.5, sparse=BIGRAMS, maxsim=3.0, pooled=0.5, words=1.0, pool=10,
              match=4.0, match_rarity="local", w_char=w, char=S(chargram=n, stem=False),
              label=f"the default, character {n}-grams fused at {w:g}")
      for n in (4, 5) for w in (0.25, 0.5, 1.0)],
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--every", type=int, default=1)
    parser.add_argument("--squad-every", type=int, default=8)
    parser.add_argument("--only", nargs="*")
    parser.add_argument("--variants", nargs="*", help="labels to run (default: all)")
    parser.add_argument("--chunk-tokens", type=int, default=200)
    parser.add_argument("--overlap", type=int, default=30)
    parser.add_argument("--out", default="retrieval_levers.json",
                        help="file under bench/results")
    args = parser.parse_args()
    settings = load_settings(environ={}, env_file=None)
    embedder = make_embedder(settings)
    sets = {p.stem: p for p in sorted((ROOT / "data" / "eval").glob("*.json"))}
    sets["squad-dev"] = SQUAD
    results: dict[str, dict[str, dict]] = {}
    for name, path in sets.items():
        if args.only and name not in args.only:
            continue
        every = args.squad_every if name == "squad-dev" else args.every
        corpus = Corpus(name, path, every, args.chunk_tokens, args.overlap, embedder)
        m = bm25_okapi(corpus)
        results.setdefault("BM25 (rank-bm25, paragraphs)", {})[name] = m
        print(f"{name:15s} {'BM25':40s} hit@5 {m['hit@5']:.3f} mrr {m['mrr@10']:.3f}", flush=True)
        for v in VARIANTS:
            if args.variants and v.label not in args.variants:
                continue
            m = evaluate(corpus, v)
            results.setdefault(v.label, {})[name] = m
            print(f"{name:15s} {v.label:40s} hit@5 {m['hit@5']:.3f} mrr {m['mrr@10']:.3f}",
                  flush=True)
    print()
    names = [n for n in sets if not args.only or n in args.only]
    print("| variant | " + " | ".join(names) + " |")
    print("|---|" + "---|" * len(names))
    for label, per in results.items():
        cells = [f"{per[n]['hit@5']:.3f} / {per[n]['mrr@10']:.3f}" if n in per else ""
                 for n in names]
        print(f"| {label} | " + " | ".join(cells) + " |")
    out = ROOT / "bench" / "results" / args.out
    out.write_text(json.dumps(results, indent=1) + "\n")


if __name__ == "__main__":
    main()
