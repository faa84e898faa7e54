"""rich's Console, for the command: a reader that goes away ends it as any other write does."""

from __future__ import annotations

import errno

from rich.console import Console


class ReaderWentAway(BrokenPipeError):
    """The reader of what a console draws went away: stdout's or stderr's, whichever."""


class PipedConsole(Console):
    """rich ends a command whose output's reader went away (`rag cost report | head -1`, or
    `rag ask ... 2>&1 | head -1`) with exit 1; this raises the broken pipe instead, which
    ends it as a Unix tool ends (`EndsQuietlyWhenTheReaderGoes`: exit 141)."""

    def on_broken_pipe(self) -> None:
        self.quiet = True  # nothing more is drawn for nobody
        raise ReaderWentAway(errno.EPIPE, "the reader went away")
