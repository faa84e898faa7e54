"""Split a document into chunks measured in the embedder's own tokens.

langchain-text-splitters does the splitting (paragraphs, then lines, sentences, words); the
length function is the embedder's tokenizer, so no chunk can exceed what the model reads.
Each chunk keeps its character offsets in the document's joined text and the page it starts on.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Callable, Iterator

from langchain_text_splitters import RecursiveCharacterTextSplitter

from rag.types import Chunk, Document

PAGE_SEPARATOR = "\n\n"


def join_pages(document: Document) -> tuple[str, list[int]]:
    """The document's text and the character offset at which each page starts."""
    starts, parts, offset = [], [], 0
    for page in document.pages:
        starts.append(offset)
        parts.append(page.text)
        offset += len(page.text) + len(PAGE_SEPARATOR)
    return PAGE_SEPARATOR.join(parts), starts


class _WordTokens(dict):
    """Each word's token count, counted by the real tokenizer the first time it is asked for."""

    def __init__(self, count_tokens: Callable[[str], int]) -> None:
        super().__init__()
        self._count = count_tokens

    def __missing__(self, word: str) -> int:
        tokens = self[word] = self._count(word)
        return tokens


class WordSumCounter:
    """A text's tokens as the sum of its whitespace-separated words' tokens, each distinct word
    counted once by the real tokenizer and remembered.

    WordPiece splits at whitespace before anything else, so the sum is the tokenizer's own
    count; for the splitter, which measures every paragraph, sentence and merge, it is ten
    times cheaper than tokenizing each piece (the final chunks are still counted exactly).
    """

    def __init__(self, count_tokens: Callable[[str], int], max_words: int = 500_000) -> None:
        self._words = _WordTokens(count_tokens)
        self._max_words = max_words

    def __call__(self, text: str) -> int:
        if len(self._words) > self._max_words:  # a corpus of unique tokens: start over
            self._words.clear()
        return sum(map(self._words.__getitem__, text.split()))


def make_splitter(
    count_tokens: Callable[[str], int], chunk_tokens: int, overlap_tokens: int
) -> RecursiveCharacterTextSplitter:
    """A splitter whose sizes are in model tokens (count_tokens excludes special tokens)."""
    return RecursiveCharacterTextSplitter(
        chunk_size=chunk_tokens,
        chunk_overlap=min(overlap_tokens, chunk_tokens // 2),
        length_function=WordSumCounter(count_tokens),
        separators=["\n\n", "\n", ". ", "? ", "! ", "; ", ", ", " ", ""],
        keep_separator="end",
        add_start_index=True,
        strip_whitespace=True,
    )


def _fit(body: str, start: int, count_tokens: Callable[[str], int],
         limit: int) -> list[tuple[str, int]]:
    """Halve a piece at whitespace until each part is within `limit` tokens.

    The splitter adds up the token counts of the pieces it merges, and WordPiece counts are not
    quite additive, so a merged chunk can come out a few tokens over; this makes the limit hard.
    """
    if count_tokens(body) <= limit or len(body) < 2:
        return [(body, start)]
    middle = len(body) // 2
    cut = body.rfind(" ", 0, middle)
    cut = cut if cut > 0 else middle
    head, tail = body[:cut], body[cut:]
    lead = len(tail) - len(tail.lstrip())
    return (_fit(head.rstrip(), start, count_tokens, limit)
            + _fit(tail.lstrip(), start + cut + lead, count_tokens, limit))


def _pieces(text: str, splitter: RecursiveCharacterTextSplitter,
            count_tokens: Callable[[str], int], limit: int) -> Iterator[tuple[str, int]]:
    for piece in splitter.create_documents([text]):
        body = piece.page_content
        if not body.strip():
            continue
        start = int(piece.metadata.get("start_index", -1))
        if start < 0:  # the splitter could not locate it; find it ourselves
            start = text.find(body)
        yield from _fit(body, start, count_tokens, limit)


def chunk_document(
    document: Document, splitter: RecursiveCharacterTextSplitter,
    count_tokens: Callable[[str], int], limit: int,
) -> list[Chunk]:
    """Chunks of one document in reading order, each with its first page and offsets.

    `limit` is the hard ceiling in content tokens (the model's limit less its special tokens).
    """
    text, page_starts = join_pages(document)
    chunks: list[Chunk] = []
    for body, start in _pieces(text, splitter, count_tokens, limit):
        page_index = max(bisect_right(page_starts, start) - 1, 0)
        chunks.append(
            Chunk(
                doc_id=document.doc_id,
                source=document.source,
                title=document.title,
                position=len(chunks),
                page=document.pages[page_index].number,
                start=start,
                end=start + len(body),
                text=body,
                token_count=count_tokens(body),
            )
        )
    return chunks
