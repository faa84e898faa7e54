"""`rag` and `python -m rag`: the command line, whose imports load only when a command runs.

The console script imports this module rather than `rag.cli` because a process started with
"spawn" (the ingest's parse worker) re-imports the script that started its parent: it would
otherwise load the CLI's own packages (typer, rich, the settings), which it never uses, on a
core the model wants.
"""

from __future__ import annotations


def main() -> None:
    from rag.cli import app

    app()


if __name__ == "__main__":
    main()
