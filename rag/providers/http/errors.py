"""A failed response or a broken connection, translated into an `AIError` that says what to do.

`PermanentAIError` for what retrying cannot fix (bad input, credentials, unknown model, context
window); `TransientAIError` for what it may (429, 408, 5xx, timeouts, connection errors). A
provider may pass an `ErrorPolicy` that reads its own error codes first: codes win over HTTP
statuses (Cloudflare's 429 with code 4006 means tomorrow, not in a second).
"""

from __future__ import annotations

import json
import re
import socket
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import httpx

from rag.errors import AIError, PermanentAIError, Refusal, TransientAIError, top_k_name

TRANSIENT_STATUSES = {408, 409, 425, 429}
# a 400 in these words is the context window: vLLM's "This model's maximum context length is
# N tokens", llama.cpp's "the request exceeds the available context size"
CONTEXT_PHRASES = ("maximum context length", "available context size")
HTML_PAGE = "an HTML page"
# a path the server does not serve, in the words of one that answers it with 200 (LM Studio)
UNROUTED_PHRASES = ("unexpected endpoint",)
# a request too large for the model, by kind of call: only the settings that shrink that one
TOO_LARGE_ADVICE = {
    "chat": ("The prompt plus the answer budget is too large for {model} {said}. Lower "
             "{top_k} or RAG_AI_MAX_TOKENS, or set RAG_AI_CONTEXT_WINDOW to the model's "
             "window."),
    "embedding": ("The texts are too large for the embedding model {model} {said}. At "
                  "ingest, lower RAG_CHUNK_TOKENS{or_fewer_items}; for a search, shorten the "
                  "question."),
    "guard": ("The text to check is too large for the safety model {model} {said}. Shorten "
              "the question."),
    "rerank": ("The passages are too large for the reranker {model} {said}. Lower "
               "RAG_CHUNK_TOKENS or {items_setting}, or shorten the question."),
}
# the setting that decides how many items a call of that kind sends, unless the caller says;
# an embedding call names its own (Workers AI takes up to 100 texts a request, whatever is set)
ITEMS_SETTING = {"rerank": "RAG_RERANK_CANDIDATES"}
# what still answers when a remote account has nothing left to spend
USE_LOCAL_MODELS = ("use the local models: RAG_GENERATOR=extractive for answers, "
                    "RAG_EMBEDDER=local (in another RAG_COLLECTION) for embeddings.")


class ModelRefusedError(PermanentAIError):
    """A permanent refusal that concerns one model only (no such model, a licence not yet
    accepted, no permission for it, its context window): retrying it is useless, but another
    model may answer the same question."""


@dataclass(frozen=True)
class FailedCall:
    """A non-2xx answer, parsed, with the sentences every provider's messages share."""

    provider: str
    model: str
    credentials_hint: str  # the settings to check after a 401 or 404
    status: int
    code: int | str | None
    detail: str
    retry_after: float | None = None

    status_given: bool = True  # False: an error event in a stream, read as a 500
    kind: str | None = None  # OpenAI's error `type` ("insufficient_quota"), when given
    call: str = "chat"  # what the call was for (`calllog.CallKind`): its advice differs
    items_setting: str | None = None  # the setting that set how many items were sent
    model_setting: str | None = None  # the settings that name the model called

    @property
    def said(self) -> str:
        where = (f"HTTP {self.status}" if self.status_given else "an error event in the stream"
                 ) + (f", code {self.code}" if self.code is not None else "")
        return f"({where}: {self.detail})"

    @property
    def too_large(self) -> bool:
        lowered = self.detail.lower()
        return self.status == 413 or (
            self.status == 400 and any(phrase in lowered for phrase in CONTEXT_PHRASES))

    @property
    def names_model(self) -> bool:
        """A refusal about the model: Ollama's 404 "model 'x' not found"."""
        lowered = self.detail.lower()
        return "no such model" in lowered or (self.status == 404 and "model" in lowered)

    @property
    def unrouted(self) -> bool:
        """A 404 about the URL itself, not the model, a 405 (a web server that serves pages,
        not an API, refusing the POST), or a body that says the path is not served whatever
        its status (LM Studio's 200)."""
        lowered = self.detail.lower()
        return (self.status == 404 and not self.names_model) or self.status == 405 or any(
            phrase in lowered for phrase in UNROUTED_PHRASES)

    def permanent(self, text: str, refused: Refusal | None = None) -> PermanentAIError:
        return PermanentAIError(text, status=self.status, code=self.code, echoed=self.detail,
                                refused=refused)

    def transient(self, text: str) -> TransientAIError:
        return TransientAIError(text, status=self.status, code=self.code,
                                retry_after=self.retry_after, echoed=self.detail)

    def reported(self) -> PermanentAIError:
        """A 200 that says it failed, with a code no policy reads: what it says, as it says it."""
        code = f" (code {self.code})" if self.code is not None else ""
        return self.permanent(f"{self.provider} reported a failure for {self.model}: "
                              f"{self.detail}{code}.")

    def bad_credentials(self) -> PermanentAIError:
        return self.permanent(f"{self.provider} rejected the credentials {self.said}. "
                              f"Check {self.credentials_hint}.", refused="credentials")

    def refused_model(self, text: str, refused: Refusal | None = None) -> ModelRefusedError:
        return ModelRefusedError(text, status=self.status, code=self.code, echoed=self.detail,
                                 refused=refused)

    def context_too_large(self) -> ModelRefusedError:
        """The request is larger than the model takes, with the settings that shrink it for
        this kind of call."""
        advice = TOO_LARGE_ADVICE.get(self.call, TOO_LARGE_ADVICE["chat"])
        items_setting = self.items_setting or ITEMS_SETTING.get(self.call, "")
        # a server may cap the texts a request below what the model reads: fewer help then
        or_fewer_items = (f", or {items_setting} when the server caps the texts a request"
                          if items_setting else "")
        return self.refused_model(advice.format(model=self.model, said=self.said,
                                                items_setting=items_setting,
                                                or_fewer_items=or_fewer_items,
                                                top_k=top_k_name()))

    def no_such_model(self) -> ModelRefusedError:
        where = self.model_setting or "your settings"
        return self.refused_model(f"{self.provider} has no model {self.model!r} {self.said}. "
                                  f"Check the model name in {where}.")

    def no_route(self) -> PermanentAIError:
        return self.permanent(f"{self.provider} could not route the request {self.said}. "
                              f"Check the account id and base URL ({self.credentials_hint}).")

    def forbidden(self, *, this_model_only: bool = False) -> PermanentAIError:
        """A 403; `this_model_only` when its code names the model (its licence, a private
        model) rather than the token or the account."""
        text = (f"{self.provider} does not allow this account to use {self.model} {self.said}. "
                "Check the token's permissions and any model licence that must be accepted "
                "first.")
        if this_model_only:
            return self.refused_model(text, refused="model")
        return self.permanent(text, refused="credentials")


#: A provider's reading of its own error codes; None leaves the call to the HTTP status.
ErrorPolicy = Callable[[FailedCall], AIError | None]

#: The settings that name a model called for a kind of call (`calllog.CallKind`), as advice
#: says them ("RAG_WORKERS_AI_CHAT_MODEL"); None when no setting is known to.
ModelSettings = Callable[[str, str], str | None]


def model_settings(settings: Any, fields_by_kind: Mapping[str, Sequence[str]]) -> ModelSettings:
    """The settings among a kind's `fields` whose value names the model: a mistyped name is
    in the one it was typed in. When none holds it, the kind's first field, the usual one."""

    def naming(model: str, kind: str) -> str | None:
        fields = fields_by_kind.get(kind, ())
        holding = [field for field in fields if model in _names(getattr(settings, field, None))]
        chosen = [f"RAG_{field.upper()}" for field in holding or fields[:1]]
        if len(chosen) < 2:
            return chosen[0] if chosen else None
        return f"{', '.join(chosen[:-1])} or {chosen[-1]}"

    return naming


def _names(value: Any) -> list[str]:
    """A model setting's names: one, or a list (the fallbacks, the consensus models)."""
    if isinstance(value, str):
        return [value]
    return [name for name in value or () if isinstance(name, str)]


def parse_error_body(text: str) -> tuple[int | str | None, str, str | None]:
    """(code, message, OpenAI's error `type` if any) from a Cloudflare v4 envelope, a gateway
    `error` list, or OpenAI style (whose `type`, "insufficient_quota", some servers send
    without a code)."""
    try:
        data = json.loads(text)
    except (ValueError, TypeError):
        return None, _plain_detail(text), None
    if not isinstance(data, dict):
        return None, text.strip()[:300], None
    errors = data.get("errors") or data.get("error")
    entry: Any = errors[0] if isinstance(errors, list) and errors else errors
    if isinstance(entry, dict):
        code = entry.get("code", data.get("internalCode"))
        message = str(entry.get("message") or data.get("message") or "")
        param = entry.get("param")  # OpenAI's name of the field refused, said apart
        if isinstance(param, str) and param and param not in message:
            message = f"{message.rstrip('.')} ({param})." if message else param
        kind = entry.get("type")
        code = _normalise_code(code)
        return code, _clean_message(message, code), kind if isinstance(kind, str) else None
    if isinstance(entry, str):  # Ollama: {"error": "model 'x' not found"}
        return None, _clean_message(entry), None
    if "message" in data:
        code = _normalise_code(data.get("code"))
        return code, _clean_message(str(data["message"]), code), None
    return None, text.strip()[:300], None


def _plain_detail(text: str) -> str:
    """A body that is not JSON, quoted short; a whole web page (a proxy's or a wrong route's
    error page) only named, since its markup says nothing to the reader."""
    head = text.lstrip()[:2000].lower()
    if head.startswith("<!doctype") or "<head" in head or "<body" in head:
        return HTML_PAGE
    return text.strip()[:300]


def reports_failure(data: Any) -> bool:
    """A 200 whose v4 envelope says `success: false`, or whose body is an error object in
    place of an answer (LM Studio's for a path it does not serve): an error all the same,
    read by its code as the same code with an error status would be."""
    if not isinstance(data, dict):
        return False
    if data.get("success") is False:
        return True
    return bool(data.get("error")) and not data.get("choices") and not (
        "data" in data or "response" in data)


def redirected(status: int, location: str, *, provider: str, model: str, url_hint: str,
               sent_to: str = "", base_url: str = "") -> PermanentAIError:
    """A 3xx: redirects are not followed (a credential must not go where it was not sent),
    so the base URL itself is wrong, which no retry fixes. The advice is the base URL that
    reaches the address redirected to, when that address is the request's on another base
    (https for http, a /v1 added): the address itself would get the route added twice."""
    where = f" to {location}" if location else ""
    moved = moved_base(base_url, sent_to, location)
    fix = (f"set {url_hint} to {moved}" if moved
           else f"fix {url_hint} to the address it redirects to")
    return PermanentAIError(
        f"{provider} redirected the request for {model} (HTTP {status}{where}). Redirects are "
        f"not followed: {fix}.", status=status)


def moved_base(base_url: str, sent_to: str, location: str) -> str | None:
    """The base URL whose requests go where `location` sent the one to `sent_to`: the
    location without the route the request added to `base_url` (`/chat/completions`); None
    when it does not end with that route, or the request was not made on `base_url`."""
    try:
        base, sent = httpx.URL(base_url), httpx.URL(sent_to)
        target = sent.join(location)
    except (httpx.InvalidURL, TypeError):
        return None
    base_path = base.path.rstrip("/")
    route = sent.path[len(base_path):]
    if not (base_url and location and (sent.scheme, sent.netloc) == (base.scheme, base.netloc)
            and sent.path.startswith(base_path) and route and target.path.endswith(route)
            and not target.query):
        return None
    return str(target.copy_with(path=target.path[:-len(route)] or "/", userinfo=b"",
                                fragment=None)).rstrip("/")


def _normalise_code(code: Any) -> int | str | None:
    if isinstance(code, bool) or code is None:
        return None
    if isinstance(code, int):
        return code
    text = str(code).strip()
    return int(text) if text.isdigit() else (text or None)


def _clean_message(message: str, code: int | str | None = None) -> str:
    """Drop the repeated 'AiError: ' prefixes Workers AI puts on its messages, and the code
    it repeats after them ("AiError: 3040: Capacity ..."), said beside the message anyway."""
    message = re.sub(r"^(AiError:\s*)+", "", message.strip())
    if code is not None:
        message = message.removeprefix(f"{code}:").lstrip() or message
    return message


def map_status_error(
    status: int | None, body: str, *, provider: str, model: str, credentials_hint: str,
    retry_after: float | None = None, policy: ErrorPolicy | None = None, call: str = "chat",
    items_setting: str | None = None, model_setting: str | None = None,
) -> AIError:
    """Classify a non-2xx response, a 200 whose envelope says `success: false`, or an error
    event in a stream (`status` None when the event gave none: read as a 500, and not said to
    be one): the provider's policy first, then the HTTP status. `call` is the kind of call
    (`calllog.CallKind`), whose advice a request too large gets, naming `items_setting` as
    the setting that set how many items it sent (the kind's usual one when None);
    `model_setting` names the settings to fix when the model is unknown."""
    code, detail, kind = parse_error_body(body)
    given = status is not None
    status = status if status is not None else 500
    failed = FailedCall(provider, model, credentials_hint, status, code,
                        detail or httpx.codes.get_reason_phrase(status) or "no detail",
                        retry_after, status_given=given, kind=kind, call=call,
                        items_setting=items_setting, model_setting=model_setting)
    error = policy(failed) if policy is not None else None
    if error is not None:
        return error
    if status < 300:
        return failed.reported()
    if status == 401:
        return failed.bad_credentials()
    if failed.too_large:
        return failed.context_too_large()
    if failed.names_model:
        return failed.no_such_model()
    if failed.unrouted:
        return failed.no_route()
    if status == 403:
        return failed.forbidden()
    if status in TRANSIENT_STATUSES or status >= 500:
        kind = {429: "is rate limiting requests", 408: "timed out"}.get(status, "failed")
        return failed.transient(f"{provider} {kind} for {model} {failed.said}.")
    return failed.permanent(f"{provider} rejected the request for {model} as invalid "
                            f"{failed.said}.")


def map_transport_error(exc: httpx.HTTPError, *, provider: str, model: str,
                        url_hint: str = "the base URL") -> TransientAIError:
    """Timeouts and broken connections are worth retrying; say which one it was."""
    if isinstance(exc, httpx.TimeoutException):
        text = (f"{provider} did not answer in time for {model} ({type(exc).__name__}). "
                "Try again, or raise RAG_AI_READ_TIMEOUT_SECONDS.")
    elif isinstance(exc, httpx.ConnectError):
        text = f"Could not connect to {provider} for {model} ({exc}). " + unreached(exc, url_hint)
    else:
        text = (f"The connection to {provider} broke while calling {model} "
                f"({type(exc).__name__}: {exc}).")
    return TransientAIError(text)


def unreached(exc: httpx.ConnectError, url_hint: str) -> str:
    """What to check when no connection was made: a refusal means nothing listens at that
    host and port (a server not started, a wrong port); a name not found, a mistyped host."""
    try:
        server = str(exc.request.url.copy_with(userinfo=b"", path="/", query=None,
                                               fragment=None)).rstrip("/")
    except RuntimeError:  # an error raised without its request
        server = ""
    if server and _caused_by(exc, ConnectionRefusedError):
        return f"Nothing listens at {server}: start the server there, or fix {url_hint}."
    if server and _caused_by(exc, socket.gaierror):
        return f"The host of {server} was not found: check {url_hint} for a mistyped name."
    return f"Check {url_hint}."


def _caused_by(exc: BaseException, kind: type[BaseException]) -> bool:
    cause: BaseException | None = exc
    while cause is not None:
        if isinstance(cause, kind):
            return True
        cause = cause.__cause__ or cause.__context__
    return False


class NoTextInTime(httpx.ReadTimeout):
    """A stream that sent bytes (comments, events without text) but no text in time: read
    as a read timeout, which httpx alone would not raise while any byte arrives."""


def map_stream_error(exc: httpx.HTTPError, *, provider: str, model: str) -> TransientAIError:
    """A stream that broke after it had opened: the reason is shown inside the answer."""
    text = ("no new token arrived in time" if isinstance(exc, httpx.TimeoutException)
            else "the connection closed mid-answer")
    return TransientAIError(f"{text} ({provider}, {model})")
