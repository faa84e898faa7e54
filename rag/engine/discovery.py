"""How the `rag` command finds a running engine: `<data dir>/server.json`.

The engine writes its address, its process id and a token made at start-up, readable by its
owner only, and removes the file when it stops. A file whose process is gone (the engine was
killed) is ignored. So is one whose process id now names another process: an engine killed
in a container was its process 1, which is alive again in the next container, so the file
also names the host (a container's own) and when the process started. And one in a copy of
the data folder (a backup taken while the engine ran) is the engine of the folder it was
copied from, not of the copy: the file names the folder it was written in (its device and
inode), and a command given the copy works on the copy. Stdlib only: the command reads it
before importing anything heavy.
"""

from __future__ import annotations

import json
import os
import secrets
import socket
from dataclasses import asdict, dataclass
from pathlib import Path

from rag.errors import ConfigError

FILE_NAME = "server.json"


@dataclass(frozen=True)
class EngineAddress:
    url: str  # e.g. http://127.0.0.1:8501
    token: str
    pid: int
    host: str | None = None  # the machine (or container) it runs on; its url is that one's
    started: str | None = None  # when the process started: a reused pid started later
    folder: str | None = None  # the data folder it serves (`folder_id`): not a copy of it

    @property
    def api(self) -> str:
        return f"{self.url}/api/v1"


def announce(data_dir: Path, url: str) -> EngineAddress:
    """Write server.json (mode 0600) for this process; returns what was written."""
    data_dir.mkdir(parents=True, exist_ok=True)
    address = EngineAddress(url, secrets.token_urlsafe(32), os.getpid(), socket.gethostname(),
                            process_start(os.getpid()), folder_id(data_dir))
    path = data_dir / FILE_NAME
    tmp = path.with_name(f".{FILE_NAME}.{os.getpid()}")
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            json.dump(asdict(address), out)
        os.replace(tmp, path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)  # it holds the token
        what = "it is a folder" if path.is_dir() else exc.strerror or str(exc)
        raise ConfigError(f"Cannot write the engine's address to {path} ({what}): remove what "
                          "is in its place, or give RAG_DATA_DIR a folder you can write "
                          "to.") from None
    return address


def withdraw(data_dir: Path, address: EngineAddress) -> None:
    """Remove server.json if it is still this engine's."""
    if find(data_dir) == address:
        (data_dir / FILE_NAME).unlink(missing_ok=True)


def find(data_dir: Path) -> EngineAddress | None:
    """The live engine announced in `data_dir`, or None (no file, a bad file, a dead process,
    another host's engine, or a process id now another process's)."""
    try:
        raw = json.loads((data_dir / FILE_NAME).read_text(encoding="utf-8"))
        address = EngineAddress(str(raw["url"]), str(raw["token"]), int(raw["pid"]),
                                _optional(raw.get("host")), _optional(raw.get("started")),
                                _optional(raw.get("folder")))
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None
    if address.folder is not None and address.folder != folder_id(data_dir):
        return None  # copied with the data folder: that engine serves the original
    return address if _alive(address) else None


def folder_id(folder: Path) -> str | None:
    """A folder's device and inode, which a copy of it does not share; None if unreadable."""
    try:
        stat = folder.stat()
    except OSError:
        return None
    return f"{stat.st_dev}:{stat.st_ino}"


def process_start(pid: int) -> str | None:
    """When process `pid` started, as this boot's id and the clock ticks since boot (Linux's
    /proc); None where there is no /proc."""
    try:
        boot = Path("/proc/sys/kernel/random/boot_id").read_text().strip()
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = stat[stat.rindex(")") + 2:].split()  # the name, in parentheses, may hold spaces
    return f"{boot}:{fields[19]}" if len(fields) > 19 else None


def _optional(value: object) -> str | None:
    return None if value is None else str(value)


def _alive(address: EngineAddress) -> bool:
    if address.host is not None and address.host != socket.gethostname():
        return False
    try:
        os.kill(address.pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process: alive
        pass
    if address.started is None:  # written by an engine of an earlier version
        return True
    now = process_start(address.pid)
    return now is None or now == address.started
