"""How the `rag` command finds a running engine: `<data dir>/server.json`.

The engine writes its address, its process id and a token made at start-up, readable by its
owner only, and removes the file when it stops. A file whose process is gone (the engine was
killed) is ignored. Stdlib only: the command reads it before importing anything heavy.
"""

from __future__ import annotations

import json
import os
import secrets
from dataclasses import asdict, dataclass
from pathlib import Path

FILE_NAME = "server.json"


@dataclass(frozen=True)
class EngineAddress:
    url: str  # e.g. http://127.0.0.1:8501
    token: str
    pid: int

    @property
    def api(self) -> str:
        return f"{self.url}/api/v1"


def announce(data_dir: Path, url: str) -> EngineAddress:
    """Write server.json (mode 0600) for this process; returns what was written."""
    address = EngineAddress(url, secrets.token_urlsafe(32), os.getpid())
    data_dir.mkdir(parents=True, exist_ok=True)
    path = data_dir / FILE_NAME
    tmp = path.with_name(f".{FILE_NAME}.{os.getpid()}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        json.dump(asdict(address), out)
    os.replace(tmp, path)
    return address


def withdraw(data_dir: Path, address: EngineAddress) -> None:
    """Remove server.json if it is still this engine's."""
    if find(data_dir) == address:
        (data_dir / FILE_NAME).unlink(missing_ok=True)


def find(data_dir: Path) -> EngineAddress | None:
    """The live engine announced in `data_dir`, or None (no file, a bad file, a dead process)."""
    try:
        raw = json.loads((data_dir / FILE_NAME).read_text(encoding="utf-8"))
        address = EngineAddress(str(raw["url"]), str(raw["token"]), int(raw["pid"]))
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return address if _alive(address.pid) else None


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process: alive
        return True
    return True
