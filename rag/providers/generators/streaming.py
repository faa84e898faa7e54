"""Turn a chat event stream into answer text, with model fallback and visible interruptions.

Both providers use this. Events come in two shapes and may be mixed:

* Workers AI: `{"response": "tok", "p": "abc..."}` and a final `{"response": "", "usage": {...}}`;
* OpenAI-style: `{"choices": [{"delta": {"content": "tok"}, "finish_reason": null}]}`, ended
  by a finish_reason (some servers put usage on every chunk, so usage ends nothing here).

A candidate that fails before its first word (transient error after its retries, a stream
breaking early, or a refusal that concerns that model only: no such model, its licence, its
context window) hands over to the next candidate; a reasoning model's leading think block,
which is never shown, is no word. A refusal that any model would meet (the
credentials, the route, a bad body, the daily allocation) ends the chain at once. Once tokens
have been shown nothing can be taken back, so a later failure ends the answer with
"[answer interrupted: <reason>]". An answer ended at the token budget (finish_reason "length",
or, in a native stream that names no reason, completion_tokens reaching max_tokens), cut by
the server for another reason ("content_filter"), or with no visible text is kept as it came,
with a notice that keeps it out of the answer cache.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from rag.errors import (
    AIError,
    PermanentAIError,
    ReaderGone,
    TransientAIError,
    first_sentence,
    reader_left,
)
from rag.providers.generators.thinking import OPENED_BY_TEMPLATE, LeadingThink
from rag.providers.http.calllog import CallStats
from rag.providers.http.client import AIHttp
from rag.providers.http.deadline import SHORTEST_TRY_SECONDS, question_seconds_left
from rag.providers.http.errors import ModelRefusedError
from rag.providers.http.sse import carries_reasoning, delta_of, ends_answer, finish_reason
from rag.text.tokens import estimate_tokens
from rag.types import GenerationRecord


@dataclass(frozen=True)
class Candidate:
    """One model to try: where to send what, and how its prompt was fitted."""

    model: str
    url: str
    body: dict[str, Any]
    endpoint: str
    headers: dict[str, str] = field(default_factory=dict)
    passages_used: int | None = None
    estimated_prompt_tokens: int | None = None
    flagged_passages: dict[int, list[str]] = field(default_factory=dict)  # for the call log


class _FallBack(Exception):
    """A candidate failed before its first token: the next one may answer instead."""

    def __init__(self, error: AIError) -> None:
        super().__init__(str(error))
        self.error = error


_SURROGATE = re.compile("[\ud800-\udfff]")
REPLACEMENT = "\ufffd"


def joined_deltas(
    events: Iterable[Mapping[str, Any]],
) -> Iterator[tuple[Mapping[str, Any], str]]:
    """Each event with its text, whole characters only. A server that counts in UTF-16
    (JavaScript's JSON.stringify) can cut an emoji between two events as `\\ud83c` and
    `\\udf0b`: the halves are joined, and a half left alone becomes U+FFFD, since a lone
    surrogate cannot be encoded to be shown, stored or sent."""
    held = ""
    for event in events:
        text = held + delta_of(event)
        held = text[-1] if text and "\ud800" <= text[-1] <= "\udbff" else ""  # its pair may follow
        yield event, whole_characters(text[:len(text) - len(held)])
    if held:
        yield {}, REPLACEMENT


def whole_characters(text: str) -> str:
    """`text` with its surrogate pairs joined and any lone surrogate replaced by U+FFFD."""
    if not _SURROGATE.search(text):
        return text
    return text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")


EMPTY_ANSWER = "the model returned an empty answer"
# a token of a Llama, Mistral or Qwen vocabulary holds 4 or 5 bytes of English on average,
# fewer than this however long (a run of spaces, a long word)
OVERRUN_BYTES_PER_TOKEN = 32
# finish reasons of an answer that came to its end (None: a Workers AI stream names none);
# "length" has a notice of its own, and any other reason means the answer was cut
ENDED_WHOLE = frozenset({None, "stop", "eos", "end_turn", "stop_sequence"})

#: (model, the usage the model reported, the neurons a header reported) -> neurons, or None
Pricer = Callable[[str, Mapping[str, Any] | None, float | None], float | None]


def stream_answer(
    http: AIHttp,
    candidates: Sequence[Candidate],
    record: GenerationRecord,
    pricer: Pricer | None = None,
    reader_gone: threading.Event | None = None,
) -> Iterator[str]:
    """Yield the answer from the first candidate that produces one, without a reasoning
    model's leading think block; fill `record`. Once `reader_gone` is set no candidate is
    tried, or retried, for nobody (`ReaderGone`)."""
    visible = False
    for text in _first_answer(http, candidates, record, pricer, reader_gone):
        visible = visible or not text.isspace()
        yield text
    if not visible and record.notice is None:  # white space alone, or a think block alone
        record.notice = EMPTY_ANSWER


def _first_answer(
    http: AIHttp,
    candidates: Sequence[Candidate],
    record: GenerationRecord,
    pricer: Pricer | None,
    reader_gone: threading.Event | None,
) -> Iterator[str]:
    # the deadline is the question's: fallback models share what the models before them left,
    # so a chain of hung models degrades within one deadline, not one each
    clock, deadline = http.policy.clock, http.policy.deadline
    ends_at = clock() + deadline
    failures: list[tuple[str, AIError]] = []
    for candidate in candidates:
        check_reader(reader_gone)
        record.fell_back = bool(failures)
        question_left = question_seconds_left()
        left = ends_at - clock() if question_left is None else min(ends_at - clock(),
                                                                   question_left)
        # a fallback given less than a try's time could not answer even when up: it is not
        # asked, and so does not trip its breaker for the time the models before it spent
        if failures and left < SHORTEST_TRY_SECONDS:
            failures.append((candidate.model, out_of_time(deadline)))
            continue
        try:
            yield from _one_candidate(http, candidate, record, pricer, reader_gone, left)
        except _FallBack as fall:
            failures.append((candidate.model, fall.error))
            continue
        return
    check_reader(reader_gone)  # not the last resort's answer either, for nobody
    if not failures:
        raise PermanentAIError("No model is configured to answer.")
    if len(failures) == 1:
        raise failures[0][1]
    raise every_model_failed(failures)


def out_of_time(deadline: float) -> TransientAIError:
    """Why a fallback model was not asked: the models before it spent the question's time."""
    return TransientAIError(
        f"not asked: the models before it spent the question's {deadline:g} s "
        "(RAG_AI_DEADLINE_SECONDS).", code="deadline_spent")


def check_reader(reader_gone: threading.Event | None) -> None:
    """Raise `ReaderGone` once nobody reads the answer any more."""
    if reader_left(reader_gone):
        raise ReaderGone


def every_model_failed(failures: Sequence[tuple[str, AIError]]) -> AIError:
    """One error for a chain where every model failed: each model's reason, the most telling
    first (it survives a notice cut short), and that one's kind, status and code."""
    lead = most_telling(failures)
    ordered = [failures[lead], *failures[:lead], *failures[lead + 1:]]
    tried = "; ".join(f"{model}: {exc}" for model, exc in ordered)
    chosen = failures[lead][1]
    return type(chosen)(f"No model could answer. {tried}", status=chosen.status,
                        code=chosen.code, retry_after=chosen.retry_after, failures=ordered)


def most_telling(failures: Sequence[tuple[str, AIError]]) -> int:
    """The index of the failure that says most: a model out of capacity or down (the usual
    cause, and one that passes) before a model that refused for its own reasons (a fallback
    whose licence was never accepted), the earlier model first."""
    return next((n for n, (_, exc) in enumerate(failures)
                 if isinstance(exc, TransientAIError)), 0)


def _one_candidate(
    http: AIHttp, candidate: Candidate, record: GenerationRecord, pricer: Pricer | None,
    reader_gone: threading.Event | None, within: float | None = None,
) -> Iterator[str]:
    """Stream one model, without its leading think block; raises `_FallBack` when it failed
    before saying anything the reader sees (a think block is not)."""
    think = LeadingThink(opened=bool(OPENED_BY_TEMPLATE.search(candidate.model)))
    arrived = False  # any text, a think block's included
    produced = False  # text shown to the reader
    complete = False
    reason: str | None = None
    usage: dict[str, Any] | None = None
    failed: AIError | None = None
    streamed: list[str] = []  # what arrived: priced when the stream never says its usage
    streamed_bytes, overrun = 0, overrun_bytes(candidate)
    with http.call(model=candidate.model, endpoint=candidate.endpoint, kind="chat") as stats:
        stats.flagged_passages = candidate.flagged_passages or None
        try:
            try:
                events = joined_deltas(http.stream_events(
                    candidate.url, candidate.body, stats, headers=candidate.headers,
                    reader_gone=reader_gone, within=within,
                ))
                for event, delta in events:
                    # a draft read whole (consensus, a held answer) stops here too
                    check_reader(reader_gone)
                    complete = complete or ends_answer(event)
                    reason = finish_reason(event) or reason
                    if isinstance(event.get("usage"), dict):
                        usage = dict(event["usage"])
                    if carries_reasoning(event):
                        think.reasoned_apart()
                    if delta:
                        if not arrived:
                            arrived = True
                            stats.mark_first_token()
                        streamed.append(delta)
                        shown = think.feed(delta)
                        if shown:
                            produced = True
                            record.model = candidate.model
                            yield shown
                        streamed_bytes += len(delta.encode("utf-8", "replace"))
                        if overrun is not None and streamed_bytes > overrun:
                            events.close()  # and with it the server's stream
                            complete, reason = True, "length"
                            break
                # a reader's leaving shuts the connection (`cut_when_gone`), which ends a body
                # sent without chunks as if the server had: the reader left, the model is
                # not to blame
                check_reader(reader_gone)
            except GeneratorExit:  # the reader stopped the answer: what it cost still counts
                _fill_usage(record, candidate, stats, usage, pricer, streamed)
                raise
            except ReaderGone:  # so does a stream it left open, not a call that never answered
                if stats.status is not None and stats.status < 400:
                    _fill_usage(record, candidate, stats, usage, pricer, streamed)
                raise
            finally:
                record.attempts += stats.attempts
            if not (stats.done or complete):
                raise TransientAIError(
                    f"the stream ended without finishing ({http.provider}, {candidate.model})"
                )
        except AIError as exc:
            held = think.broken_off()
            if held:  # an answer held for a closing tag: what it said stands
                produced = True
                record.model = candidate.model
                yield held
            if produced:
                stats.fail(exc, outcome="interrupted")
                notice = f"answer interrupted: {first_sentence(exc, limit=160)}"
                record.notice = notice
                record.interrupted = True
                _fill_usage(record, candidate, stats, usage, pricer, streamed)
                yield f"\n\n[{notice}]"
                return
            if isinstance(exc, PermanentAIError) and not isinstance(exc, ModelRefusedError):
                raise  # every model would be refused the same way: say so at once
            stats.fail(exc)
            failed = exc
        else:
            record.model = candidate.model
            rest = think.finish()
            if rest:
                yield rest
            if not arrived:
                record.notice = EMPTY_ANSWER
            elif reason == "length" or (reason is None and reached_limit(candidate, usage)):
                record.notice = cut_at_limit(candidate)
            elif reason not in ENDED_WHOLE:
                record.notice = ended_early(reason)
            _fill_usage(record, candidate, stats, usage, pricer, streamed)
    if failed is not None:  # raised here, so that the call is logged with its own error
        raise _FallBack(failed) from failed


def ended_early(reason: str) -> str:
    """The notice for an answer a server ended for another reason than its end: its content
    filter (OpenAI's and Azure's "content_filter") or a tool call nobody offered."""
    if reason == "content_filter":
        return "answer cut short by the server's content filter"
    return f"the answer ended early (finish_reason {reason!r})"


def cut_at_limit(candidate: Candidate) -> str:
    """The notice for an answer the model stopped at its token budget."""
    limit = candidate.body.get("max_tokens")
    budget = f"{limit} tokens, " if limit else ""
    return f"answer cut at the token limit ({budget}RAG_AI_MAX_TOKENS)"


def overrun_bytes(candidate: Candidate) -> int | None:
    """How much text a model asked for `max_tokens` tokens cannot have written within them
    (no token holds OVERRUN_BYTES_PER_TOKEN bytes of UTF-8): past it, the server ignores the
    limit, and the answer is ended there as if the model had reached it."""
    limit = _count(candidate.body.get("max_tokens"))
    return limit * OVERRUN_BYTES_PER_TOKEN if limit else None


def reached_limit(candidate: Candidate, usage: Mapping[str, Any] | None) -> bool:
    """Whether the reported usage says the model spent its whole token budget: how a native
    Workers AI stream, which names no finish_reason, shows an answer cut at the limit."""
    limit = _count(candidate.body.get("max_tokens"))
    spent = _count((usage or {}).get("completion_tokens"))
    return limit is not None and spent is not None and spent >= limit


def _fill_usage(
    record: GenerationRecord, candidate: Candidate, stats: CallStats,
    usage: Mapping[str, Any] | None, pricer: Pricer | None, streamed: Sequence[str],
) -> None:
    """The record's tokens as reported, and the call's neurons: priced, where the stream
    reported no token counts (cut, stopped, or a server that sends none), from the prompt's
    estimate and the text that arrived."""
    usage = usage or {}
    record.prompt_tokens = _count(usage.get("prompt_tokens"))
    record.completion_tokens = _count(usage.get("completion_tokens"))
    record.passages_used = candidate.passages_used
    record.estimated_prompt_tokens = candidate.estimated_prompt_tokens
    if stats.cache_status == "HIT":
        stats.neurons = 0.0  # answered by AI Gateway's cache: no inference, no neurons
    elif pricer is not None:
        priced = {k: v for k, v in usage.items() if v is not None}
        if priced.get("prompt_tokens") is None:
            priced["prompt_tokens"] = candidate.estimated_prompt_tokens
        if priced.get("completion_tokens") is None:  # counted only when nothing said it
            priced["completion_tokens"] = estimate_tokens("".join(streamed))
        stats.neurons = pricer(candidate.model, priced, stats.reported_neurons)
    elif stats.reported_neurons is not None:
        stats.neurons = stats.reported_neurons
    record.neurons = stats.neurons
    record.cache_status = stats.cache_status
    record.gateway_log_id = stats.gateway_log_id


def _count(value: Any) -> int | None:
    return int(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None

