"""Budget periods, LiteLLM's budget config, the spend ledger, and thresholds crossed once."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from tray.config import Budget, ConfigError, Settings
from tray.model import BudgetStatus, MetricsSnapshot, RequestRecord
from tray.proxy.budgets import budget_key, crossings, evaluate, spent_from_totals
from tray.proxy.ledger import (
    LOG, METRICS, check_budgets, hour_of, ledger_spent, log_entries, metrics_rows, prune, record_log,
    record_metrics,
)
from tray.proxy.litellm_config import find_master_key, read_litellm_config
from tray.proxy.periods import parse_period, window, zone
from tray.store import Store

UTC = timezone.utc


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


# -- periods ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("period, now, start, end", [
    ("daily", "2026-12-04T19:14:07", "2026-12-04T00:00", "2026-12-05T00:00"),
    ("1d", "2026-12-04T19:14:07", "2026-12-04T00:00", "2026-12-05T00:00"),
    ("weekly", "2026-12-04T19:14:07", "2026-11-30T00:00", "2026-12-07T00:00"),   # Monday to Monday
    ("7d", "2026-12-04T19:14:07", "2026-11-30T00:00", "2026-12-07T00:00"),
    ("monthly", "2026-12-31T23:59:59", "2026-12-01T00:00", "2027-01-01T00:00"),
    ("30d", "2026-02-14T12:00:00", "2026-02-01T00:00", "2026-03-01T00:00"),      # LiteLLM: calendar month
    ("1mo", "2026-01-31T10:00:00", "2026-01-01T00:00", "2026-02-01T00:00"),
    ("2mo", "2026-04-10T10:00:00", "2026-03-01T00:00", "2026-05-01T00:00"),
    ("yearly", "2026-06-01T00:00:00", "2026-01-01T00:00", "2027-01-01T00:00"),
    ("6h", "2026-12-04T19:14:07", "2026-12-04T18:00", "2026-12-05T00:00"),
    ("5h", "2026-12-04T22:30:00", "2026-12-04T20:00", "2026-12-05T00:00"),      # last block cut at midnight
    ("30m", "2026-12-04T19:44:07", "2026-12-04T19:30", "2026-12-04T20:00"),
    ("30s", "2026-12-04T19:44:47", "2026-12-04T19:44:30", "2026-12-04T19:45:00"),
    ("30h", "2026-12-04T19:44:47", "2026-12-04T06:00", "2026-12-05T12:00"),      # 30 h blocks from 1970
    ("3d", "2026-12-04T19:44:47", "2026-12-03T00:00", "2026-12-06T00:00"),
])
def test_windows(period: str, now: str, start: str, end: str) -> None:
    win = window(period, at(now), UTC)
    assert (win.start, win.end) == (at(start), at(end))
    assert win.start <= at(now) < win.end


def test_month_rollover_starts_a_new_period() -> None:
    before = window("monthly", at("2026-01-31T23:59:59"), UTC)
    after = window("monthly", at("2026-02-01T00:00:00"), UTC)
    assert before.key != after.key and before.end == after.start


def test_periods_in_a_timezone() -> None:
    tz = ZoneInfo("America/New_York")
    win = window("daily", at("2026-12-05T03:00:00"), tz)    # still the 4th in New York
    assert win.start.isoformat() == "2026-12-04T00:00:00-05:00"
    assert zone("UTC") is UTC and zone("No/Such_Zone") is None and zone(None) is None


def test_lifetime_and_bad_periods() -> None:
    assert window("lifetime", at("2026-12-04T00:00:00")).key == ""
    for bad in ("fortnightly", "0d", "-1d", "3x"):
        with pytest.raises(ValueError, match="budget period"):
            parse_period(bad)


# -- LiteLLM's config.yaml ---------------------------------------------------------------------------------


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.yaml"
    path.write_text(text)
    return path


def test_budgets_as_users_write_them(tmp_path: Path) -> None:
    """The user guide's shape: max_budget + 'monthly', model_max_budget at the top level."""
    path = write(tmp_path, """
litellm_settings:
  max_budget: 1000
  budget_duration: monthly
model_max_budget:
  cheap: 100
  balanced: 500
general_settings:
  master_key: sk-literal-key-000
""")
    config = read_litellm_config(path)
    assert config is not None and config.master_key == "sk-literal-key-000"
    assert [(b.scope, b.limit, b.period, b.origin) for b in config.budgets] == [
        ("global", 1000.0, "monthly", "litellm"), ("model:cheap", 100.0, "monthly", "litellm"),
        ("model:balanced", 500.0, "monthly", "litellm")]


def test_budgets_in_litellms_shapes(tmp_path: Path) -> None:
    path = write(tmp_path, """
litellm_settings:
  max_budget: 5
  timezone: Asia/Kolkata
  model_max_budget:
    gpt-4o:
      budget_limit: 0.5
      time_period: 1d
    cheap: 2
general_settings:
  master_key: os.environ/MY_PROXY_KEY
  model_max_budget:
    frontier: {budget_limit: 9, time_period: 30d}
""")
    config = read_litellm_config(path, environ={"MY_PROXY_KEY": "sk-from-env-123"})
    assert config is not None and config.master_key == "sk-from-env-123" and config.timezone == "Asia/Kolkata"
    assert [(b.scope, b.limit, b.period) for b in config.budgets] == [
        ("global", 5.0, "lifetime"), ("model:gpt-4o", 0.5, "1d"), ("model:cheap", 2.0, "lifetime"),
        ("model:frontier", 9.0, "30d")]
    assert all(b.timezone == "Asia/Kolkata" for b in config.budgets)


def test_master_key_from_env_file_and_precedence(tmp_path: Path) -> None:
    env_file = tmp_path / "env"
    env_file.write_text("export OTHER_KEY='sk-in-env-file-42'\n")
    path = write(tmp_path, "general_settings:\n  master_key: os.environ/OTHER_KEY\n")
    settings = Settings(litellm_config=path, env_file=env_file)
    assert find_master_key(settings, environ={}) == "sk-in-env-file-42"
    assert find_master_key(settings, environ={"LITELLM_MASTER_KEY": "sk-env-wins-1"}) == "sk-env-wins-1"
    assert find_master_key(Settings(litellm_config=tmp_path / "none.yaml", env_file=env_file), environ={}) is None


def test_config_errors(tmp_path: Path) -> None:
    assert read_litellm_config(tmp_path / "missing.yaml") is None
    with pytest.raises(ConfigError, match=r"config.yaml:\d+: not valid YAML"):
        read_litellm_config(write(tmp_path, "a: 1\nb:\n  - [unclosed\n"))
    with pytest.raises(ConfigError, match="max_budget must be a number"):
        read_litellm_config(write(tmp_path, "litellm_settings:\n  max_budget: lots\n"))


# -- the ledger ------------------------------------------------------------------------------------------


def metrics(spend: dict[str, float], start: float | None = 1_000_000.0) -> MetricsSnapshot:
    return MetricsSnapshot(taken_at=0, era="current", spend_total=sum(spend.values()),
                           spend_by_model=spend, process_start=start)


def test_first_poll_puts_spend_at_the_proxy_start_or_nowhere() -> None:
    now = at("2026-12-04T19:00:00")
    rows, marks = metrics_rows(None, metrics({"cheap": 2.0}, start=at("2026-12-04T08:30:00").timestamp()), now)
    assert rows == [("2026-12-04T08", "model:cheap", 2.0)] and marks["spend:cheap"] == 2.0
    rows, _ = metrics_rows(None, metrics({"cheap": 2.0}, start=None), now)
    assert rows == []


def test_proxy_restart_mid_period_keeps_period_spend() -> None:
    """Counters drop to zero on restart; the ledger keeps what was spent before it."""
    store = Store()
    budget = Budget("global", 10.0, "monthly", timezone="UTC")
    t0 = at("2026-12-01T10:00:00")
    record_metrics(store, metrics({"cheap": 0.0}, start=1000.0), t0)
    record_metrics(store, metrics({"cheap": 3.0}, start=1000.0), t0 + timedelta(hours=1))
    record_metrics(store, metrics({"cheap": 4.0, "frontier": 1.0}, start=1000.0), t0 + timedelta(hours=2))
    # restart: new start time, counters from zero
    record_metrics(store, metrics({"cheap": 0.5}, start=2000.0), t0 + timedelta(hours=3))
    record_metrics(store, metrics({"cheap": 1.5}, start=2000.0), t0 + timedelta(hours=4))
    # restart the proxy seen only by counters going down (no start time served)
    record_metrics(store, metrics({"cheap": 0.25}, start=None), t0 + timedelta(hours=5))
    win = window("monthly", t0 + timedelta(hours=6), UTC)
    assert ledger_spent(store, budget, win) == pytest.approx(4.0 + 1.0 + 1.5 + 0.25)
    assert ledger_spent(store, Budget("model:frontier", 5.0), win) == pytest.approx(1.0)
    # the app restarting re-reads its marks: nothing is counted twice
    record_metrics(store, metrics({"cheap": 0.25}, start=None), t0 + timedelta(hours=6))
    assert ledger_spent(store, budget, win) == pytest.approx(6.75)


def test_month_rollover_in_the_ledger() -> None:
    store = Store()
    budget = Budget("model:cheap", 10.0, "monthly", timezone="UTC")
    record_metrics(store, metrics({"cheap": 1.0}, start=1000.0), at("2026-01-31T22:00:00"))   # first poll: at start
    record_metrics(store, metrics({"cheap": 4.0}, start=1000.0), at("2026-01-31T23:30:00"))
    record_metrics(store, metrics({"cheap": 6.0}, start=1000.0), at("2026-02-01T00:10:00"))
    jan = window("monthly", at("2026-01-31T23:59:00"), UTC)
    feb = window("monthly", at("2026-02-01T00:20:00"), UTC)
    assert ledger_spent(store, budget, feb) == pytest.approx(2.0)
    assert ledger_spent(store, budget, jan) == pytest.approx(3.0)    # the 1.0 before the app went to 1970


def test_log_costs_once_each_by_model_and_tag() -> None:
    store = Store()
    now = at("2026-12-04T12:00:00")
    records = [RequestRecord(id="a", time="2026-12-04T11:59:00+00:00", model="cheap", cost=0.5, tags=["jobA", "jobA"]),
               RequestRecord(id="b", time=None, model="frontier", cost=1.0, tags=["jobB"]),
               RequestRecord(id="c", model="cheap", cost=None), RequestRecord(id="d", time="garbage", cost=0.25)]
    assert [e[1] for e in log_entries(records, now)] == ["2026-12-04T11", "2026-12-04T12", "2026-12-04T12"]
    assert record_log(store, records, now) == 3
    assert record_log(store, records, now) == 0               # read again: nothing new
    win = window("daily", now, UTC)
    assert ledger_spent(store, Budget("tag:jobA", 1), win) == 0.5
    assert ledger_spent(store, Budget("global", 1), win) == pytest.approx(1.75)      # no metrics: log
    record_metrics(store, metrics({"cheap": 9.0}, start=now.timestamp()), now)
    assert ledger_spent(store, Budget("global", 1), win) == 9.0                     # metrics preferred
    assert ledger_spent(store, Budget("tag:jobB", 1), win) == 1.0                   # tags: log only
    prune(store, now + timedelta(days=500))
    assert store.spend_totals(LOG, "0", "9") == {} and store.spend_totals(METRICS, "0", "9") == {}


def test_pending_rows_count_without_being_stored() -> None:
    store = Store()
    now = at("2026-12-04T12:00:00")
    started = now.timestamp() - 60
    record_metrics(store, metrics({"cheap": 1.0}, start=started), now)
    pending, _ = metrics_rows(store.spend_marks(METRICS), metrics({"cheap": 3.0}, start=started), now)
    win = window("daily", now, UTC)
    assert ledger_spent(store, Budget("global", 10), win, pending) == 3.0
    assert ledger_spent(store, Budget("global", 10), win) == 1.0


# -- thresholds ------------------------------------------------------------------------------------------


def test_thresholds_cross_exactly_once_per_period() -> None:
    """A pinned clock walks through a month and into the next; each threshold fires once a period."""
    store = Store()
    budget = Budget("global", 10.0, "monthly", timezone="UTC")
    fired: list[tuple[str, float]] = []
    t = at("2026-01-30T00:00:00")
    spend = 0.0
    record_metrics(store, metrics({"cheap": 0.0}, start=1000.0), t)
    for step in range(90):   # 90 hours, 0.3 $ an hour: crosses 50, 80, 100 % in January, then again in February
        t += timedelta(hours=1)
        spend += 0.3
        record_metrics(store, metrics({"cheap": spend}, start=1000.0), t)
        statuses, new = check_budgets(store, [budget], (0.5, 0.8, 1.0), t)
        fired += [(c.period_start[:7], c.threshold) for c in new]
        statuses, again = check_budgets(store, [budget], (0.5, 0.8, 1.0), t)   # same moment: nothing new
        assert again == []
    assert fired == [("2026-01", 0.5), ("2026-01", 0.8), ("2026-01", 1.0),
                     ("2026-02", 0.5), ("2026-02", 0.8), ("2026-02", 1.0)]


def test_crossings_pure() -> None:
    status = BudgetStatus(scope="tag:jobA", limit=4.0, spent=3.4, period="weekly", period_start="2026-11-30")
    found = crossings([status], (0.5, 0.8, 1.0), set())
    assert [c.threshold for c in found] == [0.5, 0.8]
    seen = {(budget_key("tag:jobA", "weekly"), "2026-11-30", 0.5)}
    assert [c.threshold for c in crossings([status], (0.8, 0.5, 1.0), seen)] == [0.8]
    assert crossings([status], (0.5,), {(budget_key("tag:jobA", "weekly"), "2026-11-30", 0.5)}) == []
    zero = BudgetStatus(scope="global", limit=0.0, spent=0.01, period="daily", period_start="x")
    assert zero.fraction == 1.0 and zero.to_json()["fraction"] == 1.0


def test_evaluate_from_totals_and_errors() -> None:
    errors: list[str] = []
    spent = spent_from_totals(2.0, {"cheap": 1.5}, None)
    statuses = evaluate([Budget("global", 4.0), Budget("model:cheap", 3.0), Budget("model:other", 1.0),
                         Budget("tag:jobA", 1.0), Budget("global", 1.0, "fortnightly")],
                        spent, at("2026-12-04T00:00:00"), errors)
    assert [(s.scope, s.spent, s.fraction) for s in statuses] == [
        ("global", 2.0, 0.5), ("model:cheap", 1.5, 0.5), ("model:other", 0.0, 0.0), ("tag:jobA", 0.0, 0.0)]
    assert errors == ["budget tag:jobA: no spend figures for it",
                      "budget global: unknown budget period 'fortnightly' (daily, weekly, monthly, or 30s, 12h, 7d, 1mo...)"]
    assert hour_of(at("2026-12-04T19:14:07")) == "2026-12-04T19"


def test_app_budget_timezone_from_toml(tmp_path: Path) -> None:
    from tray.config import load_settings

    path = tmp_path / "config.toml"
    path.write_text('[[budget]]\nscope = "tag:jobA"\nlimit = 5\nperiod = "daily"\ntimezone = "Asia/Tokyo"\n')
    (budget,) = load_settings(path, environ={}).budgets
    assert (budget.scope, budget.period, budget.timezone) == ("tag:jobA", "daily", "Asia/Tokyo")
    win = window(budget.period, at("2026-12-04T16:00:00"), zone(budget.timezone))   # already the 5th in Tokyo
    assert win.start == at("2026-12-04T15:00:00")


def test_a_budget_key_gives_its_scope_back_even_with_a_bar_in_it() -> None:
    from tray.proxy.budgets import scope_of

    for scope in ("Monthly", "jobA", "tag a|b", ""):
        for period in ("daily", "monthly", "30d"):
            assert scope_of(budget_key(scope, period)) == scope
