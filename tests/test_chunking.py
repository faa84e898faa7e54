from ingest.chunking import chunk_document, make_splitter
from rag.types import Document, Page


def _doc(pages: list[Page]) -> Document:
    return Document(source="s.txt", doc_id="d" * 32, title="t", pages=pages,
                    media_type="text/plain")


def test_chunks_stay_within_the_token_limit(embedder) -> None:
    text = (
        "Supercalifragilisticexpialidocious" * 300  # one enormous 'word'
        + "\n\n"
        + " ".join(f"Sentence {i} talks about otters, rivers and the tide." for i in range(400))
        + "\n\n" + "x" * 5000
    )
    count = embedder.count_content_tokens
    limit = embedder.max_tokens - 2
    chunks = chunk_document(_doc([Page(None, text)]), make_splitter(count, 200, 30), count, limit)
    assert len(chunks) > 10
    assert max(c.token_count for c in chunks) <= limit
    assert all(embedder.count_tokens(c.text) <= embedder.max_tokens for c in chunks)


def test_offsets_pages_and_positions(embedder) -> None:
    pages = [Page(1, "Alpha page talks about apples. " * 40),
             Page(2, "Beta page is about bees. " * 40),
             Page(3, "Gamma page covers goats. " * 40)]
    doc = _doc(pages)
    count = embedder.count_content_tokens
    chunks = chunk_document(doc, make_splitter(count, 64, 8), count, 254)
    joined = "\n\n".join(p.text for p in pages)
    assert [c.position for c in chunks] == list(range(len(chunks)))
    for c in chunks:
        assert joined[c.start : c.end] == c.text
    assert chunks[0].page == 1
    assert chunks[-1].page == 3
    assert {c.page for c in chunks if "bees" in c.text and "apples" not in c.text} == {2}


def test_word_sums_give_the_splitter_the_tokenizers_own_counts(embedder) -> None:
    """The splitter measures with per-word sums; they must equal the tokenizer's counts, so
    the chunks are exactly those an exact length function would give."""
    from pathlib import Path

    from ingest.chunking import WordSumCounter
    from ingest.loaders import load_file

    count = embedder.count_content_tokens
    samples = sorted(p for p in (Path(__file__).parents[1] / "data" / "samples").rglob("*")
                     if p.suffix in {".md", ".txt", ".html", ".pdf"})
    assert samples, "the sample documents in data/ are missing"
    summed = WordSumCounter(count)
    for path in samples:
        document = load_file(path)
        text = "\n\n".join(p.text for p in document.pages)
        paragraphs = [p for p in text.split("\n\n") if p.strip()][:200]
        assert [summed(p) for p in paragraphs] == [count(p) for p in paragraphs], path
        exact = make_splitter(count, 200, 30)
        exact._length_function = count  # what the splitter would call without the word sums
        fast = chunk_document(document, make_splitter(count, 200, 30), count, 254)
        slow = chunk_document(document, exact, count, 254)
        assert [(c.text, c.start) for c in fast] == [(c.text, c.start) for c in slow], path
