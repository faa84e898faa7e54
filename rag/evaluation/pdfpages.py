"""Citations on page-structured PDFs: does the search name the right file and page?

A SQuAD-format set's articles are laid out as PDFs, one paragraph a page, and ingested through
the app's own PDF path (pdfium text, page numbers, chunking); each question's gold is its
paragraph's file and page. Measured: the rank of the first hit on that (file, page), plain BM25
over the same pages beside it, and the extractive answer's gold spans and first citation.
"""

from __future__ import annotations

import io
import tempfile
import textwrap
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from ingest.chunking import SEPARATORS, Chunker
from ingest.pipeline import IngestPipeline
from rag.evaluation.metrics import first_rank, rank_metrics
from rag.evaluation.run import (
    ANSWER_PASSAGES,
    Progress,
    answer_rates,
    bm25_result,
    embed_questions,
    eval_retriever,
    rounded,
    search_all,
)
from rag.evaluation.squad import Article, load_articles
from rag.providers.embedders.base import Embedder
from rag.stores.edge import EdgeStore, open_edge_client
from rag.types import Hit, SearchMode

_LINE_CHARS = 95
_TOP, _LINES = 800, 64  # first baseline, and the lines that fit at 10 points


def _pdf_string(line: str) -> str:
    """A PDF literal string in WinAnsi bytes (curly quotes and dashes included)."""
    out = []
    for byte in line.encode("cp1252", errors="replace"):
        char = chr(byte)
        if char in "\\()":
            out.append("\\" + char)
        elif 32 <= byte < 127:
            out.append(char)
        else:
            out.append(f"\\{byte:03o}")
    return "".join(out)


def pdf_of_pages(pages: Sequence[str]) -> bytes:
    """A PDF with one page per text, wrapped in Helvetica (smaller when a text is long)."""
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>", b"",
               b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica "
               b"/Encoding /WinAnsiEncoding >>"]
    kids = []
    for text in pages:
        lines = [line for para in text.splitlines()
                 for line in textwrap.wrap(para, _LINE_CHARS, break_on_hyphens=False) or [""]]
        size = min(10.0, 10.0 * _LINES / max(len(lines), 1))
        shown = "".join(f"({_pdf_string(line)}) Tj T* " for line in lines)
        stream = f"BT /F1 {size:.2f} Tf {size * 1.2:.2f} TL 40 {_TOP} Td {shown}ET".encode()
        page_id = len(objects) + 1
        kids.append(page_id)
        objects.append(f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources "
                       f"<< /Font << /F1 3 0 R >> >> /Contents {page_id + 1} 0 R >>".encode())
        objects.append(b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream")
    objects[1] = (f"<< /Type /Pages /Kids [{' '.join(f'{k} 0 R' for k in kids)}] "
                  f"/Count {len(kids)} >>").encode()
    return pdf_file(objects)


def pdf_file(objects: Sequence[bytes]) -> bytes:
    """A PDF file of these objects, numbered from 1 (the first is the catalog), with its
    cross-reference table."""
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n")
    offsets = []
    for n, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n" % n + body + b"\nendobj\n")
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    for offset in offsets:
        out.write(b"%010d 00000 n \n" % offset)
    out.write(b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n"
              % (len(objects) + 1, xref))
    return out.getvalue()


def write_pdfs(sets: dict[str, list[Article]], folder: Path, per_page: int = 1) -> None:
    """One PDF per article, named <set>-<article>.pdf, `per_page` paragraphs a page. The
    paragraphs of a page follow each other without a blank line, as in most real PDFs."""
    for name, articles in sets.items():
        for a, article in enumerate(articles):
            pages = _grouped(article.paragraphs, per_page)
            (folder / f"{name}-{a:04d}.pdf").write_bytes(pdf_of_pages(pages))


def _grouped(paragraphs: Sequence[str], per_page: int) -> list[str]:
    return ["\n".join(paragraphs[i:i + per_page]) for i in range(0, len(paragraphs), per_page)]


def _page(hit: Hit) -> tuple[str, int | None]:
    return Path(hit.source).name, hit.page


def evaluate_pages(embedder: Embedder, sets: dict[str, Path],
                   modes: Sequence[SearchMode] = ("hybrid",), every: int = 1,
                   chunk_tokens: int = 200, chunk_overlap: int = 30, with_bm25: bool = True,
                   answer_every: int = 1, progress: Progress | None = None,
                   per_page: int = 1, separators: Sequence[str] = SEPARATORS) -> list[dict]:
    """Results per mode (and BM25) over the named sets laid out as PDFs, `per_page`
    paragraphs a page, pooled in one library: the search must find the file as well as the
    page. `separators`: the chunker's levels (ingest's own by default)."""
    say: Callable[[str], None] = progress or (lambda _msg: None)
    articles: dict[str, list[Article]] = {}
    questions, golds = [], []
    for name, path in sets.items():
        found, asked = load_articles(path, every)
        articles[name] = found
        for a, p, question in asked:
            questions.append(question)
            golds.append((f"{name}-{a:04d}.pdf", p // per_page + 1))
    page_texts = {(f"{name}-{a:04d}.pdf", p + 1): text for name, found in articles.items()
                  for a, article in enumerate(found)
                  for p, text in enumerate(_grouped(article.paragraphs, per_page))}
    results = []
    with tempfile.TemporaryDirectory(prefix="rag-eval-pdf-") as tmp:
        folder = Path(tmp) / "pdfs"
        folder.mkdir()
        write_pdfs(articles, folder, per_page)
        store = EdgeStore(open_edge_client(Path(tmp) / "store"), "eval", embedder.name,
                          embedder.dimension)
        try:
            store.ensure_collection()
            started = time.perf_counter()
            say(f"ingesting {len(page_texts)} pages in {sum(map(len, articles.values()))} PDFs")
            pipeline = IngestPipeline(embedder, store, chunk_tokens, chunk_overlap)
            pipeline.chunker = Chunker(pipeline.chunker.counter, chunk_tokens, chunk_overlap,
                                       pipeline.chunker.limit, separators)
            report = pipeline.ingest_paths([folder])
            failed = [r for r in report.files if r.status == "failed"]
            if failed:
                raise RuntimeError(f"{failed[0].path}: {failed[0].error}")
            ingest_seconds = time.perf_counter() - started
            dense = embed_questions(embedder, questions) if any(
                m != "sparse" for m in modes) else None
            retriever = eval_retriever(embedder, store)
            for mode in modes:
                mode_started = time.perf_counter()
                say(f"searching {len(questions)} questions on PDF pages ({mode})")
                hits = search_all(retriever, questions, dense if mode != "sparse" else None,
                                  mode)
                ranks = [first_rank([_page(h) for h in top], gold)
                         for top, gold in zip(hits, golds, strict=True)]
                say(f"answering questions extractively ({mode})")
                answers = answer_rates(embedder, questions[::answer_every],
                                       [t[:ANSWER_PASSAGES] for t in hits[::answer_every]],
                                       _page, golds[::answer_every])
                results.append({
                    "mode": mode, "embedder": embedder.name, "paragraphs": len(page_texts),
                    "questions": len(questions), **rounded(rank_metrics(ranks)), **answers,
                    "ingest_seconds": round(ingest_seconds, 1),
                    "seconds": round(ingest_seconds + time.perf_counter() - mode_started, 1)})
        finally:
            store.close()
    if with_bm25:
        keys = list(page_texts)
        results.append(bm25_result([page_texts[k] for k in keys], keys, questions, golds))
    return results
