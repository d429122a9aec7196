"""Rates between polls and counter resets (proxy restarts), and the poller's backoff."""

from __future__ import annotations

import pytest

from tray.model import MetricsSnapshot
from tray.proxy.backoff import Backoff, next_delay
from tray.proxy.rates import counters, deltas, rates, restarted


def snap(at: float, requests: float, failed: float = 0.0, spend: float = 0.0, tokens: float = 0.0,
         start: float | None = None, by_model: dict[str, float] | None = None) -> MetricsSnapshot:
    return MetricsSnapshot(taken_at=at, era="current", requests_total=requests, requests_failed=failed,
                           spend_total=spend, tokens_total=tokens, process_start=start,
                           spend_by_model=by_model if by_model is not None else {"cheap": spend})


def test_rates_from_deltas() -> None:
    r = rates(snap(0, 100, 5, 1.0, 1000), snap(30, 130, 8, 1.5, 4000))
    assert r is not None and not r.restarted
    assert r.requests_per_min == pytest.approx(60)
    assert r.failures_per_min == pytest.approx(6)
    assert r.tokens_per_min == pytest.approx(6000)
    assert r.spend_per_hour == pytest.approx(60)


def test_counter_reset_counts_from_zero() -> None:
    r = rates(snap(0, 500, 10, 9.0), snap(60, 12, 1, 0.5))
    assert r is not None and r.restarted
    assert r.requests_per_min == pytest.approx(12)
    assert r.spend_per_hour == pytest.approx(30)


def test_restart_seen_by_start_time_even_when_counters_grew_past() -> None:
    r = rates(snap(0, 10, spend=1.0, start=1000.0), snap(60, 50, spend=2.0, start=2000.0))
    assert r is not None and r.restarted and r.requests_per_min == pytest.approx(50)
    r = rates(snap(0, 10, start=1000.0), snap(60, 50, start=1000.4))
    assert r is not None and not r.restarted and r.requests_per_min == pytest.approx(40)


def test_no_rates_without_time_or_across_eras() -> None:
    assert rates(snap(10, 1), snap(10, 2)) is None
    other = snap(20, 2)
    other.era = "2024"
    assert rates(snap(10, 1), other) is None


def test_per_model_reset_detected() -> None:
    before = counters(snap(0, 10, spend=1.0, by_model={"cheap": 0.6, "frontier": 0.4}))
    after = counters(snap(1, 11, spend=1.1, by_model={"cheap": 1.1}))   # frontier series gone
    assert restarted(None, None, before, after)
    assert deltas(before, after, True)["spend:cheap"] == pytest.approx(1.1)
    assert deltas({"a": 1.0}, {"a": 3.0, "b": 2.0}, False) == {"a": 2.0, "b": 2.0}


def test_backoff_grows_while_down_and_resets() -> None:
    assert next_delay(0, 10) == 10
    assert [next_delay(n, 10) for n in range(1, 9)] == [2, 4, 8, 16, 32, 64, 120, 120]
    assert next_delay(3, 10, jitter=0.5, rand=lambda: 1.0) == 4
    poller = Backoff(interval=10)
    assert [poller.after(False) for _ in range(3)] == [2, 4, 8] and poller.down
    assert poller.after(True) == 10 and not poller.down
    assert poller.after(False) == 2
