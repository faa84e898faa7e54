"""`rag` and `python -m rag`: the command line, whose imports load only when a command runs.

The console script imports this module rather than `rag.cli.main` because a process started with
"spawn" (the ingest's parse worker) re-imports the script that started its parent: it would
otherwise load the CLI's own packages (typer, rich, the settings), which it never uses, on a
core the model wants.

On the way out the command skips the interpreter's teardown of every loaded module, which
only frees memory the process is about to give back and takes a noticeable share of a short
command (langchain's and pydantic's modules most of it; bench/cli_exit.py). By then the
command has closed its store and its threads and children have been joined; the last exit
handler flushes the output and ends the process with the command's exit code.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import signal
import sys

from rag.stopped import end_at_once_when_stopped, end_by_signal


def exit_status(code: object) -> int:
    """The status Python itself gives `SystemExit(code)`: None is 0, a message is 1."""
    if code is None:
        return 0
    return code if isinstance(code, int) else 1


def main() -> None:
    status = 1  # unless the command ends with SystemExit: an uncaught exception

    def leave_without_teardown() -> None:
        if "logging" in sys.modules:  # its own exit handler may have been registered first
            sys.modules["logging"].shutdown()
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(OSError, ValueError):  # a closed pipe: nothing to say
                stream.flush()
        end_by_signal(status)  # a command stopped stops the script that ran it
        os._exit(status)

    # what the command writes (the store, the cache, the logs, uploads, everyone's questions)
    # is its owner's alone, whatever the data folder's own mode; `rag ui` passes it on
    os.umask(0o077)
    # registered before the command imports anything, so it runs after every other handler
    # (multiprocessing's join of the parse worker, logging's flush)
    atexit.register(leave_without_teardown)
    try:
        from rag.cli.quick import answer_quickly

        quick = answer_quickly(sys.argv[1:])  # a question to a running engine needs no more
        if quick is not None:
            status = quick
            return
        from rag.cli.main import app

        app()
    except BrokenPipeError:  # the reader stopped early (`rag ask ... | head -1`)
        from rag.cli.output import BROKEN_PIPE_EXIT, stdout_to_devnull

        stdout_to_devnull()
        status = BROKEN_PIPE_EXIT
    except KeyboardInterrupt:  # Ctrl-C while the command's own modules load: nothing begun
        status = 128 + signal.SIGINT
    except SystemExit as exc:
        status = exit_status(exc.code)
        raise
    finally:  # the command has ended: a stop while its threads end their calls ends it
        end_at_once_when_stopped()


if __name__ == "__main__":
    main()
