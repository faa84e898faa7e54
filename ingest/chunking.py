"""Split a document into chunks measured in the embedder's own tokens.

langchain-text-splitters does the splitting (paragraphs, then sentences, lines, clauses,
words); the length function is the embedder's tokenizer, so no chunk can exceed what the model
reads. Sentences come before lines because a PDF's lines end wherever the layout wrapped them:
a chunk cut at a line end would end mid-sentence, and so would a passage quoted from it.
Each chunk keeps its character offsets in the document's joined text and the page (with its
locator: slide, sheet, chapter, section) it comes from. A chunk never spans two pages: a
citation names one page, and a chunk that ran on into the next page would be found by that
page's words and cite the page before (docs/evaluation.md). Only a sentence that runs on from
one page into the next (its page ends without a stop, the next goes on with it: in lower case,
with a parenthesis, with a line of prose after a line of prose) is finished in the first
page's last chunk, so that it can be quoted whole, citing the page where it starts; the next
page's chunk opens inside it. A page's last line of prose without a stop ends no sentence,
whatever the next page opens with: where it is not finished, its chunk is marked as stopping
inside a sentence. A page's footnotes (`Page.notes`), which end its text, are split apart from
its body: the sentence the body leaves unfinished is finished in the body's last chunk, and a
footnote opening in lower case goes on with the sentence its mark stands in. Parts without a
number or a locator (a format without pages) are split as one text.
A chunk whose first sentence leans on the one before it ("He ...") keeps that one, from its
page, as its lead-in, and a chunk opening with a program the sentence introducing it, from
the page before too. A chunk's last sentence introducing the code the next chunk opens with
("... like this:") goes to that chunk where it still fits the limits.
"""

from __future__ import annotations

import itertools
import re
import statistics
import unicodedata
from bisect import bisect_right
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import replace
from typing import TypeVar

from langchain_text_splitters import RecursiveCharacterTextSplitter

from ingest.formats.pdf_text import address_goes_on, keeps_hyphen
from rag.cancel import check_cancelled
from rag.text.graphemes import cluster_start, clusters
from rag.text.sentences import (
    code_blocks,
    introduces_code,
    is_code,
    is_heading,
    is_list_item,
    leans_back,
)
from rag.text.sentences import split as split_sentences
from rag.text.table_rows import (
    CELL_SEPARATOR,
    NAME_END,
    VALUE_SEPARATOR,
    row_lines,
    row_pieces,
)
from rag.text.tokens import TokenCounter
from rag.types import Chunk, Document, Page

T = TypeVar("T")

PAGE_SEPARATOR = "\n\n"
# how far a chunk's first sentence, and the sentence before it, are looked for: a longer
# sentence is no lead-in to quote
_LEAD_IN_CHARS = 1_000
# the pieces or chunks between two looks at the current ingest's cancel (`check_cancelled`):
# a look is cheap, and a few hundred take a fraction of a second
_CANCEL_EVERY = 256
_CLOSED_SENTENCE = re.compile(r"[.!?][\"'”’)\]]*$")
_NON_SPACE = re.compile(r"\S")


def join_pages(document: Document) -> tuple[str, list[int]]:
    """The document's text and the character offset at which each page starts."""
    starts, parts, offset = [], [], 0
    for page in document.pages:
        starts.append(offset)
        parts.append(page.text)
        offset += len(page.text) + len(PAGE_SEPARATOR)
    return PAGE_SEPARATOR.join(parts), starts


class WordSumCounter:
    """A text's tokens as the sum of its whitespace-separated words' tokens, each distinct word
    counted once by the real tokenizer and remembered.

    WordPiece splits at whitespace before anything else, so the sum is the tokenizer's own
    count (`TokenCounter.needs_exact_count` finds the rare exceptions); for the splitter,
    which measures every paragraph, sentence and merge, it is ten times cheaper than
    tokenizing each piece. `learn` counts a document's new words in one tokenizer call.
    """

    def __init__(self, counter: TokenCounter, max_words: int = 500_000) -> None:
        self._counter = counter
        self._words: dict[str, int] = {}
        self._max_words = max_words

    def learn(self, text: str) -> None:
        """Count every word of `text` not seen yet, all in one call."""
        if len(self._words) > self._max_words:  # a corpus of unique tokens: start over
            self._words.clear()
        new = list(set(text.split()).difference(self._words))
        if new:
            self._words.update(zip(new, self._counter.count_many(new), strict=True))

    def __call__(self, text: str) -> int:
        words = text.split()
        try:
            return sum(map(self._words.__getitem__, words))
        except KeyError:  # a text `learn` has not seen
            self.learn(text)
            return sum(map(self._words.__getitem__, words))


PARAGRAPH_SEPARATOR = "\n\n"
# a heading's words at most, and the marks it never ends with (a question may be one)
_HEADING_WORDS = 12
_NO_HEADING_ENDS = frozenset(".,;:!")
SENTENCE_ENDS = "\x00sentence ends\x00"  # a level of `SentenceSplitter`, not a string to find
SEPARATORS = (PARAGRAPH_SEPARATOR, SENTENCE_ENDS, "\n", "; ", ", ", " ", "")
# a chunk's characters, at most, per token it may hold: WordPiece reads a word of over 100
# characters (a hex dump, minified code) as one unknown token, so by tokens alone one chunk
# could hold megabytes, and an answer quote them; prose runs 4 to 6 characters a token
MAX_CHARS_PER_TOKEN = 20
# the narrowest line a table's row is rewritten into: below it, its opening and a value's
# name would leave no room for the value
MIN_ROW_CHARS = 40


class SentenceSplitter(RecursiveCharacterTextSplitter):
    """langchain's recursive splitter with one more level: the sentence ends that the app's
    segmenter finds (`rag.text.sentences`), so "Mr. Smith" and a line that wraps mid-sentence
    are not cut points while a real sentence end is. Each piece keeps the white space after
    it, so the pieces join back into the text."""

    def _split_text(self, text: str, separators: list[str]) -> list[str]:
        for i, separator in enumerate(separators):
            if separator == SENTENCE_ENDS:
                pieces = _sentence_pieces(text)
                if len(pieces) > 1:
                    return self._merged(pieces, separators[i + 1:])
            elif separator == PARAGRAPH_SEPARATOR and PARAGRAPH_SEPARATOR in text:
                return self._merged(_paragraph_pieces(text), separators[i + 1:])
            elif not separator:
                break
            elif re.search(re.escape(separator), text):
                return super()._split_text(text, separators[i:])
        # the finest level: characters as a reader sees them, not code points, so that no
        # chunk of Thai begins on a vowel mark cut from its letter
        return self._merge_splits(clusters(text), "")

    def _merged(self, pieces: list[str], finer: list[str]) -> list[str]:
        """Pieces merged into chunks as the base class merges its splits; a piece too long
        for one chunk is split further at the `finer` separators."""
        chunks: list[str] = []
        fitting: list[str] = []
        for piece in _cancellable(pieces):
            if self._length_function(piece) < self._chunk_size:
                fitting.append(piece)
                continue
            if fitting:
                chunks += self._merge_splits(fitting, "")
                fitting = []
            chunks += self._split_text(piece, finer)
        if fitting:
            chunks += self._merge_splits(fitting, "")
        return chunks


def _cancellable(items: Iterable[T]) -> Iterator[T]:
    """`items`, the current ingest's cancel looked at before every `_CANCEL_EVERY`th of them
    (`check_cancelled`): a document of megabytes is stopped inside its chunking, not after."""
    for n, item in enumerate(items):
        if n % _CANCEL_EVERY == 0:
            check_cancelled()
        yield item


def _in_code(chunks: list[Chunk], text: str) -> list[Chunk]:
    """The chunks, each beginning inside a fenced code block of the document's `text` with
    that block's opening fence: its own text cannot say it begins in code."""
    blocks = code_blocks(text)
    if not blocks:
        return chunks
    starts = [start for start, _, _ in blocks]
    found = []
    for chunk in chunks:
        at = bisect_right(starts, chunk.start) - 1
        inside = at >= 0 and chunk.start < blocks[at][1]
        found.append(replace(chunk, code_fence=blocks[at][2]) if inside else chunk)
    return found


def _with_lead_ins(chunks: list[Chunk], text: str, page_starts: list[int]) -> list[Chunk]:
    """The chunks, each whose first sentence leans on the one before it ("He ...",
    "However, ...") with that sentence (`Chunk.lead_in`), when it is on the same page: a
    citation names one page. A chunk opening its page has none, nor one opening in code.
    A chunk opening with a program has the sentence introducing it ("Consider the following
    function definition."), from the page before too where the program opens its page: the
    program alone does not say what it is for."""
    found = []
    for chunk in _cancellable(chunks):
        at = bisect_right(page_starts, chunk.start) - 1
        page_start = page_starts[at]
        if not chunk.code_fence and _opens_with_code(chunk.text):
            before_start = page_starts[at - 1] if chunk.start == page_start and at else page_start
            found.append(replace(chunk, lead_in=_introduction_before(text, before_start,
                                                                     chunk.start)))
            continue
        if chunk.start == page_start or chunk.code_fence or not leans_back(chunk.text):
            found.append(chunk)  # split into sentences only when its opening words lean
            continue
        first = split_sentences(chunk.text[:_LEAD_IN_CHARS])[:1]
        if first and first[0].text[:1].isupper() and leans_back(first[0].text):
            chunk = replace(chunk, lead_in=_sentence_before(text, page_start,
                                                            chunk.start + first[0].start))
        found.append(chunk)
    return found


def _with_openings(chunks: list[Chunk], text: str, page_starts: list[int],
                   notes_at: dict[int, int], part_starts: list[int],
                   numbered: dict[int, int]) -> list[Chunk]:
    """The chunks, each that begins or stops inside a sentence marked so
    (`Chunk.opens_inside_sentence`, `Chunk.closes_inside_sentence`). A page's footnotes
    (`notes_at`, where they start, by the page's place) open no sentence of its body, and the
    body's sentences end where they start (`part_starts`: the pages' and the notes'). A
    footnote opening on words in lower case goes on with the sentence its mark stands in
    ("such as being unable to find -lm."): alone it is no sentence. `numbered`: the numbers
    of the numbered pages (`_a_page`), by their starts: their sentences a page break may cut."""
    # the page after a page with footnotes goes on with that page's body
    body_ends = {page_starts[index + 1]: start for index, start in notes_at.items()
                 if index + 1 < len(page_starts)}
    notes = set(notes_at.values())
    return [replace(chunk,
                    opens_inside_sentence=(
                        _OPENS_PROSE_IN_LOWER_CASE.match(chunk.text.lstrip()) is not None
                        if chunk.start in notes
                        else _opens_inside_sentence(chunk, text, page_starts, body_ends,
                                                    numbered)),
                    closes_inside_sentence=_closes_inside_sentence(
                        chunk, text, part_starts, page_starts, notes, numbered))
            for chunk in _cancellable(chunks)]


def _closes_inside_sentence(chunk: Chunk, text: str, part_starts: list[int],
                            page_starts: list[int], notes: set[int],
                            numbered: dict[int, int]) -> bool:
    """Whether the text after the chunk, in its part (`part_starts`: a page's body, its
    footnotes), goes on with a sentence the chunk leaves unfinished: the chunk was cut within
    a line, not after a stop, or what follows reads as the opening of a chunk inside a
    sentence would (`_opens_inside_sentence`); or whether its last sentence introduces code
    that follows it, here or at the next page's top ("... like this:", "a version for S is"
    then a program): it says what it says with that code. A chunk ending a numbered page's
    body (`numbered`: those pages' numbers by their starts) stops inside a sentence unless
    that sentence ends there (`_unfinished_at_page_end`) or its end from the next page was
    added to it (`Chunker._finish_sentences`)."""
    part = bisect_right(part_starts, chunk.start) - 1
    part_end = (part_starts[part + 1] - len(PAGE_SEPARATOR) if part + 1 < len(part_starts)
                else len(text))
    after = _opening_after(text, chunk.end, part_end)
    if chunk.code_fence:
        return False
    if not after.strip():
        page = bisect_right(page_starts, chunk.start) - 1
        next_page = page_starts[page + 1] if page + 1 < len(page_starts) else None
        opening = ("" if next_page is None
                   else text[next_page:next_page + _LEAD_IN_CHARS].lstrip())
        if opening and _completed_by_code(chunk.text, opening):
            return True
        finished = len(chunk.text) > chunk.end - chunk.start  # by the next page's words
        return (page_starts[page] in numbered and part_starts[part] not in notes
                and not finished and _unfinished_at_page_end(chunk.text, opening))
    if _completed_by_code(chunk.text, after):
        return True
    if _ENDS_SENTENCE.search(chunk.text.rstrip()):
        return False
    if "\n" not in after[:len(after) - len(after.lstrip())]:
        return True  # cut within a line: the sentence goes on after the cut
    following = replace(chunk, start=chunk.end, text=after[:_LEAD_IN_CHARS], code_fence=None)
    return _opens_inside_sentence(following, text, page_starts)


def _unfinished_at_page_end(said: str, opening: str) -> bool:
    """Whether the text a page's body ends with (`said`) stops inside a sentence: it has no
    stop, and its last line is prose (a page breaks a sentence wherever its lines run out, so
    a prose line without a stop is no sentence's end), or the next page's text (`opening`)
    goes on with it (`_goes_on_over`: "... can be done by\nmake check-devel" | "or ...")."""
    ending = said.rstrip()
    return bool(ending) and not _ENDS_SENTENCE.search(ending) and (
        _is_cut_prose_line(ending) or _goes_on_over(ending, opening))


def _opening_after(text: str, start: int, end: int) -> str:
    """`text[start:end]` as far as what reads after a chunk looks: its white space, then
    `_LEAD_IN_CHARS` characters. The rest of a long page, copied for each of its chunks,
    takes time in the page's length squared."""
    opening = _NON_SPACE.search(text, start, end)
    return text[start:end if opening is None else min(end, opening.start() + _LEAD_IN_CHARS)]


def _completed_by_code(said: str, after: str) -> bool:
    """Whether `after` opens with code that the last sentence of `said` introduces
    (`introduces_code`: "Install it with pip:", "the command is")."""
    if not (introduces_code(said.rstrip()) and _opens_with_code(after)):
        return False
    last = split_sentences(said, outside_code=True)[-1:]
    return bool(last) and introduces_code(last[0].text)


def _opens_with_code(text: str) -> bool:
    """Whether `text`, outside any code block, opens with code: a fenced block, a program's
    lines (`rag.text.sentences.split`)."""
    opening = split_sentences(text.lstrip()[:_LEAD_IN_CHARS], outside_code=True)[:1]
    return bool(opening) and opening[0].start == 0 and is_code(opening[0].text)


def _opens_inside_sentence(chunk: Chunk, text: str, page_starts: list[int],
                           body_ends: dict[int, int] | None = None,
                           numbered: dict[int, int] | None = None) -> bool:
    """Whether the text before the chunk leaves a sentence unfinished that the chunk goes on
    with. A stop, a blank line or a heading before it ends one; so does a line without a stop
    before a chunk opening with a capital, a figure or a list's mark (a title, a signature, a
    list's item), unless that line is prose stopping on a word no sentence ends on. A chunk
    opening in lower case or on a closing mark goes on with it, and so does one opening with a
    parenthesis after a line of prose. A chunk opening a numbered page right after another
    (`numbered`: the numbered pages' numbers by their starts) goes on with the sentence that
    page leaves unfinished (`_goes_on_over`), and a page opening with words in lower case goes
    on with the page before, whatever that page ends with (a footnote's stop, where the
    footnotes were not told apart). `body_ends`: where the body of the page before ends, by
    the start of the page after, when footnotes end its text."""
    if chunk.code_fence or chunk.start == 0:
        return False
    page = bisect_right(page_starts, chunk.start) - 1
    at_page_start = page_starts[page] == chunk.start
    # the page before, where the chunk opens its page: a sentence may run on over the page
    end = chunk.start
    if at_page_start:
        end = (body_ends or {}).get(chunk.start, chunk.start - len(PAGE_SEPARATOR))
    before = text[max(0, end - _LEAD_IN_CHARS):end]
    ended = before.rstrip()
    if not ended:
        return False
    if at_page_start and _OPENS_PROSE_IN_LOWER_CASE.match(chunk.text.lstrip()):
        return True
    if at_page_start and page and _follows(numbered or {}, page_starts[page - 1], chunk.start):
        # the blank line between a page's body and its footnotes ends no paragraph
        return _goes_on_over(ended, chunk.text.lstrip())
    if "\n\n" in before[len(ended):] or _ENDS_SENTENCE.search(ended):
        return False
    last_line = ended.rsplit("\n", 1)[-1]
    if is_heading(last_line.strip()):
        return False
    opening = chunk.text.lstrip()
    return (opening[:1].islower() or opening[:1] in _GOES_ON or _stops_mid_sentence(ended)
            or _aside_goes_on(ended, opening))


def _follows(numbered: dict[int, int], before: int, start: int) -> bool:
    """Whether the page starting at `start` is the numbered page right after the one starting
    at `before` (`numbered`: the numbered pages' numbers by their starts)."""
    return before in numbered and numbered.get(start) == numbered[before] + 1


# what a sentence's second part may open with, where a new one does not
_GOES_ON = frozenset(",;:)]}—–")
# prose in lower case: words, hyphenated ones ("update-alternatives to switch"), an aside's
# bracket opening one ("that generic (and S4"), the first word alone on its line as a page
# may set it ("or\nmake check-all"); not code ("labels <- paste(...)") or a listing's lines
_OPENS_PROSE_IN_LOWER_CASE = re.compile(
    r"[a-z]+(?:-[a-z]+)*,?\s\(?[a-z]+(?:-[a-z]+)*,? \(?[a-z]+\b")
# a list's item in parentheses: "(a) ", "(iv) ", "(2) "
_PARENTHESISED_MARK = re.compile(r"\((?:\d{1,3}|[a-z]|[ivx]{1,5})\)\s", re.IGNORECASE)


def _aside_goes_on(ended: str, opening: str) -> bool:
    """Whether `opening`, a parenthesis, goes on with the prose line `ended` stops without a
    stop: "... packages it can use" | "(i.e., which were installed)." A list's mark in
    parentheses opens an item, and after a heading or a formula a parenthesis opens one."""
    return (opening[:1] == "(" and not _PARENTHESISED_MARK.match(opening)
            and _is_prose_line(ended))


def _sentence_before(text: str, page_start: int, end: int) -> str | None:
    """The last whole sentence of its page before `end`, if it is prose: closed by a stop
    (a PDF's heading runs on into the code or text before it with none), no heading, no code,
    no list's item."""
    start = max(page_start, end - _LEAD_IN_CHARS)
    before = split_sentences(text[start:end])
    if not before or (len(before) == 1 and start > page_start):  # cut where it was looked for
        return None
    last = before[-1].text
    prose = (bool(_CLOSED_SENTENCE.search(last)) and not is_heading(last) and not is_code(last)
             and not is_list_item(last))
    return last if prose else None


def _introduction_before(text: str, start: int, end: int) -> str | None:
    """The last sentence of `text[start:end]` when it introduces the code at `end`
    (`introduces_code`) and is prose: no heading, no list's item, and, without a stop, one
    stopping on a word no sentence ends on ("the command is"), not a title ("Examples")."""
    window = max(start, end - _LEAD_IN_CHARS)
    before = split_sentences(text[window:end], outside_code=True)
    if not before or (len(before) == 1 and window > start):  # cut where it was looked for
        return None
    last = before[-1].text
    if not introduces_code(last) or is_heading(last) or is_list_item(last):
        return None
    if last[-1:].isalnum() and not _stops_mid_sentence(last):
        return None
    return last


def _next_to(chunk: Chunk, after: Chunk, text: str, part_starts: list[int]) -> bool:
    """Whether `after` starts where `chunk` ends, but for white space, in the same part."""
    return (chunk.end <= after.start and not text[chunk.end:after.start].strip()
            and bisect_right(part_starts, chunk.start) == bisect_right(part_starts, after.start))


def _moved_introduction(chunk: Chunk, after: Chunk, text: str) -> tuple[Chunk, Chunk] | None:
    """`chunk` without its last sentence and `after` opening with it, when that sentence
    introduces code (`introduces_code`) that `after` opens with, and `chunk` has a sentence
    before it to keep; else None. `text`: the document's."""
    if not introduces_code(chunk.text.rstrip()):
        return None  # the last sentence's end, read before the chunk is split
    said = split_sentences(chunk.text, code_fence=chunk.code_fence,
                           outside_code=chunk.code_fence is None)
    if len(said) < 2 or not introduces_code(said[-1].text):
        return None
    if not _opens_with_code(after.text):
        return None
    cut = chunk.start + said[-1].start
    kept = chunk.text[:said[-1].start].rstrip()
    return (replace(chunk, end=chunk.start + len(kept), text=kept),
            replace(after, start=cut, text=text[cut:after.start] + after.text))


def _paragraph_pieces(text: str) -> list[str]:
    """`text` cut after each blank line, as langchain cuts it, but for a heading (a short
    paragraph of a line or two, without a closing stop): it stays with the paragraph after
    it, or a chunk could end on it, a passage of a heading alone."""
    cuts = [found.end() for found in re.finditer(re.escape(PARAGRAPH_SEPARATOR), text)]
    bounds = [0, *cuts, len(text)]
    pieces = [text[a:b] for a, b in itertools.pairwise(bounds) if a < b]
    glued: list[str] = []
    for piece in pieces:
        if glued and _reads_as_heading(glued[-1]):
            glued[-1] += piece
        else:
            glued.append(piece)
    return glued


def _reads_as_heading(paragraph: str) -> bool:
    body = paragraph.strip()
    return (0 < len(body.split()) <= _HEADING_WORDS and body.count("\n") < 2
            and body[-1] not in _NO_HEADING_ENDS)


def _sentence_pieces(text: str) -> list[str]:
    """`text` cut where each sentence after the first begins, but inside a table row's line
    (`rag.text.table_rows`): its sentences are one cell's, and a piece cut from the row
    would not say whose values it holds."""
    starts = [sentence.start for sentence in split_sentences(text)[1:]]
    rows = _row_spans(text)
    if rows:
        row_starts = [start for start, _ in rows]
        starts = [start for start in starts if not _inside(rows, row_starts, start)]
    bounds = [0, *starts, len(text)]
    return [text[a:b] for a, b in itertools.pairwise(bounds) if a < b]


def _row_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of each line of `text` that is a table's row, in order."""
    if VALUE_SEPARATOR not in text:
        return []
    spans, start = [], 0
    for line in text.split("\n"):
        if VALUE_SEPARATOR in line and row_pieces(line) is not None:
            spans.append((start, start + len(line)))
        start += len(line) + 1
    return spans


def _under_header(pieces: list[str], headers: list[frozenset[str]]) -> bool:
    """Whether a row's named values (`row_pieces`) are all named by the cells of one table
    header above it, as ingest writes a table: its header line ("Region | Q1"), then its
    rows. A line of prose in the same shape ("Symptom: ...; Cause: ...") has no such
    header, and is the author's to cut where its sentences end."""
    names = {piece.partition(NAME_END)[0] for piece in pieces}
    return any(names <= header for header in headers)


def _inside(spans: list[tuple[int, int]], starts: list[int], at: int) -> bool:
    """Whether `at` falls past the start of one of `spans` (whose `starts` are given) and
    before its end."""
    i = bisect_right(starts, at) - 1
    return i >= 0 and spans[i][0] < at < spans[i][1]


def make_splitter(length: Callable[[str], int], chunk_tokens: int, overlap_tokens: int,
                  separators: Sequence[str] = SEPARATORS) -> RecursiveCharacterTextSplitter:
    """A splitter whose sizes are in model tokens, as `length` counts them."""
    return SentenceSplitter(
        chunk_size=chunk_tokens,
        chunk_overlap=min(overlap_tokens, chunk_tokens // 2),
        length_function=length,
        separators=list(separators),
        keep_separator="end",
        strip_whitespace=True,
    )



def _says_nothing(part: str) -> bool:
    """A run of spaces or of punctuation cut apart ("." of an index's dot leaders, a code
    block's closing fence alone): found by no search, it quotes nothing. An emoji is kept."""
    return not any(c.isalnum() or unicodedata.category(c) == "So" for c in part)

class Chunker:
    """Chunks of `chunk_tokens` content tokens with `overlap_tokens` of overlap, never over
    `limit` (the model's limit less its special tokens), each counted exactly.

    Picklable (it travels as its settings), so a parse worker process can chunk; each
    process keeps its own word counts. `separators` are the splitter's levels, coarsest
    first (`SEPARATORS`; benchmarks compare others).
    """

    def __init__(self, counter: TokenCounter, chunk_tokens: int, overlap_tokens: int,
                 limit: int, separators: Sequence[str] = SEPARATORS) -> None:
        self.counter = counter
        self.chunk_tokens = min(chunk_tokens, limit)
        self.overlap_tokens = overlap_tokens
        self.limit = limit
        self.max_chars = self.chunk_tokens * MAX_CHARS_PER_TOKEN
        self.separators = tuple(separators)
        self.words = WordSumCounter(counter)
        self.splitter = make_splitter(self.words, self.chunk_tokens, overlap_tokens,
                                      self.separators)

    def __reduce__(self) -> tuple[type, tuple]:
        return Chunker, (self.counter, self.chunk_tokens, self.overlap_tokens, self.limit,
                         self.separators)

    def __call__(self, document: Document) -> list[Chunk]:
        """The document's chunks in reading order, each with its first page and offsets (in
        the text as chunked: a table's row too long for a chunk is rewritten first)."""
        text, page_starts = join_pages(document)
        self.words.learn(text)
        narrowed = self._rows_within_chunks(document)
        if narrowed is not document:
            document = narrowed
            text, page_starts = join_pages(document)
            self.words.learn(text)  # the words a row's cell was cut into
        notes_at = _notes_starts(document, page_starts)
        pieces = []
        for first, last in _runs(document):
            check_cancelled()  # a long document is stopped between its pages
            base = page_starts[first]
            end = page_starts[last] + len(document.pages[last].text)
            # a page's footnotes are split apart from its body: no chunk holds both
            bounds = [base, *([notes_at[first]] if first in notes_at else []), end]
            for start, stop in itertools.pairwise(bounds):
                pieces += [(body, start + offset) for body, offset in
                           _pieces(text[start:stop], self.splitter)]
        counts = self._counts([body for body, _ in pieces])
        chunks: list[Chunk] = []
        for (body, start), tokens in _cancellable(zip(pieces, counts, strict=True)):
            fitted = ([(body, start, tokens)] if self._fits(body, tokens)
                      else self._fit(body, start))
            for part, offset, part_tokens in fitted:
                if _says_nothing(part):
                    continue
                page = document.pages[max(bisect_right(page_starts, offset) - 1, 0)]
                chunks.append(Chunk(
                    doc_id=document.doc_id, source=document.source, title=document.title,
                    position=len(chunks), page=page.number, start=offset,
                    end=offset + len(part), text=part, token_count=part_tokens,
                    locator=page.locator,
                ))
        chunks = _in_code(self._finish_sentences(document, chunks, page_starts, notes_at), text)
        # a page's footnotes are a part of their own: no lead-in from its body, and its body
        # ends where they start
        part_starts = sorted([*page_starts, *notes_at.values()])
        chunks = self._introductions_with_code(chunks, text, part_starts)
        numbered = {start: page.number for start, page in
                    zip(page_starts, document.pages, strict=True) if _a_page(page)}
        return _with_openings(_with_lead_ins(chunks, text, part_starts), text, page_starts,
                              notes_at, part_starts, numbered)

    def _rows_within_chunks(self, document: Document) -> Document:
        """The document with each table row's line (`rag.text.table_rows`, under its table's
        header: `_under_header`) that is too long for a chunk written as narrower lines, each
        opening with the row's first value, as ingest writes a row wider than a default
        chunk. Cut by the splitter at its "; ", such a row would leave pieces that say
        nothing but the row's key ("ID: 1;"), or values that no longer say whose they are."""
        pages = [self._narrow_rows(page) for page in document.pages]
        if all(new is old for new, old in zip(pages, document.pages, strict=True)):
            return document
        return replace(document, pages=pages)

    def _narrow_rows(self, page: Page) -> Page:
        lines = page.text.split("\n")
        narrowed = False
        headers: list[frozenset[str]] = []  # the cells of each table header above
        for i, line in enumerate(lines):
            if CELL_SEPARATOR in line and row_pieces(line) is None:
                headers.append(frozenset(line.split(CELL_SEPARATOR)))
                continue
            # no token is shorter than a character: a line no longer than a chunk's tokens
            # fits; counting tokens is the dear test, so it comes last
            if len(line) < self.chunk_tokens or VALUE_SEPARATOR not in line:
                continue
            pieces = row_pieces(line)
            if (pieces is not None and _under_header(pieces, headers)
                    and self.words(line) >= self.chunk_tokens):
                lines[i], narrowed = self._row_within_chunk(pieces, line), True
        return replace(page, text="\n".join(lines)) if narrowed else page

    def _row_within_chunk(self, pieces: list[str], line: str) -> str:
        """The row's lines, each under a chunk's tokens: as wide as the line's own characters
        per token allow, narrower until they fit."""
        width = len(line) * self.chunk_tokens // self.words(line)
        while True:
            width = max(width * 9 // 10, MIN_ROW_CHARS)
            rows = row_lines(pieces, width)
            if width == MIN_ROW_CHARS or all(
                    self.words(row) < self.chunk_tokens for row in rows.split("\n")):
                return rows

    def _finish_sentences(self, document: Document, chunks: list[Chunk],
                          page_starts: list[int], notes_at: dict[int, int]) -> list[Chunk]:
        """The last chunk of each page's body (its text before its footnotes) with the end of
        a sentence that runs on into the next page, where it still fits the limits."""
        # by the page's place in the document: two pages may carry one number
        last_of_page = {}
        for i, chunk in enumerate(chunks):
            index = bisect_right(page_starts, chunk.start) - 1
            if chunk.start < notes_at.get(index, chunk.end):
                last_of_page[index] = i
        for index, (page, after) in enumerate(itertools.pairwise(document.pages)):
            end = _runs_on(_body(page), _body(after))
            at = last_of_page.get(index)
            if end is None or at is None:
                continue
            chunk = chunks[at]
            text = _joined_over_page(chunk.text, after.text[:end].strip())
            (tokens,) = self._counts([text])  # its words were learnt with the document's
            if self._fits(text, tokens):  # its offsets stay its page's part
                chunks[at] = replace(chunk, text=text, token_count=tokens)
        return chunks

    def _introductions_with_code(self, chunks: list[Chunk], text: str,
                                 part_starts: list[int]) -> list[Chunk]:
        """The chunks, each ending on a sentence that introduces the code the next one opens
        with ("The difference can be seen like this:") without it, where the next one with it
        still fits the limits: the introduction says what the code is for, and quoted alone
        it is a sentence cut off. The splitter ends a chunk there when the code does not fit
        after it. Chunks of one part (`part_starts`: pages, footnotes) only, not overlapping."""
        found = list(chunks)
        for i in range(len(found) - 1):
            chunk, after = found[i], found[i + 1]
            if not _next_to(chunk, after, text, part_starts) or after.code_fence:
                continue
            moved = _moved_introduction(chunk, after, text)
            if moved is None:
                continue
            kept, given = moved
            kept_tokens, given_tokens = self._counts([kept.text, given.text])
            if self._fits(given.text, given_tokens):
                found[i] = replace(kept, token_count=kept_tokens)
                found[i + 1] = replace(given, token_count=given_tokens)
        return found

    def _counts(self, bodies: list[str]) -> list[int]:
        """Exact counts: the words' sums where they are exact, the tokenizer elsewhere."""
        if not self.counter.additive:
            return self.counter.count_many(bodies)
        counts = [self.words(body) for body in bodies]
        odd = [i for i, body in enumerate(bodies) if self.counter.needs_exact_count(body)]
        if odd:
            for i, tokens in zip(odd, self.counter.count_many([bodies[i] for i in odd]),
                                 strict=True):
                counts[i] = tokens
        return counts

    def _fits(self, body: str, tokens: int) -> bool:
        return tokens <= self.limit and len(body) <= self.max_chars

    def _fit(self, body: str, start: int) -> list[tuple[str, int, int]]:
        """Halve a piece at whitespace until each part is within the limits.

        The splitter adds up the token counts of the pieces it merges, and a merge can come
        out a few tokens over (or a single word be enormous); this makes the limits hard.
        """
        tokens = self.counter.count(body)
        if self._fits(body, tokens) or len(body) < 2:
            return [(body, start, tokens)]
        middle = len(body) // 2
        cut = body.rfind(" ", 0, middle)
        cut = cut if cut > 0 else cluster_start(body, middle) or middle
        head, tail = body[:cut], body[cut:]
        lead = len(tail) - len(tail.lstrip())
        return self._fit(head.rstrip(), start) + self._fit(tail.lstrip(), start + cut + lead)


# where a page's text may end a sentence: a stop, a closing quote or bracket after one
_ENDS_SENTENCE = re.compile(r"[.!?:;…][\"'”’)\]]*\s*$")
_RUN_ON_CHARS = 400  # the most of the next page carried back: one sentence's end
# words no sentence ends on: a page of prose stopping on one goes on over the page, even
# where the next begins with a capital ("See the" | "GNU Readline Library manual ...")
_NEVER_LAST = frozenset("""
    a an the of to in on at by for with from into onto upon via than as and or nor but whereas
    because if that which whose is are was were be been can may will would should must its
    their his her our your my
    """.split())
# a line of fewer words is a formula, a listing or a caption as often as prose
_PROSE_LINE_WORDS = 6
# a page's last line is as wide as its others at this share of their median width, which
# takes at least this many lines to tell
_FULL_WIDTH = 0.85
_WIDTH_LINES = 3


def _runs_on(page: Page, after: Page) -> int | None:
    """Where, in the text of the page `after`, the sentence that `page` leaves unfinished
    ends, at a stop or at the end of a program it introduces ("eval(...)," | "list(...)) for"
    then the program); None when `after` is not the next page or does not go on with a
    sentence `page` leaves unfinished (`_goes_on_over`), or that sentence ends in neither way
    within `_RUN_ON_CHARS`."""
    if not (_a_page(page) and _a_page(after) and after.number == page.number + 1):
        return None
    ending, opening = page.text.rstrip(), after.text.lstrip()
    if not _goes_on_over(ending, opening):
        return None
    lead = len(after.text) - len(opening)
    sentences = split_sentences(opening[:_RUN_ON_CHARS])
    if not sentences:
        return None
    if (len(sentences) > 1 and is_code(sentences[1].text)
            and introduces_code(sentences[0].text)):
        return lead + sentences[1].end  # it ends with the program it introduces ("... for")
    if not _ENDS_SENTENCE.search(opening[:sentences[0].end]):
        return None  # no end of the sentence close by: carried back, it would be cut still
    return lead + sentences[0].end


def _goes_on_over(ending: str, opening: str) -> bool:
    """Whether a page's text (`ending`, its body's) leaves a sentence unfinished that the next
    page's text (`opening`) goes on with. The page ends without a stop, on no heading, and the
    next goes on in lower case or on a closing mark; or the page's last line is prose stopping
    on a word no sentence ends on ("... see the" | "GNU Readline Library manual ..."), or
    going on in a parenthesis ("... packages it can use" | "(i.e., which were installed).");
    or the last line of the one and the first of the other are prose, a paragraph the page
    break cuts ("... from ‘https://svn.r-project.org/R/branches/" | "R-x-y-branch/’ (where x
    and y are the major and minor number of the current released"), not a term of a list
    ("ditto, for compiling the main program" | "SHLIB_CFLAGS"), not a heading; or the page
    break cut a word or a web address, even after a dot ("www.example." | "com/path")."""
    if not ending:
        return False
    if _word_made_whole(*_last_and_first_words(ending, opening)) is not None:
        return True
    if _ENDS_SENTENCE.search(ending):
        return False
    if is_heading(ending.rsplit("\n", 1)[-1].strip()):
        return False
    if (opening[:1].islower() or opening[:1] in _GOES_ON or _stops_mid_sentence(ending)
            or _aside_goes_on(ending, opening)):
        return True
    first_line = opening.split("\n", 1)[0].strip()
    return (_is_cut_prose_line(ending) and _is_prose_line(first_line)
            and not is_heading(first_line) and not is_list_item(first_line))


def _last_and_first_words(ending: str, opening: str) -> tuple[str, str]:
    return (ending.rsplit(None, 1)[-1] if ending.strip() else "",
            opening.split(None, 1)[0] if opening.strip() else "")


def _word_made_whole(last: str, first: str) -> str | None:
    """The word a page break cut, `last` ending a page and `first` opening the next, made
    whole: a web address cut after a dot or a slash ("www.example." | "com/path"), or a word
    cut at a hyphen, kept where it belongs to the word ("Springer-" | "Verlag") and dropped
    where it only broke it ("hyphen-" | "ation", `keeps_hyphen`). None for two words."""
    if address_goes_on(last, first):
        return last + first
    if len(last) > 2 and last.endswith("-") and last[-2].isalpha() and first[:1].isalpha():
        return last[:-1] + ("-" if keeps_hyphen(last[:-1], first) else "") + first
    return None


def _joined_over_page(ending: str, carried: str) -> str:
    """A page's last chunk (`ending`) and the end of its sentence the next page opens with
    (`carried`), on two lines, or as one word where the page break cut a word."""
    ending, carried = ending.rstrip(), carried.lstrip()
    last, first = _last_and_first_words(ending, carried)
    whole = _word_made_whole(last, first)
    if whole is None:
        return f"{ending}\n{carried}"
    return f"{ending[:len(ending) - len(last)]}{whole}{carried[len(first):]}"


def _stops_mid_sentence(ending: str) -> bool:
    """A page's text whose last line is prose ending on a word no sentence ends on."""
    return _is_prose_line(ending) and ending.split()[-1] in _NEVER_LAST


def _is_cut_prose_line(text: str) -> bool:
    """Whether the last line of `text` is prose that runs the width of the lines above it: a
    page break cuts a paragraph where a full line ends, while a paragraph's own last line,
    without a stop or with one, is most often shorter (a page set one paragraph to a page, a
    post ending "Thanks in advance")."""
    lines = [line.strip() for line in text.split("\n") if line.strip()]
    if len(lines) < _WIDTH_LINES or not _is_prose_line(lines[-1]):
        return False
    width = statistics.median(len(line) for line in lines[:-1])
    return len(lines[-1]) >= _FULL_WIDTH * width


def _is_prose_line(text: str) -> bool:
    """Whether the last line of `text` is prose: enough words of letters alone."""
    words = text.rsplit("\n", 1)[-1].split()
    return len([w for w in words if w.rstrip(",;").isalpha()]) >= _PROSE_LINE_WORDS


def _a_page(page: Page) -> bool:
    """A numbered page (a PDF's, a scan's), not a slide, sheet or chapter, each a unit of
    its own."""
    return page.number is not None and (page.locator is None
                                        or page.locator.startswith(f"page {page.number} "))


def _notes_start(page: Page) -> int | None:
    """Where in the page's text its footnotes (`Page.notes`) start; None when it has none,
    or its text no longer ends with them."""
    if page.notes and len(page.text) > len(page.notes) and page.text.endswith(page.notes):
        return len(page.text) - len(page.notes)
    return None


def _notes_starts(document: Document, page_starts: list[int]) -> dict[int, int]:
    """Where each page's footnotes start in the document's joined text, by the page's place."""
    return {index: page_starts[index] + at for index, page in enumerate(document.pages)
            if _a_page(page) and (at := _notes_start(page)) is not None}


def _body(page: Page) -> Page:
    """The page's text before its footnotes."""
    at = _notes_start(page)
    return page if at is None else replace(page, text=page.text[:at].rstrip(), notes="")


def _runs(document: Document) -> Iterator[tuple[int, int]]:
    """Indexes (first, last) of the pages split together: each page that a citation names (by
    number or locator) alone, consecutive parts that have neither together."""
    first = None
    for i, page in enumerate(document.pages):
        if page.number is None and page.locator is None:
            first = i if first is None else first
            continue
        if first is not None:
            yield first, i - 1
            first = None
        yield i, i
    if first is not None:
        yield first, len(document.pages) - 1


def _pieces(text: str, splitter: RecursiveCharacterTextSplitter) -> Iterator[tuple[str, int]]:
    """The splitter's pieces of `text`, each with where it starts. A piece ends after the one
    before it ends and starts no later than the next word after it, so it is looked for in
    that window, latest first (where the text repeats itself, the earliest match would fall
    ever further behind): the text is read about twice in all. The splitter's own
    `start_index` is not used: it takes its overlap, counted here in tokens, from an offset
    in characters and misses, and a search from the text's start for each miss is quadratic."""
    previous_end = 0
    for body in splitter.split_text(text):
        if not body.strip():
            continue
        earliest = max(0, previous_end - len(body) + 1)
        next_word = _NON_SPACE.search(text, previous_end)
        latest = next_word.start() if next_word else len(text)
        start = text.rfind(body, earliest, latest + len(body))
        if start < 0:  # not where expected: the first match after the piece before
            start = text.find(body, earliest)
        if start < 0:
            start = text.find(body)
        previous_end = max(previous_end, start + len(body))
        yield body, start
