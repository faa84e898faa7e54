"""The `rag` command: each subcommand builds the service, calls one method and prints.

Human output goes to the terminal (answers stream as they are produced, progress on stderr);
`--json` prints one JSON object on stdout and nothing else there.
"""

from __future__ import annotations

import json
import sys
from contextlib import contextmanager
from dataclasses import asdict
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.text import Text

from rag.cli.cost import cost_app
from rag.errors import RagError
from rag.settings import Settings, load_settings
from rag.types import SEARCH_MODES

app = typer.Typer(help="Document question answering over Qdrant.", no_args_is_help=True)
docs_app = typer.Typer(help="List and delete stored documents.", no_args_is_help=True)
app.add_typer(docs_app, name="docs")
err = Console(stderr=True, soft_wrap=True, highlight=False)


def say(text: str, style: str | None = None, label: str | None = None) -> None:
    """One line on stderr; `text` (file names, server messages) is never read as markup."""
    line = Text()
    if label:
        line.append(label, style=style)
        line.append(" ")
        line.append(text)
    else:
        line.append(text, style=style)
    err.print(line)


def fail(message: object) -> None:
    say(str(message), "red", "error:")

Collection = Annotated[str | None, typer.Option("--collection", help="Qdrant collection name.")]
AsJson = Annotated[bool, typer.Option("--json", help="Print one JSON object on stdout.")]
TopK = Annotated[int | None, typer.Option("--top-k", min=1, max=100, help="Passages to retrieve.")]


@contextmanager
def service_for(collection: str | None = None):
    """Build the service; a RagError anywhere inside becomes a one-line message and exit 2."""
    service = None
    try:
        from rag.service import build_service  # imported here: `rag --help` stays quick

        service = build_service(load_settings(collection=collection))
        yield service
    except RagError as exc:
        fail(exc)
        raise typer.Exit(2) from None
    finally:
        if service is not None:
            service.close()


def check_mode(mode: str) -> None:
    if mode not in SEARCH_MODES:
        raise typer.BadParameter(f"mode must be one of {', '.join(SEARCH_MODES)}")


def _emit_json(obj: object) -> None:
    sys.stdout.write(json.dumps(obj, ensure_ascii=False) + "\n")


def _cite(n: int, hit) -> str:
    page = f", page {hit.page}" if hit.page else ""
    return f"[{n}] {hit.title or Path(hit.source).name} ({hit.source}{page})"


@app.command()
def ingest(
    paths: Annotated[list[Path], typer.Argument(help="Files and folders (recursive).")],
    collection: Collection = None,
    as_json: AsJson = False,
) -> None:
    """Ingest files: PDF, text, Markdown, HTML. Exit 1 if any file failed."""
    from ingest.pipeline import discover

    files = [p.resolve() for p in discover(paths)]
    show_bar = not as_json and err.is_terminal
    with service_for(collection) as service, Progress(
        TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
        console=err, disable=not show_bar, transient=True,
    ) as progress:
        task = progress.add_task("ingesting", total=len(files))

        def on_file(result) -> None:
            progress.advance(task)
            if not as_json:
                colour = {"ingested": "green", "unchanged": "blue", "failed": "red"}[result.status]
                if result.status == "failed" and result.error:
                    # the error already names the file
                    detail = result.error if result.path in result.error else (
                        f"{result.path}: {result.error}")
                else:
                    detail = f"{result.path}: {result.chunks} chunks"
                say(detail, colour, f"{result.status:>9}")

        report = service.ingest(files, on_file)
    if as_json:
        _emit_json(report.as_json())
    else:
        t = report.totals()
        say(f"{t['files']} files: {t['ingested']} ingested ({t['chunks']} chunks), "
                  f"{t['unchanged']} unchanged, {t['failed']} failed")
    raise typer.Exit(0 if report.ok else 1)


@app.command()
def search(
    query: str,
    top_k: TopK = None,
    mode: Annotated[str | None, typer.Option(help=" or ".join(SEARCH_MODES) + ".")] = None,
    doc: Annotated[str | None, typer.Option("--doc", help="Only this document id.")] = None,
    source: Annotated[str | None, typer.Option("--source", help="Only this source path.")] = None,
    collection: Collection = None,
    as_json: AsJson = False,
) -> None:
    """Print the passages that best match QUERY."""
    if mode is not None:
        check_mode(mode)
    if source and Path(source).exists():
        source = str(Path(source).resolve())
    with service_for(collection) as service:
        hits = service.search(query, top_k, mode, doc, source)  # type: ignore[arg-type]
    if as_json:
        _emit_json({"hits": [h.as_json() for h in hits]})
        return
    for n, hit in enumerate(hits, start=1):
        typer.echo(f"{_cite(n, hit)}  score={hit.score:.3f}\n    {hit.text[:300]}\n")
    if not hits:
        typer.echo("No matching passages.")


@app.command()
def ask(
    question: str,
    top_k: TopK = None,
    collection: Collection = None,
    as_json: AsJson = False,
) -> None:
    """Answer QUESTION from the documents, citing the passages by number."""
    with service_for(collection) as service:
        answer = service.ask(question, top_k)
        if as_json:
            answer.text  # noqa: B018 - reads the whole stream
            _emit_json(answer.as_json())
            return
        for delta in answer:
            typer.echo(delta, nl=False)
        typer.echo("")
    if answer.record.notice:
        err.print()
        say(answer.record.notice, "dim")
    if answer.citations:
        typer.echo("\nSources:")
        for n, hit in enumerate(answer.citations, start=1):
            typer.echo(f"  {_cite(n, hit)}")


@docs_app.command("list")
def docs_list(collection: Collection = None, as_json: AsJson = False) -> None:
    """List stored documents."""
    with service_for(collection) as service:
        docs = service.documents()
    if as_json:
        _emit_json({"documents": [asdict(d) for d in docs]})
        return
    for d in docs:
        typer.echo(f"{d.doc_id}  {d.chunks:>5} chunks  {d.source}")
    if not docs:
        typer.echo("No documents. Add some with `rag ingest PATH`.")


@docs_app.command("delete")
def docs_delete(doc_id_or_path: str, collection: Collection = None) -> None:
    """Delete a document (by id or source path) and all its chunks."""
    candidates = [doc_id_or_path]
    if Path(doc_id_or_path).exists():
        candidates.append(str(Path(doc_id_or_path).resolve()))
    with service_for(collection) as service:
        removed = [d for key in candidates for d in service.delete(key)]
    if not removed:
        fail(f"no document with id or path {doc_id_or_path}")
        raise typer.Exit(1)
    for d in removed:
        typer.echo(f"deleted {d.doc_id} ({d.chunks} chunks) {d.source}")


@app.command("eval")
def evaluate_cmd(
    squad: Annotated[Path | None, typer.Option("--squad", exists=True, dir_okay=False,
                                               help="SQuAD v1.1-format JSON file.")] = None,
    limit: Annotated[int | None, typer.Option(help="Use the first N questions only.")] = None,
    mode: Annotated[str, typer.Option(help=" or ".join(SEARCH_MODES) + ".")] = "hybrid",
    answer_limit: Annotated[int | None, typer.Option(
        help="Answer only the first N questions extractively (default: all).")] = None,
    every: Annotated[int, typer.Option(min=1, help="Keep every k-th question.")] = 1,
    bm25: Annotated[bool, typer.Option("--bm25", help="Also report plain BM25.")] = False,
    report: Annotated[bool, typer.Option(
        "--report", help="Every set given by --sets (and --squad), every mode and BM25, then "
        "the sets as PDFs one paragraph a page: one table.")] = False,
    sets: Annotated[list[Path] | None, typer.Option(
        "--sets", exists=True, help="With --report: a SQuAD-format file, or a folder of them "
        "(repeatable; default ./data/eval).")] = None,
    as_json: AsJson = False,
) -> None:
    """Measure retrieval (hit@k, MRR, nDCG) and extractive answers on SQuAD-format files, each
    in a throw-away collection."""
    from rag.registry import make_embedder

    check_mode(mode)
    settings = load_settings()
    if report:
        _eval_report(settings, squad, sets, every, answer_limit, as_json)
        return
    if squad is None:
        fail("Give a SQuAD-format file with --squad, or --report for the development sets.")
        raise typer.Exit(2)
    from rag.evaluation import evaluate

    try:
        results = evaluate(make_embedder(settings), squad, [mode], limit,  # type: ignore[list-item]
                           answer_limit, settings.chunk_tokens, settings.chunk_overlap,
                           with_bm25=bm25, progress=lambda msg: say(msg, "dim"), every=every)
    except RagError as exc:
        fail(exc)
        raise typer.Exit(2) from None
    if as_json:
        _emit_json(results[0] if len(results) == 1 else {"results": results})
        return
    for result in results:
        typer.echo("")
        for key, value in result.items():
            typer.echo(f"{key:>18}: {value}")


def _eval_report(settings: Settings, squad: Path | None, sets: list[Path] | None, every: int,
                 answer_limit: int | None, as_json: bool) -> None:
    from rag.evaluation import find_sets, format_table, run_report
    from rag.registry import make_embedder

    folders = sets or [Path("data/eval")]
    found = find_sets([p for p in folders if p.exists()])
    if squad is not None:
        found[squad.stem] = squad
    if not found:
        fail(f"No SQuAD-format sets found in {', '.join(map(str, folders))}: give --sets.")
        raise typer.Exit(2)
    try:
        rows = run_report(make_embedder(settings), found, every={n: every for n in found},
                          answer_limit=answer_limit, chunk_tokens=settings.chunk_tokens,
                          chunk_overlap=settings.chunk_overlap,
                          progress=lambda msg: say(msg, "dim"))
    except RagError as exc:
        fail(exc)
        raise typer.Exit(2) from None
    if as_json:
        _emit_json({"rows": rows})
    else:
        typer.echo(format_table(rows))


@app.command()
def ui(port: Annotated[int, typer.Option(help="Port for the web app.")] = 8501) -> None:
    """Run the Streamlit chat app."""
    import subprocess

    app_path = Path(__file__).resolve().parents[2] / "ui" / "app.py"
    raise typer.Exit(subprocess.call([
        sys.executable, "-m", "streamlit", "run", str(app_path), "--server.port", str(port),
        "--server.headless", "true", "--browser.gatherUsageStats", "false",
    ]))


app.add_typer(cost_app, name="cost", help="Workers AI cost (neurons) estimates.")
