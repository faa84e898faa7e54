"""ingest.ahead.run_ahead: in order, bounded, errors handed back, cancelled when closed."""

from __future__ import annotations

import threading
import time

from ingest.ahead import run_ahead


def test_results_come_back_in_input_order_whatever_finishes_first() -> None:
    def slow_for_small(n: int) -> int:
        time.sleep(0.01 * (5 - n % 5))
        return n * n

    done = list(run_ahead(slow_for_small, range(20), workers=4))
    assert [d.item for d in done] == list(range(20))
    assert [d.result for d in done] == [n * n for n in range(20)]


def test_calls_overlap_up_to_the_worker_count() -> None:
    running, peak, lock = [0], [0], threading.Lock()

    def work(n: int) -> int:
        with lock:
            running[0] += 1
            peak[0] = max(peak[0], running[0])
        time.sleep(0.05)
        with lock:
            running[0] -= 1
        return n

    list(run_ahead(work, range(12), workers=3))
    assert peak[0] == 3


def test_the_input_is_drawn_only_a_window_ahead() -> None:
    drawn = []

    def items():
        for n in range(100):
            drawn.append(n)
            yield n

    for done in run_ahead(lambda n: n, items(), workers=2):
        # the item just yielded, two running and one waiting at most
        assert len(drawn) <= done.item + 1 + 3
    assert len(drawn) == 100


def test_an_error_comes_back_with_its_item_and_the_rest_go_on() -> None:
    def fragile(n: int) -> int:
        if n == 3:
            raise ValueError("three is bad")
        return n

    done = list(run_ahead(fragile, range(6), workers=2))
    assert [d.result for d in done] == [0, 1, 2, None, 4, 5]
    assert isinstance(done[3].error, ValueError) and str(done[3].error) == "three is bad"


def test_items_that_need_no_work_pass_straight_through() -> None:
    calls = []
    done = list(run_ahead(lambda n: calls.append(n) or -n, range(6), workers=2,
                          needs_work=lambda n: n % 2 == 0))
    assert sorted(calls) == [0, 2, 4]
    assert [(d.item, d.result) for d in done] == [(0, 0), (1, None), (2, -2), (3, None),
                                                  (4, -4), (5, None)]


def test_closing_early_cancels_the_calls_not_started() -> None:
    started = []

    def work(n: int) -> int:
        started.append(n)
        time.sleep(0.05)
        return n

    stream = run_ahead(work, range(50), workers=1)
    assert next(stream).item == 0
    stream.close()
    time.sleep(0.2)
    assert len(started) <= 3
