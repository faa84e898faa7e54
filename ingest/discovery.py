"""Which files of the paths given are read, which fail unread, and which are skipped and why.

Nothing is skipped silently. In a folder, a file of a type no loader reads, a hidden file or
folder, an editor's temporary file (`~$report.docx`, `notes.txt~`), a special file (a named
pipe, socket or device), a symlinked folder and a folder that cannot be listed are each
listed as skipped, so that `rag ingest` can say "skipped 12 files: .zip ×10, .exe ×2
(unsupported)". A file named directly is always read, whatever its name: an unsupported one
then fails with its reason.

Some files fail without being opened, named or found: a special file named directly (opening
a named pipe waits for a writer, forever), one whose path is not valid UTF-8 (its source
could not be stored or sent), and one that cannot be looked up (a broken link, a link loop).
Paths are reported with `printable`, so that such a name can be printed and put in JSON.
"""

from __future__ import annotations

import errno
import os
import stat
from collections import Counter
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Literal

from ingest.loaders import is_supported
from rag.types import counted

SkipReason = Literal["unsupported", "hidden", "temporary", "special", "symlink", "unreadable"]

# what each reason is called in the summary line, for files and for folders
_FILE_NOUNS = (("hidden", "hidden file"), ("temporary", "editor temporary file"),
               ("special", "special file"))
_FOLDER_NOUNS = (("hidden", "hidden folder"), ("unreadable", "unreadable folder"),
                 ("symlink", "symlinked folder"))
_NOTES = {"special": " (not a regular file)", "symlink": " (not followed)"}

_SPECIAL_KINDS = {stat.S_IFIFO: "a named pipe", stat.S_IFSOCK: "a socket",
                  stat.S_IFCHR: "a device", stat.S_IFBLK: "a device"}


@dataclass(frozen=True)
class Skipped:
    """A file (or a folder, not searched) that was found but not read."""

    path: str
    reason: SkipReason
    type: str  # ".zip"; "folder" for a folder; "(none)" for a name without a suffix

    def as_json(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class Refused:
    """A file that fails without being opened; `error` reads as a failed file's error does."""

    path: str
    error: str


@dataclass
class Found:
    """What `find_files` found: files to read, files to fail unread, and what was skipped."""

    files: list[Path] = field(default_factory=list)  # to read
    refused: list[Refused] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    # each file read or refused (as printed) → its place in the order found
    places: dict[str, int] = field(default_factory=dict)

    def add(self, path: Path, refusal: str | None) -> None:
        """A file to read, or (with its `refusal`) to fail unread."""
        self.places.setdefault(printable(path), len(self.places))
        if refusal is None:
            self.files.append(path)
        else:
            self.refused.append(Refused(printable(path), refusal))

    def place(self, path: str) -> int:
        """Where the file printed as `path` came in the order found."""
        return self.places.get(path, len(self.places))


def printable(path: Path | str) -> str:
    """The path as text that can be printed and stored: the bytes of a name that are not
    UTF-8 (which Python keeps as lone surrogates) are written `\\xe9`."""
    return os.fsencode(path).decode("utf-8", "backslashreplace")


def absolute(path: Path) -> Path:
    """The real path of what `path` names; a broken link or a link loop keeps its own
    (absolute) path, so that it is reported by the name it was given."""
    try:
        return path.resolve(strict=True)
    except (OSError, RuntimeError):  # a link loop is a RuntimeError before Python 3.13
        return Path(os.path.abspath(path))


def is_temporary(name: str) -> bool:
    """An Office lock file (~$name.docx) or an editor's backup (name~)."""
    return name.startswith("~$") or name.endswith("~")


def find_files(paths: Iterable[Path]) -> Found:
    """Files named directly, and the files found recursively in folders (sorted)."""
    found = Found()
    for path in paths:
        if path.is_dir():
            _walk(path, found)
        else:
            found.add(path, _refusal(path))
    return found


def _walk(folder: Path, found: Found) -> None:
    def unlisted(exc: OSError) -> None:
        if Path(exc.filename) == folder:  # named directly: it fails, as a named file would
            found.add(folder, f"{printable(folder)}: {exc.strerror or exc}")
        else:
            found.skipped.append(Skipped(printable(exc.filename), "unreadable", "folder"))

    # links to folders are not followed: a folder could be read twice, or a loop forever
    for root, dirs, files in os.walk(folder, onerror=unlisted):
        searched = []
        for name in sorted(dirs):
            reason = _folder_skip_reason(Path(root) / name)
            if reason is None:
                searched.append(name)
            else:
                found.skipped.append(Skipped(printable(Path(root) / name), reason, "folder"))
        dirs[:] = searched
        for name in sorted(files):
            candidate = Path(root) / name
            reason = _skip_reason(candidate)
            if reason is None:
                found.add(candidate, _refusal(candidate))
            else:
                found.skipped.append(Skipped(printable(candidate), reason,
                                             candidate.suffix.lower() or "(none)"))


def _folder_skip_reason(path: Path) -> SkipReason | None:
    if path.name.startswith("."):
        return "hidden"
    return "symlink" if os.path.islink(path) else None  # False, not an error, when unknown


def _skip_reason(path: Path) -> SkipReason | None:
    if path.name.startswith("."):
        return "hidden"
    if is_temporary(path.name):
        return "temporary"
    if _special_kind(path):  # before the type: a pipe is special whatever its name says
        return "special"
    if is_supported(path) or path.name.rstrip(" .") != path.name:  # fails, saying why
        return None
    # a broken link (to a folder moved away, often) or a loop has no type to judge by: it
    # fails saying what it is
    return None if _dangling(path) else "unsupported"


def _dangling(path: Path) -> bool:
    return os.path.islink(path) and not os.path.exists(path)


def _special_kind(path: Path) -> str | None:
    """"a named pipe", "a socket" or "a device"; None for a regular file, or one that cannot
    be looked up (it then fails with its reason)."""
    try:
        return _SPECIAL_KINDS.get(stat.S_IFMT(path.stat().st_mode))
    except OSError:
        return None


def _refusal(path: Path) -> str | None:
    """Why a file fails without being opened, or None: it is read."""
    shown = printable(path)
    if shown != str(path):
        named = "its name" if printable(path.name) != path.name else "a folder's name on its path"
        return f"{shown}: {named} is not valid UTF-8; rename it"
    try:
        mode = path.stat().st_mode
    except OSError as exc:
        return f"{shown}: {_unreachable(path, exc)}"
    if not stat.S_ISREG(mode):
        kind = _SPECIAL_KINDS.get(stat.S_IFMT(mode))
        return f"{shown}: not a regular file" + (f" ({kind})" if kind else "")
    return None


def _unreachable(path: Path, exc: OSError) -> str:
    """Why a file cannot be looked up; a link is named as one, since `ls` lists a broken link
    like a file."""
    if exc.errno == errno.ELOOP:
        return "a link loop (a link that leads back to itself)"
    if exc.errno == errno.ENOENT and path.is_symlink():
        return f"a broken link (to {printable(os.readlink(path))}, which does not exist)"
    return exc.strerror or str(exc)


def describe(skipped: list[Skipped]) -> str:
    """"skipped 12 files: .zip ×10, .exe ×2 (unsupported); 1 hidden folder" ("" if none)."""
    if not skipped:
        return ""
    files = [s for s in skipped if s.type != "folder"]
    folders = [s for s in skipped if s.type == "folder"]
    parts = []
    unsupported = Counter(s.type for s in files if s.reason == "unsupported")
    if unsupported:
        kinds = ", ".join(f"{kind} ×{n}" for kind, n in
                          sorted(unsupported.items(), key=lambda kv: (-kv[1], kv[0])))
        parts.append(f"{kinds} (unsupported)")
    for group, nouns in ((files, _FILE_NOUNS), (folders, _FOLDER_NOUNS)):
        for reason, noun in nouns:
            n = sum(1 for s in group if s.reason == reason)
            if n:
                parts.append(counted(n, noun) + _NOTES.get(reason, ""))
    head = f"skipped {counted(len(files), 'file')}" if files else "skipped"
    return f"{head}: {'; '.join(parts)}"
