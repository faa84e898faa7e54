"""Shared state (Redis) when it fails: a Redis that stops answering is asked once per outage
window, not once per read; a Redis that refuses us is a setting to fix; values that are not
ours are ignored; and neither the ledger nor /metrics makes other requests wait on Redis."""

from __future__ import annotations

import inspect
import logging
import signal
import socket
import threading
import time
from pathlib import Path

import httpx
import pytest
import redis

from rag.answering.budget import Budgets, Spending, utc_day
from rag.app.context import request_scope
from rag.app.logs import LedgerHandler
from rag.app.metrics import Metrics
from rag.engine.access import RateLimits
from rag.engine.api.app import metrics_endpoint
from rag.errors import ConfigError
from rag.providers.http.breaker import PREFIX, Breakers
from rag.providers.state import DiskState, RedisState, shared_state
from rag.settings import load_settings
from tests.redis_server import redis_server
from tests.test_engine_doors import served  # noqa: F401 - the fixture


class SilentRedis:
    """A listening socket that accepts connections and never answers, counting them: what a
    stopped Redis (SIGSTOP) or a network partition looks like to a client."""

    def __init__(self) -> None:
        self.listener = socket.socket()
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(64)
        self.accepted: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.listener.getsockname()[1]}/0"

    def _accept(self) -> None:
        while True:
            try:
                connection, _ = self.listener.accept()
            except OSError:
                return
            self.accepted.append(connection)

    def close(self) -> None:
        self.listener.close()
        for connection in self.accepted:
            connection.close()


@pytest.fixture
def silent():
    server = SilentRedis()
    yield server
    server.close()


def test_a_silent_redis_is_asked_once_per_outage_not_once_per_read(silent, caplog) -> None:
    state = RedisState(silent.url)
    reads = [state.get("breaker:model"), state.incr("spend:alice", 3.0, 60),
             state.add("probe", 1, 30), state.items("breaker:")]
    state.set("breaker:model", {"until": 1}, 60)
    assert reads == [None, 3.0, True, {}]  # as if nothing were stored
    assert len(silent.accepted) == 1, "each read waited out its own timeout"
    assert caplog.text.count("shared state unavailable") == 1
    state.close()


def test_redis_is_asked_again_once_the_outage_window_is_over(silent) -> None:
    state = RedisState(silent.url)
    now = [0.0]
    state.outage.clock = lambda: now[0]
    state.get("x")
    state.get("x")
    assert len(silent.accepted) == 1
    now[0] += state.outage.seconds + 0.1
    state.get("x")
    assert len(silent.accepted) == 2
    state.close()


def test_rate_limits_skip_a_silent_redis_for_the_outage_window(silent, caplog) -> None:
    limits = RateLimits(1, silent.url)
    assert [limits.admit("frank") for _ in range(4)] == [0, 0, 0, 0]
    assert len(silent.accepted) == 1
    assert caplog.text.count("rate limits unavailable") == 1


def test_a_budget_holds_on_the_engines_own_record_while_redis_is_out(silent,
                                                                    tmp_path: Path) -> None:
    metrics = Metrics(tmp_path / "metrics.sqlite3")
    state = RedisState(silent.url)
    budgets = Budgets(state, 10, recorded=metrics.neurons_spent)
    spending = Spending(metrics, budgets)
    try:
        with request_scope("bob") as scope:  # spent while Redis does not answer
            spending.on_ai_call({"kind": "chat", "model": "m", "neurons": 12.0}, scope)
        assert state.outage.skipping()  # Redis read as nothing spent...
        assert budgets.spent("bob") == 12.0  # ...but this engine saw the spend
        assert "You have used today's budget of 10 neurons (12.0 spent)" in (
            budgets.refusal("bob") or "")
        assert budgets.refusal("alice") is None
    finally:
        state.close()
        metrics.close()


def test_replicas_restore_a_days_spend_that_redis_lost_in_a_restart(tmp_path: Path) -> None:
    """What a restart without persistence leaves: the day's counts gone. The replica that
    saw the larger spend writes it back, and the others then count it too."""
    with redis_server(tmp_path) as (port, _):
        url = f"redis://127.0.0.1:{port}/0"
        replicas = []
        for name in ("a", "b"):
            metrics = Metrics(tmp_path / f"{name}.sqlite3")
            budgets = Budgets(RedisState(url), 30, recorded=metrics.neurons_spent)
            replicas.append((metrics, budgets, Spending(metrics, budgets)))
        (_, first, first_ledger), (_, second, second_ledger) = replicas
        with request_scope("bob") as scope:
            first_ledger.on_ai_call({"kind": "chat", "model": "m", "neurons": 40.0}, scope)
            second_ledger.on_ai_call({"kind": "chat", "model": "m", "neurons": 5.0}, scope)
        assert second.spent("bob") == 45.0
        redis.Redis(port=port).flushall()  # restarted without its data
        assert second.spent("bob") == 5.0  # it saw only its own
        assert first.spent("bob") == 40.0  # ...and this one writes its record back
        assert second.spent("bob") == 40.0
        assert "You have used today's budget" in (second.refusal("bob") or "")
        assert first.spent("bob") == 40.0  # written back once, not added
        for metrics, budgets, _ in replicas:
            budgets.state.close()
            metrics.close()


def test_a_count_raised_to_a_floor_is_raised_never_lowered(tmp_path: Path) -> None:
    with redis_server(tmp_path) as (port, _):
        for state in (DiskState(tmp_path / "state"), RedisState(f"redis://127.0.0.1:{port}/0")):
            state.incr("spend", 5.0, 60)
            assert state.raise_to("spend", 3.0, 60) == 5.0 and state.get("spend") == 5.0
            assert state.raise_to("spend", 8.5, 60) == 8.5 and state.get("spend") == 8.5
            assert state.incr("spend", 1.0, 60) == 9.5  # still a count
            assert state.raise_to("fresh", 2.0, 60) == 2.0
            state.close()


def test_redis_is_recovered_from_when_it_answers_again(tmp_path: Path) -> None:
    with redis_server(tmp_path) as (port, process):
        url = f"redis://127.0.0.1:{port}/0"
        state = RedisState(url)
        process.send_signal(signal.SIGSTOP)  # the server stops answering
        try:
            assert state.get("x") is None and state.outage.skipping()
        finally:
            process.send_signal(signal.SIGCONT)
        state.outage.clock = lambda: time.monotonic() + state.outage.seconds
        state.set("x", {"back": True}, 60)
        assert state.get("x") == {"back": True}
        state.close()


def test_a_redis_that_refuses_our_password_or_database_stops_the_start(
        tmp_path: Path) -> None:
    with redis_server(tmp_path, "--requirepass", "s3cret-pw") as (port, _):
        for url in (f"redis://127.0.0.1:{port}/0", f"redis://:wrong@127.0.0.1:{port}/0",
                    f"redis://:s3cret-pw@127.0.0.1:{port}/99"):
            with pytest.raises(ConfigError) as refused:
                shared_state(tmp_path / "data", url)
            message = str(refused.value)
            assert message.startswith("Invalid setting: RAG_REDIS_URL: Redis refused it")
            assert "s3cret" not in message
        good = shared_state(tmp_path / "data", f"redis://:s3cret-pw@127.0.0.1:{port}/3")
        good.set("seen", 1, 60)
        assert good.get("seen") == 1


def test_a_tls_url_to_a_redis_without_tls_stops_the_start(tmp_path: Path) -> None:
    """Its handshake never succeeds: the limits and budgets would stay off for good."""
    with redis_server(tmp_path) as (port, _):
        with pytest.raises(ConfigError) as refused:
            shared_state(tmp_path / "data", f"rediss://127.0.0.1:{port}/0")
        message = str(refused.value)
        assert message.startswith("Invalid setting: RAG_REDIS_URL: Redis refused it (")
        assert "The server does not speak TLS: use redis:// rather than rediss://" in message


def test_a_tls_url_to_a_stopped_redis_is_an_outage_not_a_refusal(tmp_path: Path) -> None:
    with redis_server(tmp_path) as (port, process):
        process.send_signal(signal.SIGSTOP)  # takes connections, answers nothing
        try:
            state = shared_state(tmp_path / "data", f"rediss://127.0.0.1:{port}/0")
        finally:
            process.send_signal(signal.SIGCONT)
        assert state.outage.skipping() and state.unreachable_at_start


def test_a_redis_that_is_down_at_start_is_an_outage_not_a_refusal(tmp_path: Path,
                                                                   caplog) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # nothing listens there
    state = shared_state(tmp_path / "data", f"redis://127.0.0.1:{port}/0")
    assert state.get("x") is None and "shared state unavailable" in caplog.text


@pytest.mark.parametrize(("url", "said"), [
    ("redis://:s3cret@cache:6379/0?socket_timeout=abc", "Invalid value"),
    ("redis://cache:6379/0?db=x", "Invalid value"),
    ("redis://:s3cret@cache:6379/0?timeout=5", "redis-py has no option 'timeout'"),
    ("redis://cache:6379/0?x=1", "redis-py has no option 'x'"),
    ("redis://cache:6379/0?protocol=4", "protocol"),  # refused by redis-py's own check
])
def test_a_redis_url_whose_options_redis_py_refuses_is_an_invalid_setting(url: str,
                                                                          said: str) -> None:
    with pytest.raises(ConfigError) as refused:
        load_settings({"RAG_REDIS_URL": url}, env_file=None)
    message = str(refused.value)
    assert message.startswith("Invalid setting: RAG_REDIS_URL: ") and said in message
    assert "s3cret" not in message


def test_a_redis_url_with_options_redis_py_takes_is_a_valid_setting() -> None:
    url = "redis://cache:6379/0?socket_timeout=2&health_check_interval=3"
    assert load_settings({"RAG_REDIS_URL": url}, env_file=None).redis_url == url


def test_values_that_are_not_ours_under_our_prefix_are_ignored(tmp_path: Path) -> None:
    with redis_server(tmp_path) as (port, _):
        url = f"redis://127.0.0.1:{port}/0"
        raw = redis.Redis.from_url(url)
        raw.set("rag:" + PREFIX + "other-app-thing", "hello world")
        raw.set("rag:" + PREFIX + "llama", '{"until": "soon", "model": "llama"}')
        raw.set("rag:" + PREFIX + "mistral", '"a string"')
        raw.set(f"rag:spend:{utc_day(time.time())}:alice", "abc")
        raw.set(f"rag:spend:{utc_day(time.time())}:bob", '{"x": 1}')
        state = RedisState(url)
        breakers = Breakers(state, 60)
        assert breakers.open_breakers() == []
        assert [breakers.admit(m) for m in ("other-app-thing", "llama", "mistral")] == [
            "closed"] * 3
        assert breakers.reason("llama") == ""
        budgets = Budgets(state, 100)
        assert budgets.spent("alice") == 0 and budgets.spent("bob") == 0
        assert budgets.refusal("alice") is None
        state.close()
        raw.close()


def test_a_value_of_another_type_under_our_prefix_costs_that_key_only(
        tmp_path: Path) -> None:
    """Redis refusing one call about one key (WRONGTYPE, not a number) is no outage: the
    other keys are still read and written."""
    with redis_server(tmp_path) as (port, _):
        url = f"redis://127.0.0.1:{port}/0"
        raw = redis.Redis.from_url(url)
        state = RedisState(url)
        breakers = Breakers(state, 60)
        breakers.failed("llama", "out of capacity")
        raw.hset("rag:" + PREFIX + "zz-other", "a", 1)
        raw.set(f"rag:spend:{utc_day(time.time())}:carol", "abc")
        assert [b.model for b in breakers.open_breakers()] == ["llama"]
        assert breakers.admit("llama") == "open"
        budgets = Budgets(state, 100)
        budgets.charge("carol", 5)  # refused by Redis: that charge only is lost
        budgets.charge("dave", 5)
        assert budgets.spent("dave") == 5 and not state.outage.skipping()
        state.close()
        raw.close()


def test_a_redis_user_allowed_only_the_apps_keys_is_served(tmp_path: Path) -> None:
    with redis_server(tmp_path) as (port, _):
        admin = redis.Redis(port=port)
        admin.execute_command("ACL", "SETUSER", "rag", "on", ">pw-9", "~rag:*", "~LIMITS:*",
                              "+@read", "+@write", "+@scripting", "+scan", "-ping")
        url = f"redis://rag:pw-9@127.0.0.1:{port}/0"
        state = shared_state(tmp_path / "data", url)
        state.set("seen", 1, 60)
        assert state.get("seen") == 1
        limits = RateLimits(1, url)
        assert limits.admit("erin") == 0 and limits.admit("erin") > 0  # the limit holds
        admin.close()


def test_a_redis_user_without_the_apps_keys_is_refused(tmp_path: Path) -> None:
    """Its every call refused, the limits and budgets would be off for good."""
    with redis_server(tmp_path) as (port, _):
        admin = redis.Redis(port=port)
        admin.execute_command("ACL", "SETUSER", "other", "on", ">pw-8", "~other:*", "+@all")
        with pytest.raises(ConfigError) as refused:
            shared_state(tmp_path / "data", f"redis://other:pw-8@127.0.0.1:{port}/0")
        assert "Let its user read and write the app's keys (rag:*, LIMITS:*)" in str(
            refused.value)
        admin.close()


def test_after_an_outage_one_caller_tries_redis_while_the_others_wait(silent) -> None:
    state = RedisState(silent.url)
    now = [0.0]
    state.outage.clock = lambda: now[0]
    state.get("x")  # the outage begins
    now[0] += state.outage.seconds + 0.1
    assert not state.outage.skipping()  # this caller tries ...
    assert state.outage.skipping()  # ... and the others skip meanwhile
    state.outage.ended()  # its call answered
    assert not state.outage.skipping() and not state.outage.skipping()
    state.close()


def test_a_breakers_key_never_holds_the_base_urls_password(tmp_path: Path) -> None:
    state = DiskState(tmp_path / "state")
    breakers = Breakers(state, 60)
    server = "http://bob:PwInUrl123@127.0.0.1:8639/v1"
    breakers.failed("llama3.1", "connection refused", server)
    stored = state.items("")
    assert stored and not any("PwInUrl123" in key for key in stored)
    assert breakers.admit("llama3.1", server) == "open"
    state.close()


def test_one_questions_charge_does_not_hold_up_anothers() -> None:
    """The ledger's charge may wait on Redis; a logging handler's lock around it would make
    every other question's charge wait too."""
    both_inside = threading.Barrier(2, timeout=10)
    entered: list[str] = []

    class SlowLedger:
        def on_ai_call(self, call: dict, scope: object) -> None:
            entered.append(call["model"])
            both_inside.wait()  # broken (timeout) if the second charge cannot get in

    handler = LedgerHandler()
    logger = logging.getLogger("rag.test-ledger")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    logger.propagate = False  # the `rag` logger's own ledger would charge each call twice

    def charge(model: str) -> None:
        with request_scope(user="alice", ledger=SlowLedger()):  # type: ignore[arg-type]
            logger.info("call", extra={"ai_call": {"model": model, "neurons": 1}})

    threads = [threading.Thread(target=charge, args=(m,)) for m in ("a", "b")]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)
        assert sorted(entered) == ["a", "b"] and not both_inside.broken
    finally:
        logger.removeHandler(handler)
        logger.propagate = True


@pytest.mark.slow
def test_a_metrics_scrape_waiting_on_redis_does_not_hold_other_requests(
        served) -> None:  # noqa: F811
    engine, url = served(ai_breaker_seconds=60)
    release = threading.Event()

    class StuckState(DiskState):
        def items(self, prefix: str) -> dict:
            release.wait(30)
            return super().items(prefix)

    engine.breakers.state = StuckState(engine.settings.data_dir / "stuck-state")
    assert not inspect.iscoroutinefunction(metrics_endpoint)
    scrape = threading.Thread(target=lambda: httpx.get(f"{url}/metrics", timeout=60))
    scrape.start()
    try:
        health = httpx.get(f"{url}/api/v1/health", timeout=10)  # raises if the loop is held
        assert health.status_code == 200
    finally:
        release.set()
        scrape.join(timeout=30)
