"""The code a passage's last sentence introduces, read from the chunk after it.

A chunk never spans two pages, and a page's footnotes are chunks of their own
(`ingest.chunking`): a sentence ending its page ("Here is a small example of creating an R
numeric vector in C code:") and the program opening the next page are two chunks, and the
search may find the sentence's alone. Quoted alone, it promises what it does not show. The
chunk holding the code is read from the store by its document and position, and its code
block is given to the answer as a passage of its own, citing the page the code is on.
"""

from __future__ import annotations

from dataclasses import replace

from rag.stores.base import ChunkStore
from rag.text.sentences import Sentence, introduces_code, is_code, is_heading, split
from rag.text.table_rows import row_values
from rag.types import Hit, SentenceVectors

# chunks read after a passage for the code it introduces: those left on its page (its
# footnotes, which follow the page's body), then the next page's first
LOOKAHEAD = 3


def with_introduced_code(hits: list[Hit], store: ChunkStore) -> list[Hit]:
    """`hits`, each whose last sentence introduces code that opens a chunk after it in its
    document (`code_after`) linked to that chunk's passage (`Hit.code_after`); after them
    all, the passages of such chunks that are not among them, each its code block alone
    (the rest of the chunk is not what was found)."""
    held = {hit.chunk_id for hit in hits}
    linked: list[Hit] = []
    fetched: list[Hit] = []
    for hit in hits:
        code = code_after(hit, store) if ends_introducing_code(hit) else None
        if code is None:
            linked.append(hit)
            continue
        if code.chunk_id not in held:
            held.add(code.chunk_id)
            fetched.append(_code_alone(code))
        linked.append(replace(hit, code_after=code.chunk_id))
    return linked + fetched


def ends_introducing_code(hit: Hit) -> bool:
    """Whether the passage's last piece is a sentence introducing code after it
    (`introduces_code`): not code, a heading or a table's row, which introduce nothing."""
    if not introduces_code(hit.text.rstrip()):
        return False  # the last sentence's end, read before the passage is split
    pieces = _pieces(hit)
    if not pieces:
        return False
    last = pieces[-1].text
    return (introduces_code(last) and not is_heading(last) and row_values(last) is None)


def code_after(hit: Hit, store: ChunkStore) -> Hit | None:
    """The chunk after `hit` in its document that opens with code: the next one, or past the
    chunks left on its page (its footnotes) the next page's first; None when the chunk there
    opens with words."""
    expected = hit.position + 1
    for after in store.chunks_after(hit, LOOKAHEAD):
        if after.position != expected or _repeats_end(hit, after):
            # a chunk repeating the sentence holds what follows it: any code further on
            # comes after other text
            return None
        if _opens_with_code(after):
            return after if _on_page_or_next(hit, after) else None
        if hit.page is None or after.page != hit.page:
            return None
        expected += 1
    return None


def _repeats_end(hit: Hit, after: Hit) -> bool:
    """Whether `after` repeats the sentence `hit` ends on: chunks overlap, and ingest puts an
    introduction into the chunk its code opens where that fits."""
    pieces = _pieces(hit)
    return bool(pieces) and pieces[-1].text.strip() in after.text


def _on_page_or_next(hit: Hit, after: Hit) -> bool:
    return hit.page is None or after.page in (hit.page, hit.page + 1)


def _pieces(hit: Hit) -> list[Sentence]:
    return split(hit.text, code_fence=hit.code_fence, outside_code=hit.opens_inside_code is False)


def _opens_with_code(hit: Hit) -> bool:
    """Whether the passage opens with a code block of its own: not one begun before it."""
    if hit.code_fence or hit.opens_inside_code:
        return False
    pieces = _pieces(hit)
    return (bool(pieces) and not hit.text[:pieces[0].start].strip()
            and is_code(pieces[0].text))


def _code_alone(hit: Hit) -> Hit:
    """The passage cut to the code block it opens with, and that block's stored vector."""
    block = _pieces(hit)[0]
    vectors = hit.sentence_vectors
    if vectors is not None:
        kept = [i for i, (_, end) in enumerate(vectors.spans) if end <= block.end]
        vectors = SentenceVectors(tuple(vectors.spans[i] for i in kept),
                                  vectors.vectors[kept]) if kept else None
    return replace(hit, text=hit.text[:block.end], sentence_vectors=vectors, lead_in=None,
                   sentence_matches=None, closes_inside_sentence=False)
