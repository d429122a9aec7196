"""The pure state: counts, rates, budgets, recent prompts, levels and the tooltip, on a pinned clock."""

from __future__ import annotations

from datetime import datetime, timezone

from tray.model import BudgetStatus, Health, MetricsSnapshot, ProxySnapshot, Rates, RequestRecord, Spend
from tray.state import PROMPTS_HINT, RecordTally, budget_text, compute_state, first_words, money, tooltip

UTC = timezone.utc
NOW = datetime(2026, 12, 4, 15, 30, tzinfo=UTC).timestamp()
URL = "http://localhost:8000"


def rec(i: int, *, minutes_ago: float = 1, status: str = "ok", model: str = "cheap", text: str | None = None,
        cost: float | None = None) -> RequestRecord:
    when = datetime.fromtimestamp(NOW - minutes_ago * 60, UTC).isoformat()
    return RequestRecord(id=f"r{i}", time=when, model=model, status=status,  # type: ignore[arg-type]
                         messages=[{"role": "user", "content": text or f"Question number {i} about proxies"}],
                         cost=cost)


def snap(up: bool = True, **metrics: object) -> ProxySnapshot:
    s = ProxySnapshot(url=URL, taken_at=NOW, health=Health(URL, up, None if up else "connection refused", 3.0))
    if up:
        s.metrics = MetricsSnapshot(taken_at=NOW, era="current", requests_total=120, requests_failed=4,
                                    tokens_total=5000, tokens_input=1000, tokens_output=4000, spend_total=4.12,
                                    spend_by_model={"cheap": 0.12, "frontier": 4.0}, **metrics)  # type: ignore[arg-type]
        s.spend = Spend(by_tag={"jobA": 0.0042, "jobB": 1.5}, global_spend=4.12, has_database=True)
        s.rates = Rates(seconds=10, requests_per_min=12.0, failures_per_min=0, tokens_per_min=100, spend_per_hour=1)
    else:
        s.errors.append("proxy down: connection refused")
    return s


def tz_tally(started: float = NOW - 3600) -> RecordTally:
    return RecordTally(started, tz=UTC)


def test_counts_today_since_start_and_failures() -> None:
    tally = tz_tally()
    tally.add([rec(1, minutes_ago=60 * 24), rec(2, minutes_ago=120)], NOW, live=False)   # history
    tally.add([rec(3), rec(4, status="error"), rec(4, status="error")], NOW)             # a re-read is not counted twice
    state = compute_state(tally, snap(), [], now=NOW, proxy_url=URL, tz=UTC)
    assert (state.requests_today, state.failed_today) == (3, 1)
    assert (state.requests_since_start, state.failed_since_start) == (2, 1)
    assert state.proxy_requests == 120 and state.tokens_total == 5000
    assert state.per_minute == 12.0
    assert state.badge == 1 and state.level == "warning"


def test_day_rolls_over_at_local_midnight() -> None:
    tally = tz_tally()
    tally.add([rec(1), rec(2)], NOW)
    tomorrow = datetime(2026, 12, 5, 0, 1, tzinfo=UTC).timestamp()
    state = compute_state(tally, None, [], now=tomorrow, proxy_url=URL, tz=UTC)
    assert state.requests_today == 0 and state.requests_since_start == 2


def test_rate_from_log_when_the_proxy_gives_none() -> None:
    tally = tz_tally(started=NOW - 3600)
    tally.add([rec(i, minutes_ago=i % 5) for i in range(10)], NOW)
    state = compute_state(tally, None, [], now=NOW, proxy_url=URL, tz=UTC)
    assert state.per_minute == 2.0        # 10 requests in the last 5 minutes


def test_budget_lines_and_fraction_text() -> None:
    budgets = [BudgetStatus("global", 1000, 412, "monthly", "2026-12-01"),
               BudgetStatus("tag:jobA", 2.0, 1.7, "daily", "2026-12-04")]
    assert budget_text(budgets[0]) == "Monthly $412 of $1,000 · 41 %"
    state = compute_state(tz_tally(), snap(), budgets, now=NOW, proxy_url=URL, tz=UTC)
    assert [b.text for b in state.budgets] == ["Monthly $412 of $1,000 · 41 %", "jobA: Daily $1.70 of $2.00 · 85 %"]
    assert state.level == "warning"       # a budget past 80 %


def test_spend_by_model_and_tag_ranked() -> None:
    state = compute_state(tz_tally(), snap(), [], now=NOW, proxy_url=URL, tz=UTC)
    assert state.spend_by_model == (("frontier", 4.0), ("cheap", 0.12))
    assert state.spend_by_tag == (("jobB", 1.5), ("jobA", 0.0042))
    assert state.spend_total == 4.12


def test_recent_prompts_newest_first_with_failure_mark() -> None:
    tally = tz_tally()
    tally.add([rec(i, text="word " * 30 if i == 11 else None) for i in range(12)]
              + [rec(12, status="error", model="frontier")], NOW)
    state = compute_state(tally, snap(), [], now=NOW, proxy_url=URL, tz=UTC)
    assert len(state.recent) == 10
    assert state.recent[0].id == "r12" and state.recent[0].failed and state.recent[0].model == "frontier"
    assert state.recent[0].time == "15:29:00"
    assert state.recent[0].label.startswith("✗ 15:29:00  frontier · Question number 12")
    assert state.recent[1].words.endswith("…") and len(state.recent[1].words) <= 49


def test_proxy_down_is_an_error_with_its_reason() -> None:
    state = compute_state(tz_tally(), snap(up=False), [], now=NOW, proxy_url=URL, tz=UTC)
    assert state.level == "error"
    assert "connection refused" in state.proxy_text
    assert "proxy down: connection refused" in state.errors
    assert state.tooltip.endswith("proxy down: connection refused")


def test_unknown_before_anything_is_known_and_ok_after() -> None:
    assert compute_state(tz_tally(), None, [], now=NOW, proxy_url=URL, tz=UTC).level == "unknown"
    tally = tz_tally()
    tally.add([rec(1)], NOW)
    assert compute_state(tally, snap(), [], now=NOW, proxy_url=URL, tz=UTC).level == "ok"


def test_source_errors_and_prompts_hint() -> None:
    state = compute_state(tz_tally(), snap(), [], now=NOW, proxy_url=URL, tz=UTC,
                          source_errors=["log: no file at /x/litellm.log"], prompts_visible=False)
    assert state.level == "error"
    assert state.errors[0] == "log: no file at /x/litellm.log"
    assert state.prompts_hint == PROMPTS_HINT


def test_tooltip_one_liner() -> None:
    assert tooltip(1204, 3, 4.12, True) == "LiteLLM: 1,204 req today · 3 failed · $4.12"
    assert len(tooltip(1, 0, None, False, "x" * 300)) <= 127


def test_helpers() -> None:
    assert money(0.0042) == "$0.0042" and money(1234.5) == "$1,234" and money(None) == "?"
    assert first_words("one  two\nthree") == "one two three"


def test_last_alert_and_notification_failure_are_kept_for_the_menu() -> None:
    from tray.alerts.types import Notification

    note = Notification("Request  failed:\ncheap " + "x" * 80, "body", "warning", NOW - 60,
                        request_ids=("r1", "r2"))
    state = compute_state(tz_tally(), None, [], now=NOW, proxy_url=URL, tz=UTC, last_alert=note,
                          notify_error="no notification backend could deliver (plyer: no dbus)")
    assert state.last_alert is not None
    assert state.last_alert.time == "15:29" and state.last_alert.request_ids == ("r1", "r2")
    assert state.last_alert.label.startswith("Last alert: Request failed: cheap xx")
    assert state.last_alert.label.endswith("… (15:29)…") and len(state.last_alert.label) < 90
    assert state.notify_error == "no notification backend could deliver (plyer: no dbus)"
    assert compute_state(tz_tally(), None, [], now=NOW, proxy_url=URL, tz=UTC).last_alert is None


def test_requests_under_way_are_listed_after_three_seconds_until_their_record() -> None:
    """A request seen starting shows under way once it has run UNDER_WAY_AFTER seconds (quick
    ones would only flicker through the menu), the longest-running first, until its record."""
    tally = tz_tally()
    tally.start([("a", "cheap", "Summarise the quarterly report for the board, in five bullet points")],
                NOW - 60)
    tally.start([("b", "frontier", "Translate this"), ("c", None, "")], NOW - 2)
    state = compute_state(tally, snap(), [], now=NOW, proxy_url=URL, tz=UTC)
    assert [(p.id, p.time, p.model) for p in state.under_way] == [("a", "15:29:00", "cheap")]
    assert state.under_way[0].label == "15:29:00  cheap · Summarise the quarterly report for the board,…"
    state = compute_state(tally, snap(), [], now=NOW + 5, proxy_url=URL, tz=UTC)
    assert [(p.id, p.model) for p in state.under_way] == [("a", "cheap"), ("b", "frontier"), ("c", "?")]
    tally.add([RequestRecord(id="a", time=None, model="cheap")], NOW + 6)
    state = compute_state(tally, snap(), [], now=NOW + 6, proxy_url=URL, tz=UTC)
    assert [p.id for p in state.under_way] == ["b", "c"]
    tally.start([("a", "cheap", "again")], NOW + 7)        # a re-read line of a finished request
    assert "a" not in tally.under_way


def test_requests_under_way_are_bounded() -> None:
    from tray.state import UNDER_WAY_KEPT
    tally = tz_tally()
    tally.start([(f"r{i}", "cheap", "x") for i in range(UNDER_WAY_KEPT + 50)], NOW)
    assert len(tally.under_way) == UNDER_WAY_KEPT and next(iter(tally.under_way)) == "r50"


def test_a_request_under_way_for_two_hours_leaves_the_menu() -> None:
    """Its outcome will never be in the log (the proxy died without a restart line): after
    UNDER_WAY_FORGET it is no longer listed, nor kept once another request starts."""
    from tray.state import UNDER_WAY_FORGET
    tally = tz_tally()
    tally.start([("lost", "cheap", "never answered")], NOW - UNDER_WAY_FORGET + 10)
    assert [p.id for p in compute_state(tally, snap(), [], now=NOW, proxy_url=URL, tz=UTC).under_way] == ["lost"]
    assert compute_state(tally, snap(), [], now=NOW + 10, proxy_url=URL, tz=UTC).under_way == ()
    tally.start([("new", "cheap", "fresh")], NOW + 10)
    assert list(tally.under_way) == ["new"]
