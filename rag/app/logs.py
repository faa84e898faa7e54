"""Where log records go: the AI call records to a JSON-lines file, problems to stderr.

Each AI call writes one JSON record on the `rag.ai` logger (model, duration, attempts, neurons,
...). A terminal user should not see those mid-answer, so the console only shows records at
RAG_LOG_LEVEL (default ERROR) while the file keeps everything from INFO up.
"""

from __future__ import annotations

import logging
from pathlib import Path

_MARK = "_rag_handler"


def configure_logging(log_file: Path, console_level: str = "ERROR") -> None:
    """Install our two handlers on the `rag` logger, replacing any we installed before."""
    logger = logging.getLogger("rag")
    for handler in [h for h in logger.handlers if getattr(h, _MARK, False)]:
        logger.removeHandler(handler)
        handler.close()
    logger.setLevel(logging.INFO)
    console = logging.StreamHandler()
    console.setLevel(console_level.upper())
    console.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    log_file.parent.mkdir(parents=True, exist_ok=True)
    to_file = logging.FileHandler(log_file, encoding="utf-8")
    to_file.setLevel(logging.INFO)
    to_file.setFormatter(logging.Formatter("%(message)s"))
    for handler in (console, to_file):
        setattr(handler, _MARK, True)
        logger.addHandler(handler)
