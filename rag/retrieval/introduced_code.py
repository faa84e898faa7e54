"""The code a passage's last sentence introduces, read from the chunk after it.

A chunk never spans two pages, and a page's footnotes are chunks of their own
(`ingest.chunking`): a sentence ending its page ("Here is a small example of creating an R
numeric vector in C code:") and the program opening the next page are two chunks, and the
search may find the sentence's alone. Quoted alone, it promises what it does not show. The
chunk holding the code is read from the store by its document and position, and its code
block is given to the answer as a passage of its own, citing the page the code is on.
A program a page break cuts is read so too: a PDF's code is fenced page by page
(`ingest.formats.pdf_code`), so a passage ending its page on a program ("function disp (p)
... if (a(i) != 0)") holds only its first lines when the next page opens with the rest; that
rest, the next page's opening block, is given to the answer to quote with it.
"""

from __future__ import annotations

from dataclasses import replace

from rag.stores.base import ChunkStore
from rag.text.sentences import (
    Sentence,
    introduces_code,
    is_code,
    is_cut_code,
    is_heading,
    split,
)
from rag.text.table_rows import row_values
from rag.types import Hit, SentenceVectors

# chunks read after a passage for the code it introduces: those left on its page (its
# footnotes, which follow the page's body), then the next page's first
LOOKAHEAD = 3


def with_following_code(hits: list[Hit], store: ChunkStore) -> list[Hit]:
    """`hits`, each whose last sentence introduces code that opens a chunk after it in its
    document (`code_after`) linked to that chunk's passage (`Hit.code_after`), and each
    ending its page on a program whose rest opens the next page (`code_going_on`) linked to
    that page's passage (`Hit.code_goes_on`); after them all, the passages of such chunks
    that are not among them, each its code block alone (the rest of the chunk is not what
    was found)."""
    held = {hit.chunk_id: hit for hit in hits}
    linked: list[Hit] = []
    fetched: list[Hit] = []
    for hit in hits:
        goes_on = ends_with_code(hit)
        code = (code_going_on(hit, store) if goes_on
                else code_after(hit, store) if ends_introducing_code(hit) else None)
        if code is not None and code.chunk_id in held:
            # the answer quotes a passage's opening code after the sentence introducing it
            # or the program's lines before it; code further into a passage found too is
            # quoted with that passage
            code = code if _opens_with_code(held[code.chunk_id]) else None
        elif code is not None:
            held[code.chunk_id] = code
            fetched.append(code)
        if code is None:
            linked.append(hit)
        elif goes_on:
            linked.append(replace(hit, code_goes_on=code.chunk_id))
        else:
            linked.append(replace(hit, code_after=code.chunk_id))
    return linked + fetched


def ends_with_code(hit: Hit) -> bool:
    """Whether the passage's last piece is a whole code block, its fences closed, with
    nothing after it: a block its chunk cuts goes on in the chunk after it on its page."""
    if not hit.text.rstrip().endswith("`"):
        return False  # no closing fence: read before the passage is split
    pieces = _pieces(hit)
    return (bool(pieces) and is_code(pieces[-1].text) and not is_cut_code(pieces[-1].text)
            and not hit.text[pieces[-1].end:].strip())


def code_going_on(hit: Hit, store: ChunkStore) -> Hit | None:
    """The rest of the program `hit` ends on (`ends_with_code`) as a passage of its own
    (`_code_alone`): the code block the next chunk opens with, when that chunk opens the
    next page of a paged document (a PDF's, not a slide deck's, each slide a unit of its
    own) and `hit` ends its page. None when words come first."""
    if not _numbered_page(hit):
        return None
    after = store.chunks_after(hit, 1)
    if not after:
        return None
    opening = after[0]
    if (opening.position != hit.position + 1 or opening.page != hit.page + 1
            or not _numbered_page(opening) or not _opens_with_code(opening)):
        return None
    return _code_alone(opening, _pieces(opening)[0])


def _numbered_page(hit: Hit) -> bool:
    """Whether the passage is on a numbered page (a PDF's, a scan's), cited by that number."""
    return hit.page is not None and (hit.locator is None
                                     or hit.locator.startswith(f"page {hit.page} ")
                                     or hit.locator == f"page {hit.page}")


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
    """The code block after `hit`'s last sentence in the chunks after it, as a passage of its
    own (`_code_alone`): in a chunk repeating that sentence (chunks overlap), the block right
    after it; else the block the next chunk opens with, or past the chunks left on its page
    (its footnotes) the next page's first. None when words come first."""
    pieces = _pieces(hit)
    sentence = pieces[-1].text.strip() if pieces else ""
    expected = hit.position + 1
    for after in store.chunks_after(hit, LOOKAHEAD):
        if after.position != expected:
            return None
        if sentence and sentence in after.text:
            return _code_following(after, after.text.rindex(sentence) + len(sentence))
        if _opens_with_code(after):
            return _code_alone(after, _pieces(after)[0]) if _on_page_or_next(hit, after) else None
        if hit.page is None or after.page != hit.page:
            return None
        expected += 1
    return None


def _code_following(hit: Hit, at: int) -> Hit | None:
    """The passage cut to the code block right after character `at` of its text, if one is."""
    block = next((piece for piece in _pieces(hit) if piece.start >= at), None)
    if block is None or hit.text[at:block.start].strip() or not is_code(block.text):
        return None
    return _code_alone(hit, block)


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


def _code_alone(hit: Hit, block: Sentence) -> Hit:
    """The passage cut to one of its code blocks, with that block's stored vectors."""
    vectors = hit.sentence_vectors
    if vectors is not None:
        kept = [i for i, (start, end) in enumerate(vectors.spans)
                if start >= block.start and end <= block.end]
        vectors = SentenceVectors(
            tuple((start - block.start, end - block.start)
                  for start, end in (vectors.spans[i] for i in kept)),
            vectors.vectors[kept]) if kept else None
    return replace(hit, text=hit.text[block.start:block.end], sentence_vectors=vectors,
                   lead_in=None, sentence_matches=None, closes_inside_sentence=False,
                   code_fence=None, opens_inside_code=False, opens_inside_sentence=False)
