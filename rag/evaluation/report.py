"""`rag eval --report`: every development set, every search mode and BM25, in one table.

Each SQuAD-format set is evaluated on its own collection (`run.evaluate`); then each set is
laid out as PDFs, one paragraph a page, and evaluated again for file-and-page citations
(`pdfpages.evaluate_pages`). Each row carries its margin over BM25 on the same set.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from rag.evaluation.pdfpages import evaluate_pages
from rag.evaluation.run import BM25_MODE, Progress, Rescoring, evaluate
from rag.providers.embedders.base import Embedder
from rag.types import SearchMode

MODES: tuple[SearchMode, ...] = ("dense", "sparse", "hybrid")
PDF_SUFFIX = "(pdf pages)"
COLUMNS = ["set", "mode", "questions", "hit@1", "hit@5", "hit@10", "mrr@10", "ndcg@10",
           "answer_span_rate", "first_citation_rate", "cut_answer_rate", "hit@5 vs bm25",
           "mrr@10 vs bm25"]


def find_sets(paths: Sequence[Path]) -> dict[str, Path]:
    """Development sets by name (the file's stem): JSON files given, or found in folders."""
    sets: dict[str, Path] = {}
    for path in paths:
        for file in sorted(path.glob("*.json")) if path.is_dir() else [path]:
            sets[file.stem] = file
    return sets


def development_sets(folder: Path, squad: Path, squad_every: int = 1
                     ) -> dict[str, tuple[Path, int]]:
    """The sets in `folder` by name, each read in full, and SQuAD dev (every `squad_every`-th
    question) when its file exists: (path, every) for each."""
    sets = {name: (path, 1) for name, path in find_sets([folder]).items()}
    if squad.exists():
        sets["squad-dev"] = (squad, squad_every)
    return sets


def run_report(embedder: Embedder, sets: dict[str, Path], *, modes: Sequence[SearchMode] = MODES,
               every: dict[str, int] | None = None, answer_limit: int | None = None,
               pdf_sets: Sequence[str] | None = None, pdf_every: int = 1,
               chunk_tokens: int = 200, chunk_overlap: int = 30,
               progress: Progress | None = None,
               rescoring: Sequence[Rescoring] = ("stored",)) -> list[dict]:
    """Rows for every set and mode (BM25 included; hybrid once per way of `rescoring`), then
    for each of `pdf_sets` (default: every set) laid out as PDFs one paragraph a page, asked
    the same questions (every `pdf_every`-th of them); each row with its margins over BM25."""
    say = progress or (lambda _msg: None)
    every = every or {}
    rows: list[dict] = []
    for name, path in sets.items():
        say(f"== {name}")
        found = evaluate(embedder, path, modes, answer_limit=answer_limit,
                         chunk_tokens=chunk_tokens, chunk_overlap=chunk_overlap,
                         with_bm25=True, progress=progress, every=every.get(name, 1),
                         rescoring=rescoring)
        rows += _with_margins(name, found)
    for name in pdf_sets if pdf_sets is not None else sets:
        say(f"== {name} as PDFs, one paragraph a page")
        found = evaluate_pages(embedder, {name: sets[name]}, modes,
                               every=every.get(name, 1) * pdf_every,
                               chunk_tokens=chunk_tokens, chunk_overlap=chunk_overlap,
                               progress=progress)
        rows += _with_margins(f"{name} {PDF_SUFFIX}", found)
    return rows


def _with_margins(name: str, results: list[dict]) -> list[dict]:
    bm25 = next((r for r in results if r["mode"] == BM25_MODE), None)
    rows = []
    for r in results:
        row = {"set": name, **r}
        if bm25 is not None and r is not bm25:
            row["hit@5 vs bm25"] = round(r["hit@5"] - bm25["hit@5"], 4)
            row["mrr@10 vs bm25"] = round(r["mrr@10"] - bm25["mrr@10"], 4)
        rows.append(row)
    return rows


def format_table(rows: Sequence[dict], columns: Sequence[str] = COLUMNS) -> str:
    """A Markdown table; an empty cell where a row has no such figure."""
    def cell(column: str, value: object) -> str:
        if value is None:
            return ""
        if isinstance(value, float):
            return f"{value:+.3f}" if column.endswith("vs bm25") else f"{value:.3f}"
        return str(value)

    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    lines += ["| " + " | ".join(cell(c, row.get(c)) for c in columns) + " |" for row in rows]
    return "\n".join(lines)
