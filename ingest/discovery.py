"""Which files of the folders given are read, and which are skipped and why.

Nothing is skipped silently: a file of a type no loader reads, a hidden file or folder, and an
editor's temporary file (`~$report.docx`, `notes.txt~`) are each listed as skipped, so that
`rag ingest` can say "skipped 12 files: .zip ×10, .exe ×2 (unsupported)". A file named
directly is always read, whatever its name: an unsupported one then fails with its reason.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Literal

from ingest.loaders import is_supported
from rag.types import counted

SkipReason = Literal["unsupported", "hidden", "temporary"]


@dataclass(frozen=True)
class Skipped:
    """A file (or a hidden folder, not searched) that was found but not read."""

    path: str
    reason: SkipReason
    type: str  # ".zip"; "folder" for a hidden folder; "(none)" for a name without a suffix

    def as_json(self) -> dict:
        return asdict(self)


@dataclass
class Found:
    files: list[Path] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)


def is_temporary(name: str) -> bool:
    """An Office lock file (~$name.docx) or an editor's backup (name~)."""
    return name.startswith("~$") or name.endswith("~")


def find_files(paths: Iterable[Path]) -> Found:
    """Files named directly, and supported files found recursively in folders (sorted)."""
    found = Found()
    for path in paths:
        if not path.is_dir():
            found.files.append(path)
            continue
        for root, dirs, files in os.walk(path):
            for name in sorted(d for d in dirs if d.startswith(".")):
                found.skipped.append(Skipped(str(Path(root) / name), "hidden", "folder"))
            dirs[:] = sorted(d for d in dirs if not d.startswith("."))
            for name in sorted(files):
                candidate = Path(root) / name
                reason = _skip_reason(candidate)
                if reason is None:
                    found.files.append(candidate)
                else:
                    found.skipped.append(Skipped(str(candidate), reason,
                                                 candidate.suffix.lower() or "(none)"))
    return found


def _skip_reason(path: Path) -> SkipReason | None:
    if path.name.startswith("."):
        return "hidden"
    if is_temporary(path.name):
        return "temporary"
    return None if is_supported(path) else "unsupported"


def describe(skipped: list[Skipped]) -> str:
    """"skipped 12 files: .zip ×10, .exe ×2 (unsupported); 1 hidden folder" ("" if none)."""
    if not skipped:
        return ""
    parts = []
    unsupported = Counter(s.type for s in skipped if s.reason == "unsupported")
    if unsupported:
        kinds = ", ".join(f"{kind} ×{n}" for kind, n in
                          sorted(unsupported.items(), key=lambda kv: (-kv[1], kv[0])))
        parts.append(f"{kinds} (unsupported)")
    for reason, label in (("hidden", "hidden"), ("temporary", "editor temporary")):
        files = sum(1 for s in skipped if s.reason == reason and s.type != "folder")
        if files:
            parts.append(counted(files, f"{label} file"))
    folders = sum(1 for s in skipped if s.type == "folder")
    if folders:
        parts.append(counted(folders, "hidden folder"))
    files = sum(1 for s in skipped if s.type != "folder")
    head = f"skipped {counted(files, 'file')}" if files else "skipped"
    return f"{head}: {'; '.join(parts)}"

