"""The engine: the one process that owns the store, the models and the caches.

The chat (ui/), the HTTP API (`engine.api`) and the `rag` command are its doors. It opens at
start-up, before the first browser arrives; the API and every chat session share it. It
announces itself in `<data dir>/server.json` so that `rag` commands run while it is up go
through its API instead of opening the embedded store a second time.
"""

from __future__ import annotations

import hmac
import logging
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from ingest import loaders
from ingest.parse_ahead import SourceFile
from ingest.pipeline import FileResult
from rag.engine import discovery
from rag.engine.access import ApiKeys, Caller, RateLimits, browser_refusal, is_loopback, retry_after
from rag.engine.discovery import EngineAddress
from rag.engine.jobs import (
    IngestJob,
    IngestJobs,
    browser_filename,
    no_room_for,
    over_upload_limit,
    spool_path,
    unnameable,
)
from rag.engine.telemetry import Telemetry
from rag.engine.workspace import MB, UploadLike, Workspace
from rag.errors import CollectionBusy, Forbidden, RateLimited, Unauthorized
from rag.providers.http.breaker import breakers_for
from rag.service import build_service
from rag.settings import Settings
from rag.text.controls import escaped_controls
from rag.types import LOCAL_USER, counted

_running: Engine | None = None


def running_engine() -> Engine | None:
    """The engine this process opened at start-up (the chat pages use it), if any."""
    return _running


class Engine:
    """The workspace, its ingest queue, who may call and how often, and its metrics.

    Usage:
        engine = Engine.open(load_settings())
        engine.announce("http://127.0.0.1:8501")
        ...
        engine.close()
    """

    def __init__(self, workspace: Workspace, keys: ApiKeys, limits: RateLimits,
                 telemetry: Telemetry) -> None:
        self.workspace = workspace
        self.settings = workspace.settings
        self.keys = keys
        self.limits = limits
        self.telemetry = telemetry
        self.jobs = IngestJobs(workspace, on_report=telemetry.observe_ingest)
        self.address: EngineAddress | None = None
        # answers stream on threads of their own: a slow model must not hold the server's
        # small default pool that also serves the chat's files
        self.answer_threads = ThreadPoolExecutor(max_workers=128,
                                                 thread_name_prefix="rag-answer")
        self._ai_calls = telemetry.ai_call_handler()
        logging.getLogger("rag.ai").addHandler(self._ai_calls)
        workspace.metrics.subscribe(telemetry.observe_answer)
        self.breakers = breakers_for(workspace.settings)
        telemetry.watch(workspace.metrics, self.breakers)

    @classmethod
    def open(cls, settings: Settings, **parts: object) -> Engine:
        """Build the service (parts as `build_service` takes them) and everything around it."""
        keys = ApiKeys.from_settings(settings)  # first: a bad keys file leaves nothing open
        limits = RateLimits.from_settings(settings)
        workspace = Workspace(build_service(settings, **parts))  # type: ignore[arg-type]
        try:
            workspace.service.embedder.keep_ready_for_questions()
            return cls(workspace, keys, limits, Telemetry())
        except BaseException:  # the store stays locked until closed
            workspace.close()
            raise

    def announce(self, url: str) -> EngineAddress:
        """Write server.json and become this process's running engine."""
        global _running
        self.address = discovery.announce(self.settings.data_dir, url)
        _running = self
        return self.address

    # --- who may call ----------------------------------------------------------------------
    def caller(self, token: str | None, client_host: str | None, *, host: str | None = None,
               origin: str | None = None) -> Caller:
        """The caller a request's bearer token and address make, or the reason it is refused.

        The engine's own token is the `rag` command on this machine, `local` as it is without
        an engine; an API key names its user; with no keys configured, loopback clients are let
        in as `local` too, whatever token they send (OpenAI's SDK always sends one), when the
        request names this machine (`host`, its Host header) and comes from no other site's
        page (`origin`, its Origin header): `browser_refusal`.
        """
        if (token and self.address is not None and is_loopback(client_host)
                and hmac.compare_digest(token.encode(), self.address.token.encode())):
            # bytes: a header may be non-ASCII. Never from another machine: the token is the
            # `rag` command's here, and a copy carried elsewhere is no key
            return Caller(LOCAL_USER, trusted=True)
        if self.keys.configured:
            if not token:
                raise Unauthorized("This engine needs an API key: send Authorization: Bearer "
                                   "KEY (keys come from RAG_API_KEYS or the keys file).")
            user = self.keys.user_of(token)
            if user is None:
                raise Unauthorized("The API key is not valid. Check the Authorization: Bearer "
                                   "header against RAG_API_KEYS or the keys file.")
            return Caller(user)
        if not is_loopback(client_host):
            raise Forbidden("With no API keys configured the API answers this machine only. "
                            "Set RAG_API_KEYS (or add keys with `rag keys add USER`) to let "
                            "other machines in.")
        refused = browser_refusal(host, origin)
        if refused is not None:
            raise Forbidden(refused)
        return Caller(LOCAL_USER)

    def may_edit(self, user: str) -> bool:
        """Whether `user` may change the library (RAG_EDITORS)."""
        editors = self.settings.editors
        return not editors or user in editors

    def check_may_edit(self, caller: Caller) -> None:
        """Forbidden unless the caller may change the library."""
        if not caller.trusted and not self.may_edit(caller.user):
            raise Forbidden(f"{caller.user} may ask, search and list documents, not change the "
                            "library: only the users RAG_EDITORS names may.")

    def admit(self, user: str, door: str) -> None:
        """Count a question against the user's limit, or raise RateLimited."""
        wait = self.limits.admit(user)
        if wait:
            self.telemetry.rate_limited.labels(door).inc()
            limit = self.limits.per_minute
            # the Retry-After header's whole seconds, so that the two never disagree
            raise RateLimited(f"You have asked {counted(limit, 'question')} in the last "
                              f"minute; ask again in {retry_after(wait)} s "
                              "(RAG_RATE_LIMIT_PER_MINUTE).", wait)

    def submit_uploads(self, collection: str, uploads: Iterable[UploadLike], *,
                       user: str) -> IngestJob:
        """Queue the chat's uploads: a file over RAG_UPLOAD_MAX_MB or of a type no loader reads
        is refused before it is read (the chat's uploader takes every type, so that each file
        picked is in the report); the others are spooled to disk for the ingest worker."""
        limit_mb = self.settings.upload_max_mb
        made = self.workspace.made(collection)  # the collection chosen, not one made again
        with self.jobs.spool() as (job_id, folder):
            files, refused = [], []
            for place, upload in enumerate(uploads):
                name = browser_filename(upload.name)
                if refusal := unnameable(name):  # refused as the API refuses it
                    refused.append((place, FileResult(f"upload:{escaped_controls(name)}",
                                                      "failed", error=refusal)))
                    continue
                if upload.size > limit_mb * MB:
                    refused.append((place, FileResult(f"upload:{name}", "failed", error=(
                        over_upload_limit(name, upload.size, limit_mb * MB)))))
                    continue
                if not loaders.is_supported(Path(name)):  # the reason names the types read
                    refused.append((place, FileResult(f"upload:{name}", "failed", error=str(
                        loaders.refusal(Path(name), upload.size)))))
                    continue
                if no_room := no_room_for(folder, upload.size):
                    refused.append((place, FileResult(f"upload:{name}", "failed",
                                                      error=f"{name}: not stored: {no_room}")))
                    continue
                path = spool_path(folder, len(files), name)
                path.write_bytes(upload.getvalue())
                files.append(SourceFile(path, f"upload:{name}"))
            return self.jobs.submit(collection, files, user=user, job_id=job_id,
                                    spool=folder, refused=refused, made=made)

    def delete_collection(self, name: str) -> None:
        """Delete a collection and its documents, unless an ingest into it is under way."""
        if self.jobs.busy_with(name):
            raise CollectionBusy(f"An ingest into '{name}' is under way; delete the collection "
                                 "once it has ended.")
        self.workspace.delete_collection(name)

    def close(self) -> None:
        """Stop taking ingests, let the running one stop cleanly, then close everything."""
        global _running
        self.jobs.close()
        self.answer_threads.shutdown(wait=False, cancel_futures=True)
        logging.getLogger("rag.ai").removeHandler(self._ai_calls)
        if self.address is not None:
            discovery.withdraw(self.settings.data_dir, self.address)
        if _running is self:
            _running = None
        self.workspace.close()
