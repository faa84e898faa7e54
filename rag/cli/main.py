"""The `rag` command: each subcommand opens the library, calls one method and prints.

The library is this process's, or a running engine's when `rag ui` has the data folder open
(`library.open_library`); the output, JSON and exit codes are the same either way. Human
output goes to the terminal (answers stream as they are produced, progress on stderr);
`--json` prints one JSON object on stdout and nothing else there.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext, suppress
from difflib import get_close_matches
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn

import click
import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.text import Text
from typer.core import TyperGroup

from rag.cli.console import PipedConsole, ReaderWentAway
from rag.cli.cost import cost_app
from rag.cli.ingest_progress import IngestProgress
from rag.cli.interrupts import StopNotSeenThrough
from rag.cli.library import Library, open_library
from rag.cli.output import (
    BROKEN_PIPE_EXIT,
    ERROR_LABEL,
    cite,
    is_text,
    json_line,
    passage_shown,
    searched_line,
    shown,
    sources_block,
    stdout_reader_gone,
    stdout_to_devnull,
)
from rag.errors import ConfigError, ContentBlocked, RagError, no_room
from rag.settings import (
    ANSWER_STRATEGIES,
    COLLECTION_NAME,
    COLLECTION_RULE,
    Settings,
    ignored_settings,
    load_settings,
    make_folders,
    masked_url,
    unknown_variables,
)
from rag.text.controls import terminal_safe_pieces, unescaped_controls
from rag.types import SEARCH_MODES, counted, describe_strategy, unmentioned

if TYPE_CHECKING:
    from ingest.discovery import Found

# `rag ui` serves this machine only unless told otherwise: the chat has no keys of its own
LOOPBACK = "127.0.0.1"
# replicas of one Qdrant server on one host: the data folder holds the engine's announcement,
# metrics and caches, one engine's each (containers differ by host, so one volume serves them)
_REPLICA_HINT = (" A second replica on this machine needs its own RAG_DATA_DIR: replicas share "
                 "the Qdrant server and Redis, and on one host each keeps its own data folder.")


class EndsQuietlyWhenTheReaderGoes(TyperGroup):
    """A reader that stops early (`rag docs list | head -1`) ends the command as it ends a
    Unix tool: quietly, with the status a shell gives a program SIGPIPE stopped."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except BrokenPipeError as exc:
            if not reader_went_away(exc):
                fail_unexpectedly(exc)  # a pipe of the command's own
            stdout_to_devnull()
            raise typer.Exit(BROKEN_PIPE_EXIT) from None


class RagCommands(EndsQuietlyWhenTheReaderGoes):
    """`rag`'s commands. A command of `rag docs` or `rag collections` typed without its
    group (`rag list`), or misspelt so (`rag lst`) with no top-level command spelt alike, is
    named where it is (`rag docs list`), where click would suggest nothing or whichever
    top-level command is spelt most alike (`ingest`)."""

    def resolve_command(self, ctx: click.Context, args: list[str]) -> tuple:
        if args and args[0] not in self.commands:
            homes = self.group_commands_named(args[0])
            if homes:
                ctx.fail(f"No such command {args[0]!r}. "
                         f"Did you mean {' or '.join(map(repr, homes))}?")
        return super().resolve_command(ctx, args)

    def group_commands_named(self, typed: str) -> list[str]:
        """`rag GROUP COMMAND` for each group's command named `typed`, else (when no top-level
        command is spelt alike) for those spelt alike, by typer's own measure."""
        exact = [f"rag {name} {typed}" for name, group in self.groups() if typed in group.commands]
        if exact or get_close_matches(typed, list(self.commands)):
            return exact
        return [f"rag {name} {command}" for name, group in self.groups()
                for command in get_close_matches(typed, list(group.commands))]

    def groups(self) -> list[tuple[str, TyperGroup]]:
        return [(name, command) for name, command in sorted(self.commands.items())
                if isinstance(command, TyperGroup)]


def reader_went_away(exc: BaseException) -> bool:
    """Whether a broken pipe is a reader that stopped early (stdout's, or the one of what a
    console draws), not a pipe of the command's own (to the parse worker, say)."""
    return isinstance(exc, ReaderWentAway) or (
        isinstance(exc, BrokenPipeError) and stdout_reader_gone())


# plain help: typer's rich panels show a flag as taking a value (`--json <bool>`), and
# `rag ingest --json true docs` would then ingest a file named "true"
PLAIN_HELP = {"rich_markup_mode": None, "no_args_is_help": True}
app = typer.Typer(help="Document question answering over Qdrant.",
                  cls=RagCommands, **PLAIN_HELP)
docs_app = typer.Typer(help="List and delete stored documents.", **PLAIN_HELP)
app.add_typer(docs_app, name="docs")
collections_app = typer.Typer(help="List and delete collections (libraries).", **PLAIN_HELP)
app.add_typer(collections_app, name="collections")
keys_app = typer.Typer(help="API keys for the engine's HTTP API.", **PLAIN_HELP)
app.add_typer(keys_app, name="keys")
err = PipedConsole(stderr=True, soft_wrap=True, highlight=False)


@app.callback()
def warn_of_ignored_settings() -> None:
    """Before every command: a setting that is ignored (misspelt, or of no effect with the
    others) is said to be, since nothing else would show it."""
    warnings = unknown_variables()
    with suppress(ConfigError):  # the command itself names a setting that cannot be read
        warnings += ignored_settings(load_settings())
    for warning in warnings:
        typer.echo(f"warning: {warning}", err=True)


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
    say(str(message), "red", ERROR_LABEL)


def say_searched(query: str, asked: str) -> None:
    """What was searched, when not what was asked (a misspelt word respelt)."""
    line = searched_line(query, asked)
    if line is not None:
        say(line, "dim")


Collection = Annotated[str | None, typer.Option("--collection", help="Qdrant collection name.")]
AsJson = Annotated[bool, typer.Option("--json", help="Print one JSON object on stdout.")]
TopK = Annotated[int | None, typer.Option("--top-k", min=1, max=100, help="Passages to retrieve.")]


@contextmanager
def library_for(collection: str | None = None, *, creates: bool = False,
                **flags: object) -> Iterator[Library]:
    """The library (this process's, or a running engine's): the collection must exist unless
    the command `creates` it (the configured one is made on a first run, when there is no
    collection yet). `flags` are the command's options that stand for settings (`top_k`,
    `search_mode`, `answer_strategy`; None: not given): a value given stands in for the
    setting's, a mistyped one in the environment included. A RagError anywhere inside
    becomes a one-line message and exit 2 (3: the content filter refused the question), as
    does a write failing for want of room (a full disk, a quota, `ulimit -f`) wherever it
    is; an unexpected error a line with an error id to quote (the log holds it with the
    stack trace) and exit 1."""
    library = None
    settings: Settings | None = None
    try:
        with reported_errors(lambda: settings.data_dir if settings else None):
            check_collection_option(collection)
            settings = load_settings(collection=collection, **flags)
            # the configured collection too: a misspelt RAG_COLLECTION must not make an empty
            # library beside the real ones; on a first run it is made, as the app makes it
            library = open_library(
                settings, must_exist=not creates,
                first_made=settings.collection == configured_collection(settings, flags))
            yield library
    finally:
        if library is not None:
            library.close()


def configured_collection(settings: Settings, flags: dict[str, object]) -> str:
    """The collection RAG_COLLECTION names (or its default); when it names none a collection
    can have, the `--collection` that `settings` were read with, which stands in for it."""
    try:
        return load_settings(**flags).collection
    except ConfigError:  # read with the same flags but for --collection: RAG_COLLECTION's
        return settings.collection


def check_collection_option(collection: str | None) -> None:
    """ConfigError for a `--collection` no collection can be named: the setting's own error
    would blame RAG_COLLECTION, which nobody set."""
    if collection is not None and not COLLECTION_NAME.fullmatch(collection):
        from ingest.discovery import printable

        raise ConfigError(f"'{shown(printable(collection))}' is not a valid collection "
                          f"name: {COLLECTION_RULE}.")


@contextmanager
def reported_errors(data_dir: Callable[[], Path | None] = lambda: None) -> Iterator[None]:
    """A RagError inside becomes a one-line message and exit 2 (3: the content filter refused
    the question), as does a write failing for want of room (a full disk, a quota, `ulimit
    -f`) wherever it is; an unexpected error a line with an error id to quote (the log holds
    it with the stack trace) and exit 1."""
    try:
        yield
    except ContentBlocked as exc:
        fail(exc)
        raise typer.Exit(3) from None
    except RagError as exc:
        fail(exc)
        raise typer.Exit(2) from None
    except (typer.Exit, typer.Abort, click.exceptions.ClickException):
        raise
    except Exception as exc:
        if reader_went_away(exc):
            raise  # a reader that went away is not a bug (EndsQuietlyWhenTheReaderGoes)
        if (full := no_room(exc, data_dir())) is not None:
            fail(full)  # not a bug, wherever it is: a cache's write as much as the store's
            raise typer.Exit(2) from None
        fail_unexpectedly(exc)


def fail_unexpectedly(exc: BaseException) -> NoReturn:
    """A bug: one line with an id to quote (the log holds it with the stack trace), exit 1."""
    from rag.app.logs import report_unexpected

    fail(f"Something went wrong on our side (error id {report_unexpected(exc)}); the log "
         "holds the details under that id. Quote it when you report the problem.")
    raise typer.Exit(1) from None


def typed_text(value: str) -> str:
    """A question or query as typed. Bytes in it that are not UTF-8 (a terminal set to
    another encoding, a pasted byte) are a usage error naming them, with or without an
    engine: searched as stand-ins they would match nothing anyone wrote."""
    if not is_text(value):
        from ingest.discovery import printable

        raise typer.BadParameter(
            f"'{shown(printable(value))}' holds bytes that are not UTF-8 (shown as \\xNN): "
            "type it in UTF-8 (is the terminal set to another encoding?).")
    return value


#: a question or a query: free text, checked where it is read (`typed_text`)
FreeText = Annotated[str, typer.Argument(callback=typed_text)]


def check_mode(mode: str) -> None:
    if mode not in SEARCH_MODES:
        raise typer.BadParameter(f"mode must be one of {', '.join(SEARCH_MODES)}")


def check_strategy(strategy: str | None) -> None:
    if strategy is not None and strategy not in ANSWER_STRATEGIES:
        raise typer.BadParameter(f"strategy must be one of {', '.join(ANSWER_STRATEGIES)}")


_WEB_ADDRESS = re.compile(r"(https?|ftp|s3|gs):/+", re.IGNORECASE)


def check_paths(paths: list[Path]) -> None:
    """A web address is a usage error, not a missing file: the path type has already folded
    its "//" into "/", so "No such file" would name a path nobody typed."""
    for path in paths:
        scheme = _WEB_ADDRESS.match(str(path))
        if scheme and not path.exists():
            address = f"{scheme[1]}://{str(path)[scheme.end():]}"
            raise typer.BadParameter(
                f"{address} is a web address; rag ingest reads files and folders. "
                "Download it, then ingest the file.", param_hint="PATHS")


def _emit_json(obj: object) -> None:
    sys.stdout.write(json_line(obj))


@app.command()
def ingest(
    paths: Annotated[list[Path], typer.Argument(help="Files and folders (recursive).")],
    collection: Collection = None,
    as_json: AsJson = False,
) -> None:
    """Ingest files and folders.

    Reads PDF (scans by OCR), images, Word, PowerPoint, Excel, CSV,
    EPUB, text, Markdown and HTML.

    Files skipped in folders are listed. Exit 1 if any file failed."""
    from ingest.discovery import Skipped, absolute, describe, find_files

    check_paths(paths)
    # walked once: the bar's total, then the ingest
    given = [absolute(path) for path in paths]
    found = find_files(given)
    show_bar = not as_json and err.is_terminal
    with library_for(collection, creates=True) as library, Progress(
        TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
        console=err, disable=not show_bar, transient=True,
    ) as progress:
        task = progress.add_task("ingesting", total=len(found.files) + len(found.refused))
        ended: list[dict[str, Any]] = []  # the results of the files ended so far
        within = IngestProgress(len(found.files) + len(found.refused), describe=(
            (lambda text: progress.update(task, description=shown(text))) if show_bar else None))
        # in a log, lines while a long file is stored; on a terminal the bar says it
        heartbeat = (within.heartbeat(lambda line: say(line, "dim")) if not as_json
                     and not show_bar else nullcontext())

        def on_file(result: dict[str, Any]) -> None:
            ended.append(result)
            within.file_ended(result["path"])
            progress.advance(task)
            if not as_json:
                status, path, error = result["status"], result["path"], result["error"]
                colour = {"ingested": "green", "unchanged": "blue", "failed": "red"}[status]
                if status == "failed" and error:
                    # the error already names the file
                    detail = error if path in error else f"{path}: {error}"
                else:  # an unchanged copy's note names the path its content is stored under
                    detail = f"{path}: {counted(result['chunks'], 'chunk')}" + (
                        f" ({error})" if error else "")
                say(shown(detail), colour, f"{status:>9}")
                for warning in result.get("warnings") or []:
                    say(shown(f"{path}: {warning}"), "yellow", f"{'warning':>9}")

        def counted_as(status: str) -> int:
            return sum(result["status"] == status for result in ended)

        stop = StopSignal()
        try:
            with stop.as_interrupt(), heartbeat:
                report = library.ingest(found, on_file, within.file_progress)
        except KeyboardInterrupt as exc:
            if as_json:  # a script learns which files were stored before the stop
                _emit_json(_ended_report(found, ended, library, given))
            fail(interrupted_message(counted_as("ingested"), exc.unseen if isinstance(
                exc, StopNotSeenThrough) else None, counted_as("unchanged")))
            raise typer.Exit(128 + stop.received) from None
        except RagError:  # the engine stopped, the store failed: say what is kept, then why
            if as_json:  # none ended yet is an answer too: nothing was stored
                _emit_json(_ended_report(found, ended, library, given))
            elif counted_as("ingested") or counted_as("unchanged"):
                say(stored_before_error(counted_as("ingested"), counted_as("unchanged")),
                    "yellow")
            raise
        report["not_on_disk"] = not_on_disk(library, given)
    if as_json:
        _emit_json(report)
    else:
        say(ingest_summary(report["totals"]))
        if report["skipped"]:
            say(describe([Skipped(**s) for s in report["skipped"]]), "yellow")
        if report["not_on_disk"]:
            say(not_on_disk_note(report["not_on_disk"], given), "yellow")
    raise typer.Exit(1 if report["totals"]["failed"] else 0)


def not_on_disk(library: Library, given: list[Path]) -> list[str]:
    """The stored documents ingested from under the folders `given` whose files are gone:
    an ingest deletes nothing it was not given (a folder's file moved away for a moment
    would lose its document), so they stay searchable until deleted."""
    folders = tuple(os.path.join(path, "") for path in given if path.is_dir())
    if not folders:
        return []
    try:
        stored = library.documents()
    except RagError:  # the collection deleted, or the engine stopped, once the ingest ended:
        return []     # its report stands, and this note has nothing left to name
    return sorted(document["source"] for document in stored
                  if document["source"].startswith(folders)
                  and not os.path.lexists(document["source"]))


def not_on_disk_note(gone: list[str], given: list[Path], named: int = 3) -> str:
    """"2 documents stored from under /docs are no longer on disk (/docs/a.txt, /docs/b.txt);
    they stay searchable: `rag docs delete PATH` removes one"."""
    from ingest.discovery import printable

    folders = [path for path in given if path.is_dir()]
    where = printable(folders[0]) if len(folders) == 1 else "the folders given"
    listed = ", ".join(gone[:named]) + (
        f" and {len(gone) - named:,} more" if len(gone) > named else "")
    return shown(f"{counted(len(gone), 'document')} stored from under {where} "
                 f"{'is' if len(gone) == 1 else 'are'} no longer on disk ({listed}); "
                 f"{'it stays' if len(gone) == 1 else 'they stay'} searchable: "
                 "`rag docs delete PATH` removes one.")


def ingest_summary(totals: dict[str, int]) -> str:
    """The closing line of an ingest: "2,000 files: 0 ingested (0 chunks), 2,000 unchanged,
    0 failed"."""
    return (f"{counted(totals['files'], 'file')}: {totals['ingested']:,} ingested "
            f"({counted(totals['chunks'], 'chunk')}), {totals['unchanged']:,} unchanged, "
            f"{totals['failed']:,} failed")


def interrupted_message(kept: int, unseen: str | None, unchanged: int = 0) -> str:
    """The last line of a stopped ingest: `kept` files it stored, `unchanged` ones it found
    already stored; `unseen` says why the files reported may not be all it stored, None when
    the ingest was seen to end."""
    others = unseen or "no other file was stored"
    return (f"interrupted: {counted(kept, 'file')} stored before the stop "
            f"{'stays' if kept == 1 else 'stay'} searchable{already_stored(unchanged)}; "
            f"{others}. Run the command again to finish (stored files come back unchanged).")


def stored_before_error(kept: int, unchanged: int) -> str:
    """What an ingest cut by an error leaves searchable."""
    return (f"Stored before the error, and searchable: {counted(kept, 'file')}"
            f"{already_stored(unchanged)}. Run the command again to finish (stored files "
            "come back unchanged).")


def already_stored(unchanged: int) -> str:
    """", and 2 files found unchanged": files an ingest ended without storing anything."""
    return f", and {counted(unchanged, 'file')} found unchanged" if unchanged else ""


class StopSignal:
    """SIGTERM (a service manager's, `timeout`'s, a CI runner's) stops an ingest as Ctrl-C
    does: the files stored so far stay, the one being read is discarded, and the command says
    so, exiting 128 + the signal's number."""

    def __init__(self) -> None:
        self.received = signal.SIGINT

    @contextmanager
    def as_interrupt(self) -> Iterator[None]:
        def interrupt(number: int, frame: object) -> None:
            self.received = signal.Signals(number)
            raise KeyboardInterrupt

        previous = signal.signal(signal.SIGTERM, interrupt)
        try:
            yield
        finally:
            signal.signal(signal.SIGTERM, previous)


def _ended_report(found: Found, ended: list[dict[str, Any]], library: Library,
                  given: list[Path]) -> dict[str, Any]:
    """`rag ingest --json`'s object for the files that ended before an interrupt or an
    error: the keys of a whole run's, so that a script reads one shape."""
    from ingest.pipeline import FileResult, IngestReport

    report = IngestReport.of_found(found, [FileResult(**result) for result in ended]).as_json()
    try:
        report["not_on_disk"] = not_on_disk(library, given)
    except KeyboardInterrupt:  # a second Ctrl-C stops at once: the documents go unlisted
        report["not_on_disk"] = []
    return report


@app.command()
def search(
    query: FreeText,
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
    with library_for(collection, top_k=top_k, search_mode=mode) as library:
        if doc or source:
            source = stored_source(library, doc, source)
        found = library.search(query, top_k, mode, doc, source)
    if as_json:
        _emit_json(found)
        return
    hits = found["hits"]
    say_searched(found["query"], query)
    if found["unheld"]:
        say(unmentioned(found["unheld"]), "yellow")
    for n, hit in enumerate(hits, start=1):
        typer.echo(f"{cite(n, hit)}  score={hit['score']:.3f}\n{passage_shown(hit['text'])}\n")
    if not hits:
        typer.echo("No matching passages.")


@app.command()
def ask(
    question: FreeText,
    top_k: TopK = None,
    strategy: Annotated[str | None, typer.Option(
        help=" or ".join(ANSWER_STRATEGIES) + " (default RAG_ANSWER_STRATEGY).")] = None,
    collection: Collection = None,
    as_json: AsJson = False,
) -> None:
    """Answer QUESTION from the documents, citing the passages by number."""
    check_strategy(strategy)
    with library_for(collection, top_k=top_k, answer_strategy=strategy) as library:
        answer = library.ask(question, top_k, strategy)
        if as_json:
            _emit_json(answer.summary())
            return
        for piece in terminal_safe_pieces(answer):  # the model's text is untrusted
            typer.echo(piece, nl=False)
        typer.echo("")
        summary = answer.summary()
    if summary["notice"]:
        err.print()
        say(summary["notice"], "dim")
    say_searched(summary["query"], question)
    strategy = describe_strategy(summary)
    if strategy is not None:
        say(strategy[0], "yellow" if strategy[1] else "dim")
    if summary["citations"]:
        typer.echo(sources_block(summary["citations"], summary.get("cited")), nl=False)


@docs_app.command("list")
def docs_list(collection: Collection = None, as_json: AsJson = False) -> None:
    """List stored documents."""
    with library_for(collection) as library:
        docs = library.documents()
    if as_json:
        _emit_json({"documents": docs})
        return
    for d in docs:
        typer.echo(f"{d['doc_id']}  {counted(d['chunks'], 'chunk'):>11}  {shown(d['source'])}")
    if not docs:
        typer.echo("No documents. Add some with `rag ingest PATH`.")
    else:  # on stderr: the lines above stay one a document for a script
        say(f"{counted(len(docs), 'document')}, "
            f"{counted(sum(d['chunks'] for d in docs), 'chunk')}")


@docs_app.command("delete")
def docs_delete(
        doc_id_or_path: str,
        collection: Collection = None,
        yes: Annotated[bool, typer.Option(
            "--yes", "-y", help="Delete a folder's documents without asking.")] = False,
) -> None:
    """Delete a document (by id or source path) and all its chunks; given a folder, every
    document stored from under it, once confirmed."""
    from ingest.discovery import printable

    with library_for(collection) as library:
        removed = delete_first_stored(library, doc_id_or_path)
        if not removed:
            folder, sources = stored_under(library, doc_id_or_path)
            if sources and not (yes or typer.confirm(
                    f"Delete the {counted(len(sources), 'document')} stored from under "
                    f"{shown(printable(folder))}, and all their chunks?")):
                raise typer.Exit(1)
            removed = [d for source in sources for d in library.delete(source)]
    if not removed:
        fail(f"no document with id or path {shown(printable(doc_id_or_path))}")
        raise typer.Exit(1)
    for d in removed:
        typer.echo(f"deleted {d['doc_id']} ({counted(d['chunks'], 'chunk')}) "
                   f"{shown(d['source'])}")


def stored_forms(given: str) -> list[str]:
    """What `given` may be stored as: a document id or source as typed, then the forms
    `rag ingest` stores a path in, which need no file there any more (it may be deleted):
    absolute, with the links in its folders followed (a link found in a folder keeps its own
    name), then with every link followed (a link named directly is stored as its target).
    After them, the same of `given` as `rag docs list` shows a name holding a control
    character, typed back (`upload:a \\u202etxt.md`: `escaped_controls`)."""
    forms: list[str] = []
    for typed in dict.fromkeys([given, unescaped_controls(given)]):
        absolute = os.path.abspath(typed)
        in_real_folder = os.path.join(os.path.realpath(os.path.dirname(absolute)),
                                      os.path.basename(absolute))
        forms += [typed, absolute, in_real_folder, os.path.realpath(absolute)]
    return list(dict.fromkeys(forms))


def delete_first_stored(library: Library, given: str) -> list[dict[str, Any]]:
    """The documents deleted under the first of `given`'s stored forms that names any: a
    link and its target may both be stored, and only the one named goes."""
    for key in filter(is_text, stored_forms(given)):
        removed = library.delete(key)
        if removed:
            return removed
    return []


def stored_under(library: Library, given: str) -> tuple[str, list[str]]:
    """The stored form of the folder `given` (on disk or no longer) and the sources of the
    documents stored from under it; none when no form of it holds any."""
    if not given.strip():  # not the working folder
        return given, []
    sources = [document["source"] for document in library.documents()]
    for form in filter(is_text, stored_forms(given)):
        prefix = os.path.join(form, "")
        under = [source for source in sources if source.startswith(prefix)]
        if under:
            return form, sorted(under)
    return given, []


def stored_source(library: Library, doc: str | None, source: str | None) -> str | None:
    """The form of the path `source` a document in `library` is stored under. A filter that
    names no stored document (a folder, a typo, an unknown id) is a usage error: searched,
    it would find nothing, as if the library held no answer. An empty one is the search's
    own to refuse."""
    from ingest.discovery import printable

    documents = library.documents()
    if doc and doc not in {document["doc_id"] for document in documents}:
        no_such_filter(f"no document with id {shown(printable(doc))}")
    if not source:
        return source
    sources = {document["source"] for document in documents}
    stored = next((form for form in stored_forms(source) if form in sources), None)
    if stored is None:
        no_such_filter(f"no document with path {shown(printable(source))}"
                       f"{' (a folder is not a document)' if os.path.isdir(source) else ''}")
    return stored


def no_such_filter(message: str) -> NoReturn:
    fail(f"{message}: `rag docs list` shows the stored ones")
    raise typer.Exit(2)


@collections_app.command("list")
def collections_list(as_json: AsJson = False) -> None:
    """List the collections, the configured one (RAG_COLLECTION) first."""
    from rag.cli.collections import collection_names

    settings: Settings | None = None
    with reported_errors(lambda: settings.data_dir if settings else None):
        settings = load_settings()
        names, configured = collection_names(settings)
    if as_json:
        _emit_json({"collections": names, "configured": configured})
        return
    for name in names:
        typer.echo(f"{name}  (RAG_COLLECTION)" if name == configured else name)
    if not names:
        typer.echo("No collections yet. Add documents with `rag ingest PATH`.")


@collections_app.command("delete")
def collections_delete(
        name: str,
        yes: Annotated[bool, typer.Option("--yes", "-y", help="Delete without asking.")] = False,
) -> None:
    """Delete collection NAME and every document in it."""
    from rag.cli.collections import delete_collection

    settings: Settings | None = None
    with reported_errors(lambda: settings.data_dir if settings else None):
        check_collection_option(name)
        settings = load_settings()
        deleted = delete_collection(settings, name, lambda: yes or typer.confirm(
            f"Delete the collection '{name}' and every document in it?"))
    if not deleted:
        raise typer.Exit(1)
    typer.echo(f"deleted collection {name}")


@keys_app.command("add")
def keys_add(user: Annotated[str, typer.Argument(help="Who the key is for, e.g. alice.")]
             ) -> None:
    """Make an API key for USER: printed once, stored only as its hash in the keys file."""
    from rag.engine.access import add_key

    try:
        settings = load_settings()
        if settings.api_keys_file is None:  # kept in the data folder: said as every command
            make_folders(settings, only={"RAG_DATA_DIR"})  # says a data folder's trouble
        key = add_key(settings.resolved_api_keys_file, user)
    except RagError as exc:
        fail(exc)
        raise typer.Exit(2) from None
    typer.echo(key)
    say(f"the key for {user} is above; it is not stored anywhere in the clear "
        f"({settings.resolved_api_keys_file} holds its hash). A running engine reads it "
        "when restarted.", "dim")


@app.command("eval")
def evaluate_cmd(
    squad: Annotated[Path | None, typer.Option("--squad", exists=True, dir_okay=False,
                                               help="SQuAD v1.1-format JSON file.")] = None,
    limit: Annotated[int | None, typer.Option(
        min=1, help="Use the first N questions only (not with --report: see --every).")] = None,
    mode: Annotated[str | None, typer.Option(
        help=" or ".join(SEARCH_MODES) + "; default hybrid (not with --report, which runs "
        "every mode).")] = None,
    answer_limit: Annotated[int | None, typer.Option(
        min=0, help="Answer only the first N questions extractively (default: all).")] = None,
    every: Annotated[int, typer.Option(
        min=1, help="Keep every k-th question (with --report too: a shorter report).")] = 1,
    bm25: Annotated[bool, typer.Option(
        "--bm25", help="Also report plain BM25 (--report always does).")] = False,
    report: Annotated[bool, typer.Option(
        "--report", help="Every set given by --sets (and --squad), every mode and BM25, then "
        "the sets as PDFs one paragraph a page: one table.")] = False,
    sets: Annotated[list[Path] | None, typer.Option(
        "--sets", exists=True, help="With --report: a SQuAD-format file, or a folder of them "
        "(repeatable; default ./data/eval).")] = None,
    as_json: AsJson = False,
) -> None:
    """Measure retrieval (hit@k, MRR, nDCG) and extractive answers.

    Each SQuAD-format file is ingested into a throw-away collection."""
    from rag.registry import make_embedder

    check_eval_options(report, limit=limit, mode=mode, bm25=bm25, sets=sets)
    mode = mode or "hybrid"
    check_mode(mode)
    try:
        settings = load_settings()
        make_folders(settings, only={"RAG_MODEL_DIR"})  # the store is a throw-away one
        if report:
            _eval_report(settings, squad, sets, every, answer_limit, as_json)
            return
        if squad is None:
            fail("Give a SQuAD-format file with --squad, or --report for the development sets.")
            raise typer.Exit(2)
        from rag.evaluation import evaluate

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


def check_eval_options(report: bool, *, limit: int | None, mode: str | None, bm25: bool,
                       sets: list[Path] | None) -> None:
    """A usage error for an option the chosen run would ignore: a report runs every mode and
    BM25 on all of each set's questions, and a single run reads the --squad file only."""
    if report:
        ignored = [option for option, given in (
            ("--limit", limit is not None), ("--mode", mode is not None), ("--bm25", bm25))
            if given]
        if ignored:
            raise typer.BadParameter(
                "it does not apply to --report, which runs every mode and BM25 on every "
                "question of each set: for a shorter report keep every k-th question with "
                "--every.", param_hint=ignored[0])
    elif sets:
        raise typer.BadParameter("it goes with --report; without it, give the one set to "
                                 "measure with --squad.", param_hint="--sets")


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
def ui(port: Annotated[int, typer.Option(min=1, max=65535, help="Port for the web app.")
                       ] = 8501,
       host: Annotated[str, typer.Option(
           envvar="STREAMLIT_SERVER_ADDRESS",
           help="Address to listen on: 127.0.0.1, this machine only; 0.0.0.0 for every "
                "interface (then give API keys, and sign-in for the chat: docs/security.md)."
       )] = LOOPBACK) -> None:
    """Run the engine: the chat at /, the API at /api/v1, metrics at /metrics."""
    from rag.app.logs import configure_logging
    from rag.engine import discovery, serve
    from rag.engine.access import ApiKeys
    from rag.engine.sockets import port_taken

    try:  # what the server would stop on, said in one line before it starts
        if not host.strip():  # `--host "$HOST"` with HOST unset: the server would take every
            raise RagError("--host is blank: give 127.0.0.1 for this machine only, or "
                           "0.0.0.0 for every interface (docs/security.md).")
        settings = load_settings()
        ApiKeys.from_settings(settings)
        make_folders(settings)
        configure_logging(settings.resolved_log_file, settings.log_level,  # a folder it can write
                          log_file_set=settings.log_file is not None)
        running = discovery.find(settings.data_dir)
        if running is not None:
            raise RagError(f"An engine already runs on the data folder {settings.data_dir} "
                           f"at {running.url}: open that one, or stop it first."
                           + _REPLICA_HINT * bool(settings.qdrant_url))
        if port_taken(host, port):
            raise RagError(f"Port {port} is in use by another program: choose another with "
                           "--port, or stop that program.")
        redis_warning = redis_at_start(settings)
    except RagError as exc:
        fail(exc)
        raise typer.Exit(2) from None
    if redis_warning:
        typer.echo(redis_warning, err=True)
    if host not in ("127.0.0.1", "::1", "localhost") and not settings.editors:
        typer.echo(f"warning: the chat at {host} lets whoever opens it upload and delete "
                   "documents (API keys guard only the API): set RAG_EDITORS to the users who "
                   "may, and sign-in for the chat (docs/security.md).", err=True)
    app_path = Path(__file__).resolve().parents[2] / "ui" / "app.py"
    sys.stdout.flush()
    # the server becomes this process, so Ctrl-C and SIGTERM reach it (and stop it cleanly)
    # (`streamlit run`, with the server's keep-alive set first: rag/engine/serve.py); in the
    # working folder still (./data, .env), which is kept off its import path
    os.execv(sys.executable, [
        *serve.command(), str(app_path), "--server.port", str(port),
        "--server.address", host,
        "--server.headless", "true", "--browser.gatherUsageStats", "false",
        "--server.fileWatcherType", "none",  # a server does not reload its code
        # Streamlit's banner asks checkip.amazonaws.com for the public address: the engine
        # prints its own addresses once it is up (ui/app.py)
        "--logger.hideWelcomeMessage", "true",
        # the menu a reader needs (rerun, settings, print), not Streamlit's Deploy button
        "--client.toolbarMode", "viewer",
        *own_host_names(host),
    ])


def redis_at_start(settings: Settings) -> str | None:
    """Open the shared state as the engine will: a Redis that answers but will not serve us
    stops the start (ConfigError); one that does not answer is an outage the engine rides
    out, said on the console too, since the limits and budgets are off until it answers."""
    if not settings.redis_url:
        return None
    from rag.providers.state import OUTAGE_SECONDS, RedisState, state_for

    state = state_for(settings)
    if not isinstance(state, RedisState) or state.unreachable_at_start is None:
        return None
    return (f"warning: Redis at {masked_url(settings.redis_url)} does not answer "
            f"({state.unreachable_at_start}): the rate limits and budgets are off until it "
            f"does (RAG_REDIS_URL; asked again every {OUTAGE_SECONDS:.0f} s).")


def own_host_names(host: str) -> list[str]:
    """Streamlit's `server.allowedHosts` for a server on this machine only: the names this
    machine goes by. A site that rebinds its own name to 127.0.0.1 then cannot open the chat
    (the API checks the same itself); a server on every interface serves whatever names a
    proxy or a network gives it."""
    if host not in ("127.0.0.1", "::1", "localhost"):
        return []
    names = ("localhost", "127.0.0.1", "::1", socket.gethostname().lower())
    return [flag for name in names for flag in ("--server.allowedHosts", name)]


app.add_typer(cost_app, name="cost", help="Workers AI cost (neurons) estimates.")
