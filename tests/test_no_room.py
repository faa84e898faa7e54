"""A write that fails for want of room (a full disk, a quota, the file-size limit, a read-only
file system) says so and what to do, at every door, and leaves no half document behind."""

from __future__ import annotations

import errno
import json
import os
import resource
import shutil
import socket
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from rag.engine.api.errors import from_rag_error, unexpected
from rag.errors import ConfigError, NoRoom, no_room, no_room_errno, writing_to
from rag.registry import make_store
from rag.service import build_service
from rag.settings import load_settings
from rag.stores.edge import EdgeClient

ROOT = Path(__file__).resolve().parents[1]
# what qdrant-edge raises: a plain Exception, the OS error in Rust's words inside its text
RUST_FULL = ('Service runtime error: failed to flush: Os { code: 28, kind: StorageFull, '
             'message: "No space left on device" }')
RUST_TOO_LARGE = ("Service runtime error: failed to open WAL /data/qdrant/edge/docs/shard/wal: "
                  "Can't init WAL: Os { code: 27, kind: FileTooLarge, message: \"File too "
                  "large\" }")


@pytest.mark.parametrize(("exc", "code"), [
    (OSError(errno.ENOSPC, "No space left on device"), errno.ENOSPC),
    (OSError(errno.EDQUOT, "Disk quota exceeded"), errno.EDQUOT),
    (OSError(errno.EFBIG, "File too large"), errno.EFBIG),
    (OSError(errno.EROFS, "Read-only file system"), errno.EROFS),
    (Exception(RUST_FULL), errno.ENOSPC),
    (Exception(RUST_TOO_LARGE), errno.EFBIG),
    (RuntimeError("could not save: [Errno 28] No space left on device"), errno.ENOSPC),
])
def test_a_write_with_no_room_is_recognised_however_it_is_raised(exc: Exception,
                                                                 code: int) -> None:
    assert no_room_errno(exc) == code


def test_sqlites_full_database_is_a_full_disk() -> None:
    full = sqlite3.OperationalError("database or disk is full")
    full.sqlite_errorname = "SQLITE_FULL"  # as sqlite3 sets it
    assert no_room_errno(full) == errno.ENOSPC


def test_an_error_raised_from_one_with_no_room_is_one() -> None:
    try:
        try:
            raise OSError(errno.ENOSPC, "No space left on device")
        except OSError as cause:
            raise ValueError("could not save the cache") from cause
    except ValueError as exc:
        assert no_room_errno(exc) == errno.ENOSPC


@pytest.mark.parametrize("exc", [
    OSError(errno.ENOENT, "No such file or directory"),
    OSError(errno.EACCES, "Permission denied"),
    ValueError("File too large"),  # the words alone are not the OS's error
    Exception('Os { code: 2, kind: NotFound, message: "No such file or directory" }'),
    sqlite3.OperationalError("disk I/O error"),
])
def test_other_errors_are_not_taken_for_a_full_disk(exc: Exception) -> None:
    assert no_room_errno(exc) is None
    assert no_room(exc, "/data") is None


def test_the_message_names_the_file_the_cause_and_what_to_do() -> None:
    error = no_room(OSError(errno.ENOSPC, "No space left on device", "/data/cache/cache.db"),
                    "/data")
    assert isinstance(error, NoRoom) and error.errno == errno.ENOSPC
    assert str(error) == ("Could not write to /data/cache/cache.db: no space left on the "
                          "device. Free some space on its disk (the data is in /data), and "
                          "try again.")
    assert str(no_room(Exception(RUST_TOO_LARGE), "/data/qdrant")) == (
        "Could not write to /data/qdrant: the file-size limit was reached. Raise the limit "
        "(ulimit -f), and try again.")
    assert "read-only" in str(no_room(OSError(errno.EROFS, "Read-only file system"), "/d"))
    assert "quota" in str(no_room(OSError(errno.EDQUOT, "Disk quota exceeded"), "/d"))


def test_writing_to_turns_only_a_want_of_room_into_no_room() -> None:
    with pytest.raises(NoRoom, match="no space left"), writing_to("/data"):
        raise Exception(RUST_FULL)
    with pytest.raises(KeyError), writing_to("/data"):
        raise KeyError("other")


def test_the_api_answers_507_insufficient_storage() -> None:
    error = from_rag_error(no_room(Exception(RUST_FULL), "/data/qdrant"))
    assert (error.status, error.code) == (507, "insufficient_storage")
    assert error.message.startswith("Could not write to /data/qdrant: no space left")
    # a cache's write, not the store's, is no bug either
    error = unexpected(OSError(errno.EDQUOT, "Disk quota exceeded", "/data/state/cache.db"))
    assert (error.status, error.code) == (507, "insufficient_storage")
    assert "error id" not in error.message


def test_a_disk_filling_mid_ingest_fails_the_files_not_stored_whole(
        service, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The store's writes fail from a file's second batch on, as on a disk that fills, and so
    does the clean-up of its first: the file written before is stored whole, the others fail
    with the reason, and no point of theirs is found; with room again the next run stores
    them."""
    folder = tmp_path / "docs"
    folder.mkdir()
    for name, topic in (("a.txt", "apples"), ("b.txt", "bridges"), ("c.txt", "comets")):
        (folder / name).write_text(" ".join(f"Note {i} is about {topic} and more {topic}."
                                            for i in range(100)))
    disk = {"full": False, "bridges": 0}

    class FillingShard:
        def __init__(self, shard) -> None:
            self._shard = shard

        def update(self, operation):
            if disk["full"]:
                raise Exception(RUST_FULL)
            return self._shard.update(operation)

        def __getattr__(self, name: str):
            return getattr(self._shard, name)

    real_on_shard = EdgeClient.on_shard
    monkeypatch.setattr(EdgeClient, "on_shard", lambda self, name, action: real_on_shard(
        self, name, lambda shard: action(FillingShard(shard))))
    store_type = type(service.store)
    real_upsert = store_type.upsert_points

    def upsert_filling(self, ids, dense, sparse, payloads):
        if "bridges" in payloads[0]["text"]:
            disk["bridges"] += 1
            disk["full"] = disk["full"] or disk["bridges"] == 2
        return real_upsert(self, ids, dense, sparse, payloads)

    monkeypatch.setattr(store_type, "upsert_points", upsert_filling)
    monkeypatch.setattr(service.pipeline, "batch_size", 4)
    report = service.ingest([folder])
    assert [f.status for f in report.files] == ["ingested", "failed", "failed"]
    for failed in report.files[1:]:
        assert failed.error == (f"{failed.path}: Could not write to "
                                f"{service.settings.resolved_qdrant_path}: no space left on "
                                "the device. Free some space on its disk, and try again.")
    a_txt = str(folder / "a.txt")
    assert [d.source for d in service.documents()] == [a_txt]
    # b's first batch, which the full disk kept from being removed, is never found
    assert service.store.size() > report.files[0].chunks
    assert {h.source for h in service.search("bridges comets", top_k=5)} == {a_txt}

    disk["full"] = False  # room again
    again = service.ingest([folder])
    assert [f.status for f in again.files] == ["unchanged", "ingested", "ingested"]
    assert service.store.size() == sum(f.chunks for f in again.files)


def python_m_rag(env: dict[str, str], *args: str, file_size_limit: int | None = None
                 ) -> subprocess.CompletedProcess[str]:
    """`python -m rag` of this checkout; with `file_size_limit`, a write past that many bytes
    fails with EFBIG (Python ignores SIGXFSZ), as one on a full disk fails."""
    def limited() -> None:
        if file_size_limit is not None:
            resource.setrlimit(resource.RLIMIT_FSIZE, (file_size_limit, file_size_limit))

    return subprocess.run([sys.executable, "-m", "rag", *args], capture_output=True, text=True,
                          timeout=300, env={**os.environ, **env, "PYTHONPATH": str(ROOT)},
                          preexec_fn=limited, check=False)


@pytest.mark.slow
def test_an_ingest_over_the_file_size_limit_says_so_and_loses_nothing(
        env, embedder, tmp_path: Path) -> None:
    """A real limit (`ulimit -f`) the store's first write passes: one line naming the cause
    and what to do, exit 2; after it, without the limit, the library opens, holds no half
    document, and stores the files."""
    folder = tmp_path / "docs"
    folder.mkdir()
    for name, topic in (("a.txt", "apples"), ("b.txt", "bridges"), ("c.txt", "comets")):
        (folder / name).write_text(f"Notes about {topic}. " * 40)
    store = Path(env["RAG_DATA_DIR"]) / "qdrant"

    limited = python_m_rag(env, "ingest", str(folder), file_size_limit=1 << 20)
    assert limited.returncode == 2, limited.stderr
    assert limited.stderr.strip() == (f"error: Could not write to {store}: the file-size limit "
                                      "was reached. Raise the limit (ulimit -f), and try "
                                      "again.")
    assert limited.stdout == ""

    listed = python_m_rag(env, "docs", "list", "--json")
    assert listed.returncode == 0, listed.stderr
    assert json.loads(listed.stdout) == {"documents": []}
    assert python_m_rag(env, "search", "bridges").stdout.strip() == "No matching passages."

    stored = python_m_rag(env, "ingest", str(folder))
    assert stored.returncode == 0, stored.stderr
    found = python_m_rag(env, "search", "bridges", "--json")
    assert json.loads(found.stdout)["hits"][0]["source"] == str(folder / "b.txt")


def test_a_store_this_user_may_not_write_is_said_in_one_line(tmp_path: Path,
                                                              monkeypatch) -> None:
    """The data folder of whoever set it up: even a search opens the store to lock it. (Root
    writes anywhere, so the refusal the OS gives another user is given here.)"""
    import rag.stores.edge as edge

    def refused(path, *args, **kwargs):
        raise PermissionError(errno.EACCES, "Permission denied", str(path))

    monkeypatch.setattr(edge, "open", refused, raising=False)
    with pytest.raises(ConfigError) as said:
        EdgeClient(tmp_path / "qdrant")
    assert str(said.value) == (f"Cannot open the store in {tmp_path / 'qdrant'} (Permission "
                               "denied): run as the owner of the data folder, or give "
                               "RAG_DATA_DIR a folder you can write to.")


def test_a_store_placed_by_its_own_setting_names_that_setting(tmp_path: Path, monkeypatch,
                                                              embedder) -> None:
    """With RAG_QDRANT_PATH set, changing RAG_DATA_DIR would not move the store."""
    import rag.stores.edge as edge

    def refused(path, *args, **kwargs):
        raise PermissionError(errno.EACCES, "Permission denied", str(path))

    monkeypatch.setattr(edge, "open", refused, raising=False)
    settings = load_settings({"RAG_DATA_DIR": str(tmp_path / "data"),
                              "RAG_QDRANT_PATH": str(tmp_path / "store")}, env_file=None)
    with pytest.raises(ConfigError) as said:
        make_store(settings, embedder)
    assert str(said.value) == (f"Cannot open the store in {tmp_path / 'store'} (Permission "
                               "denied): run as the store's owner, or give RAG_QDRANT_PATH a "
                               "folder you can write to.")


def unprivileged() -> list[str]:
    """A command prefix under which file permissions bind: root writes anywhere, so for root
    the capabilities that let it are dropped."""
    if os.geteuid() != 0:
        return []
    if shutil.which("setpriv") is None:
        pytest.skip("root writes anywhere, and setpriv (to drop that) is not installed")
    dropped = "-dac_override,-dac_read_search"
    return ["setpriv", f"--inh-caps={dropped}", f"--bounding-set={dropped}"]


def run_unprivileged(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*unprivileged(), sys.executable, "-m", "rag", *args],
                          capture_output=True, text=True, timeout=300,
                          env={**os.environ, **env, "PYTHONPATH": str(ROOT)}, check=False)


def local_store_made_read_only(env: dict[str, str], tmp_path: Path, embedder,
                               entry: str) -> Path:
    """A local-mode store holding one document, with `entry` in it (`*` for all) made
    read-only: a store set up by another user, or copied from a read-only medium."""
    unprivileged()  # skips before any work where permissions cannot bind
    settings = load_settings({**env, "RAG_QDRANT_ENGINE": "local"}, env_file=None)
    (tmp_path / "kettle.txt").write_text("The kettle holds 1.7 litres of water.")
    service = build_service(settings, embedder=embedder)
    try:
        service.ingest([tmp_path / "kettle.txt"])
    finally:
        service.close()
    store = settings.resolved_qdrant_path
    for path in store.rglob(entry):
        path.chmod(path.stat().st_mode & ~0o222)
    return store


LOCAL_STORE_ADVICE = ("(Permission denied): run as the owner of the data folder, or give "
                      "RAG_DATA_DIR a folder you can write to.")


@pytest.mark.parametrize("entry", ["*", ".lock", "storage.sqlite"])
def test_a_local_store_this_user_may_not_write_is_said_in_one_line_before_any_work(
        env, tmp_path: Path, embedder, entry: str) -> None:
    store = local_store_made_read_only(env, tmp_path, embedder, entry)
    local = {**env, "RAG_QDRANT_ENGINE": "local"}
    (tmp_path / "toaster.txt").write_text("The toaster has six settings.")
    for command in (["ingest", str(tmp_path / "toaster.txt")], ["search", "kettle"]):
        result = run_unprivileged(local, *command)
        assert result.returncode == 2, result.stderr
        said = result.stderr.strip()
        assert said == f"error: Cannot open the store in {store} {LOCAL_STORE_ADVICE}"


@pytest.mark.slow
def test_the_app_on_a_local_store_this_user_may_not_write_says_so_and_exits(
        env, tmp_path: Path, embedder) -> None:
    store = local_store_made_read_only(env, tmp_path, embedder, "*")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    result = run_unprivileged({**env, "RAG_QDRANT_ENGINE": "local"}, "ui", "--port", str(port))
    assert result.returncode == 2, result.stderr
    assert f"error: Cannot open the store in {store} {LOCAL_STORE_ADVICE}" in result.stderr
    assert "Traceback" not in result.stderr
