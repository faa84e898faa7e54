"""Plain data passed between the parts: chunks going in, hits and answers coming out."""

from __future__ import annotations

import math
import re
import threading
import unicodedata
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any, Literal, get_args

#: How a question is matched against the chunks: by meaning, by words, or both fused.
SearchMode = Literal["hybrid", "dense", "sparse"]
#: the `rag` command on this machine, with or without an engine, and loopback callers when no
#: keys are set: RAG_BUDGET_EXEMPT_USERS and the cost report know it by this name
LOCAL_USER = "local"
#: the chat's visitors who have not signed in, charged together
ANONYMOUS_USER = "anonymous"
SEARCH_MODES: tuple[SearchMode, ...] = get_args(SearchMode)


def source_name(source: str) -> str:
    """The file name of a source path, or of an `upload:NAME` source (a browser upload)."""
    return Path(source.removeprefix("upload:")).name


def as_stored(source: str) -> str:
    """`source` as a document is stored under it: an upload's name composed (NFC), as ingest
    names it, so that the name a Mac sends ("cre\u0300me.txt") still finds its document."""
    return unicodedata.normalize("NFC", source) if source.startswith("upload:") else source


def counted(n: int, noun: str) -> str:
    """A count and its noun, "1 chunk" or "2 chunks" (nouns whose plural adds an s), as every
    door prints counts."""
    return f"{n:,} {noun}{'' if n == 1 else 's'}"


def is_count(value: Any) -> bool:
    """A finite number, 0 or more: what a token count or a cost in neurons can be (a server
    may report NaN, an infinity or a negative figure, which would poison every sum)."""
    return (isinstance(value, (int, float)) and not isinstance(value, bool)
            and math.isfinite(value) and value >= 0)


def cited_place(page: int | None, locator: str | None, title: str | None = None) -> str:
    """Where in its file a passage is, as citations show it: the locator ("slide 3: Budget",
    "sheet Costs"), else "page 3", else "" (a file without pages). A locator that is the
    document's `title` again (a Word file's Title paragraph heads its first section) says
    nothing the title beside it has not."""
    if locator and not _same_words(locator, title):
        return locator
    return f"page {page}" if page else ""


def _same_words(a: str, b: str | None) -> bool:
    return b is not None and a.split() == b.split()


#: the locator of a Markdown file's front matter fields, each a passage ("license: apache-2.0")
FRONT_MATTER = "front matter"
#: what a Markdown file's footnote's locator opens with ("footnote 1"), each note a passage
FOOTNOTE = "footnote"
# where a locator says a passage is, not what it is about: "slide 3: " of "slide 3: Budget",
# "sheet " of "sheet Costs", all of "page 63 (labelled 57)" and of a Markdown file's
# "front matter", a Markdown footnote's "footnote 1"
_PLACE = re.compile(
    rf"^(?:(?:slide|chapter|page) \d+(?: \(labelled [^)]*\))?:? ?|sheet |{FRONT_MATTER}\Z"
    rf"|{FOOTNOTE} \S+\Z)")


def cited_names(title: str, locator: str | None) -> str:
    """What a passage is about without its sentences saying so: its document's title and the
    name of the section, slide, sheet or chapter it is cited by."""
    return f"{title} {_PLACE.sub('', locator or '', count=1)}".strip()


@dataclass(frozen=True)
class Page:
    """Text of one page, or of a page-like part: a slide, a sheet, a chapter, a section.

    `number` is the page (or slide, sheet, chapter) number that citations show; None for a
    format without pages. `locator` names the part where a number alone would not
    ("slide 3: Budget", "sheet Costs", "chapter 2: Setup", a section heading).
    """

    number: int | None
    text: str
    locator: str | None = None
    # the footnotes set at the page's foot, which end its text, a paragraph each: the
    # sentence its body leaves unfinished goes on on the next page, not in them
    # (`ingest.chunking`)
    notes: str = ""


@dataclass(frozen=True)
class Document:
    """A loaded file: its pages, identity (content hash) and display title."""

    source: str
    doc_id: str
    title: str
    pages: list[Page]
    media_type: str
    # what could not be read but did not stop the rest ("page 4: no text layer, and ...")
    warnings: tuple[str, ...] = ()
    removed: dict[str, int] = field(default_factory=dict)  # what cleaning took out, by kind


@dataclass(frozen=True)
class Chunk:
    """A token-bounded piece of a document with everything a citation needs."""

    doc_id: str
    source: str
    title: str
    position: int  # 0-based index of the chunk in its document
    page: int | None  # first page the chunk touches
    # character offsets of its page's part in the document's joined text; the end of a
    # sentence running on into the next page may follow that part (`ingest.chunking`)
    start: int
    end: int
    text: str
    token_count: int
    locator: str | None = None  # the page's locator ("slide 3: Budget"), see `Page`
    # the opening fence ("```python") of a code block the chunk begins inside, which its
    # text does not hold: its first lines are code (`rag.text.sentences.split`)
    code_fence: str | None = None
    # the sentence before the chunk's first on its page, when the first leans on it ("He
    # ...", "However, ..."): the chunk alone cannot say whom "He" means
    lead_in: str | None = None
    # whether the chunk begins inside a sentence (its overlap with the chunk before, a cut at
    # a line end where the sentence goes on): its first piece is no sentence to quote
    opens_inside_sentence: bool = False
    # whether the chunk stops inside a sentence its page goes on with (a sentence longer than a
    # chunk: one holding a key, a hash, a minified line): its last piece is no whole sentence
    closes_inside_sentence: bool = False


@dataclass(frozen=True, eq=False)  # an array's == is elementwise: compared by identity
class SentenceVectors:
    """A chunk's sentences as ingest stored them: where each lies in the chunk's text
    (`text[start:end]`) and its vector, a row of `vectors` (a float32 numpy array)."""

    spans: tuple[tuple[int, int], ...]
    vectors: Any
    # its content words' vectors, int8 rows (rag.stores.word_vectors); None where the chunk
    # was stored before they were kept
    words: Any = None


# a hit's fields that help read its text, no part of what a citation shows: not in `as_json`
_READING_AIDS = ("sentence_vectors", "code_fence", "opens_inside_code", "lead_in",
                 "sentence_matches", "opens_inside_sentence", "closes_inside_sentence",
                 "code_after", "code_goes_on")


@dataclass(frozen=True)
class Hit:
    """One search result."""

    doc_id: str
    source: str
    page: int | None
    chunk_id: str
    score: float
    text: str
    title: str = ""
    position: int = 0
    locator: str | None = None  # "slide 3: Budget", "sheet Costs"; None for plain pages
    flags: tuple[str, ...] = ()  # instruction-like text found in the passage (rag.text.injection)
    # stored at ingest where the collection keeps them (rag.stores.sentence_vectors); never
    # shown or cached, so left out of `as_json`
    sentence_vectors: SentenceVectors | None = field(default=None, repr=False, compare=False)
    # how its text reads, not what a citation shows: `Chunk.code_fence`
    code_fence: str | None = field(default=None, repr=False, compare=False)
    # whether its chunk begins inside a code block (`code_fence` names it), as ingest read it
    # against its whole document; None where the chunk was stored before it was kept: a bare
    # fence its text leaves open may then close a block begun before as well as open one
    opens_inside_code: bool | None = field(default=None, repr=False, compare=False)
    lead_in: str | None = field(default=None, repr=False, compare=False)  # `Chunk.lead_in`
    # `Chunk.opens_inside_sentence`; None where the chunk was stored before it was kept
    opens_inside_sentence: bool | None = field(default=None, repr=False, compare=False)
    # `Chunk.closes_inside_sentence`; None where the chunk was stored before it was kept
    closes_inside_sentence: bool | None = field(default=None, repr=False, compare=False)
    # how well each of its sentences (`sentence_vectors.spans`) matches the question it was
    # found for, word by word, when the search rescored it so (rag.retrieval.rescoring)
    sentence_matches: tuple[float, ...] | None = field(default=None, repr=False,
                                                       compare=False)
    # the `chunk_id` of the passage opening with the code its last sentence introduces ("Here
    # is a small example ...:"), a chunk after it in its document (rag.retrieval.introduced_code)
    code_after: str | None = field(default=None, repr=False, compare=False)
    # the `chunk_id` of the passage holding the rest of the program its text ends on: the
    # next page opens with it, a page break cut the program (rag.retrieval.introduced_code)
    code_goes_on: str | None = field(default=None, repr=False, compare=False)

    def as_json(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in fields(self)
                if f.name not in _READING_AIDS}

    def written_names(self) -> str:
        """The names the passage goes by (`cited_names`) and its file's: a question naming
        "handbook_v2.txt" or "E1047.md" names the passage."""
        return f"{source_name(self.source)}\n{cited_names(self.title, self.locator)}"


@dataclass(frozen=True)
class SearchResult:
    """A search's passages, the query they were found for (as asked, or respelt as the
    library writes a word the query misspelt), and the query's words the library holds
    nowhere (`Retriever.unheld`)."""

    hits: list[Hit]
    query: str
    unheld: tuple[str, ...] = ()

    def as_json(self) -> dict[str, Any]:
        """`rag search --json`'s object."""
        return {"hits": [hit.as_json() for hit in self.hits], "query": self.query,
                "unheld": list(self.unheld)}


UNMENTIONED = "Your documents do not mention "


def unmentioned(words: Sequence[str]) -> str:
    """What is said of the words a question names that the library holds nowhere."""
    return f"{UNMENTIONED}{quoted_words(words)}."


def quoted_words(words: Sequence[str]) -> str:
    """“dplyr” or “tidyverse”."""
    return " or ".join(f"“{word}”" for word in words)


def searched_for(query: str, asked: str) -> str | None:
    """What was searched, when it is not what was asked (a misspelt word respelt, a
    follow-up made to stand alone): the results make sense only with it. The question's
    characters read as what they are (a full-width "？", a ligature "ﬁ", as the sanitizer
    reads them) are no rewording, nor are the invisible ones it drops (a soft hyphen pasted
    from a web page, a right-to-left mark)."""
    return None if _as_read(query) == _as_read(asked) else query


def _as_read(text: str) -> list[str]:
    return "".join(ch for ch in unicodedata.normalize("NFKC", text)
                   if unicodedata.category(ch) != "Cf").split()


@dataclass
class GenerationRecord:
    """What a generator reports about its run; filled in while the stream is read."""

    model: str = ""
    attempts: int = 0
    notice: str | None = None  # shown under the answer, e.g. "answer interrupted: ..."
    prompt_tokens: int | None = None  # as the model counted them
    completion_tokens: int | None = None
    neurons: float | None = None  # Workers AI's cost unit; 0 for a gateway cache hit
    cache_status: str | None = None  # AI Gateway's cf-aig-cache-status (HIT, MISS)
    gateway_log_id: str | None = None
    passages_used: int | None = None  # passages that fitted the model's context window
    estimated_prompt_tokens: int | None = None  # our pessimistic count before the call
    sentences_scored: int | None = None  # the extractive answerer's candidates
    guard_neurons: float | None = None  # what Llama Guard's checks of this answer cost
    rewrite_neurons: float | None = None  # what rewriting a follow-up to search for cost
    blocked: str | None = None  # the category the content filter withheld the answer for
    interrupted: bool = False  # the stream broke after tokens had been shown
    fell_back: bool = False  # a fallback model wrote it, the models before it having failed

    def as_json(self) -> dict[str, Any]:
        """The fields that were set; `total_tokens` as OpenAI-style clients expect it."""
        values = {f.name: getattr(self, f.name) for f in fields(self)
                  if f.name not in ("model", "attempts", "notice", "blocked", "interrupted",
                                    "fell_back")}
        if self.prompt_tokens is not None and self.completion_tokens is not None:
            values["total_tokens"] = self.prompt_tokens + self.completion_tokens
        return {key: value for key, value in values.items() if value is not None}


#: why an answer came from less than the configured path: the search ran on words only (the
#: question could not be embedded), every language model failed, or the user is over budget
Degradation = Literal["sparse_search", "models_unavailable", "over_budget", "answer_unchecked"]


@dataclass
class ProgressiveReport:
    """The progressive strategy: the fast model's answer, and the upgrade when it was weak."""

    first_model: str
    first_ms: float
    upgraded: bool = False
    reason: str | None = None  # why the first answer was not kept
    final_model: str = ""
    final_ms: float | None = None
    too_long: str | None = None  # the model whose context window cannot hold the question
    name: str = "progressive"

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class ConsensusReport:
    """The consensus strategy: every model's answer, and how far they agree."""

    models: list[str]
    chosen_model: str
    agreement: float | None  # the chosen answer's agreement score, 0..1 (`agreement`)
    disagree: bool  # agreement under RAG_CONSENSUS_MIN_AGREEMENT
    failed: list[str] = field(default_factory=list)  # models that gave no answer
    # each of `failed`, with why it gave none ("answer interrupted"), in the note's words
    failed_why: dict[str, str] = field(default_factory=dict)
    too_long: list[str] = field(default_factory=list)  # left out: cannot hold the question
    timings_ms: dict[str, float] = field(default_factory=dict)
    name: str = "consensus"

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


StrategyReport = ProgressiveReport | ConsensusReport


def strategy_from_json(data: dict[str, Any] | None) -> StrategyReport | None:
    """A strategy's report from its `as_json` (an answer replayed from the cache keeps it)."""
    if not data:
        return None
    kinds: dict[str, type[ProgressiveReport] | type[ConsensusReport]] = {
        "progressive": ProgressiveReport, "consensus": ConsensusReport}
    return kinds[data["name"]](**data)


@dataclass
class Answer:
    """A streaming answer: iterate once for the text deltas, then read `.text`.

    The deltas are buffered, so `text` works after (or instead of) iterating. The fields
    below the record are filled as the stream ends.
    """

    deltas: Iterator[str]
    citations: list[Hit]
    generator: str
    record: GenerationRecord
    cached: bool = False
    query: str = ""  # what was searched for: the question, made standalone if a follow-up
    cited: list[int] = field(default_factory=list)  # the [n] markers kept in the text
    dropped_citations: int = 0  # markers naming no retrieved passage, removed
    latency_ms: float | None = None
    ttft_ms: float | None = None
    degraded: list[Degradation] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # shown with the record's notice
    strategy: StrategyReport | None = None  # progressive or consensus; None for single
    request_id: str | None = None  # in every log record made for this question
    # set by `abandon`, read by the generator (its request's `reader_gone`)
    reader_gone: threading.Event = field(default_factory=threading.Event, repr=False,
                                         compare=False)
    _parts: list[str] = field(default_factory=list)
    _done: bool = False

    def __iter__(self) -> Iterator[str]:
        if self._done:
            yield from self._parts
            return
        for delta in self.deltas:
            self._parts.append(delta)
            yield delta
        self._done = True

    @property
    def notice(self) -> str | None:
        """Everything to tell the reader under the answer, or None."""
        parts = [*self.notes, *([self.record.notice] if self.record.notice else [])]
        return " ".join(parts) if parts else None

    @property
    def text(self) -> str:
        if not self._done:
            for _ in self:
                pass
        return "".join(self._parts)

    def abandon(self) -> None:
        """Nobody will read on, from any thread: no model is called or retried for this answer
        any more, even before its first word (`close` stops a stream only at its next)."""
        self.reader_gone.set()

    def close(self) -> None:
        """Stop reading: the model's stream is closed and the answer counted as stopped."""
        close = getattr(self.deltas, "close", None)
        if close is not None:
            close()

    def as_json(self) -> dict[str, Any]:
        """`rag ask --json`'s object; reads the whole stream first (the record fills as it
        ends)."""
        text = self.text
        usage = self.record.as_json()
        usage["dropped_citations"] = self.dropped_citations
        for name in ("latency_ms", "ttft_ms"):
            if getattr(self, name) is not None:
                usage[name] = getattr(self, name)
        return {
            "answer": text,
            "citations": [hit.as_json() for hit in self.citations],
            "generator": self.generator,
            "model": self.record.model,
            "usage": usage,
            "cached": self.cached,
            "notice": self.notice,
            "cited": self.cited,
            "query": self.query,
            "degraded": list(self.degraded),
            "strategy": self.strategy.as_json() if self.strategy else None,
            "request_id": self.request_id,
        }


def describe_strategy(message: dict[str, Any]) -> tuple[str, bool] | None:
    """What the answer strategy did, in a sentence, and whether it is a warning (models that
    disagree); `message` is an answer's JSON (or the chat's message), with its `strategy`."""
    report = message.get("strategy")
    if not report:
        return None
    if report.get("name") == "progressive":
        return _describe_progressive(report), False
    agreement = report.get("agreement")
    models = len(report.get("models", []))
    left_out = (_failed(report.get("failed") or [], report.get("failed_why") or {})
                + _cannot_hold(report.get("too_long") or []))
    if agreement is None:
        return (f"Consensus: only {report.get('chosen_model')} of {models} models answered."
                f"{left_out}"), True
    answered = models - len(report.get("failed") or []) - len(report.get("too_long") or [])
    # a draft left out is a model the agreement never heard: the count says so
    of = f"{answered} of {models}" if 0 < answered < models else f"{models}"
    text = (f"Consensus of {of} models: agreement {agreement:.2f}, answer by "
            f"{report.get('chosen_model')}.{left_out}")
    if report.get("disagree"):
        return f"Models disagree. {text} Check the sources before relying on it.", True
    # a model that failed is worth an operator's eye, as models that disagree are
    return text, bool(report.get("failed"))


def _describe_progressive(report: dict[str, Any]) -> str:
    fast, too_long = report["first_model"], report.get("too_long")
    first = f"{fast} ({report['first_ms'] / 1000:.2f} s)"
    final = report.get("final_ms")
    took = f" ({final / 1000:.2f} s)" if final is not None else ""
    if too_long is not None and too_long == fast:
        return (f"Progressive: the fast model {fast} cannot hold the question; "
                f"{report.get('final_model')}{took} answered.")
    if too_long is not None:
        return (f"Progressive: the fast model {first} answered; its answer was weak "
                f"({report.get('reason')}), but {too_long} cannot hold the question.")
    if not report.get("upgraded"):
        return f"Progressive: the fast model {first} answered."
    return (f"Progressive: upgraded from {first} to {report.get('final_model')}{took} "
            f"because the first answer was weak: {report.get('reason')}.")


def _failed(models: list[str], why: dict[str, str]) -> str:
    """The note's words for the models left out because they gave no whole answer."""
    if not models:
        return ""
    named = [f"{model} ({why[model]})" if why.get(model) else model for model in models]
    return f" Left out: {', '.join(named)}."


def _cannot_hold(models: list[str]) -> str:
    """The note's words for the models left out, the question too long for their window."""
    if not models:
        return ""
    return (f" Left out, the question too long for its context window: "
            f"{', '.join(models)}.")
