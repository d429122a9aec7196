"""Budget thresholds: once per line per period, whatever the spend does around the line."""

from __future__ import annotations

from datetime import timezone

from tray.alerts import BudgetUpdate, Notifier
from tray.alerts.budget import BudgetRule, period_key

DAY = 86_400


def test_jitter_around_80_percent_notifies_once_then_100_percent_once(now):
    notifier = Notifier(tz=timezone.utc)
    assert [n.title for n in notifier.feed(BudgetUpdate("global", 0.7), now - 60)] == [
        "Budget 50 % reached: global budget"]
    shown = []
    fractions = [0.80 + (0.004 if i % 2 else -0.004) for i in range(40)]  # 20 crossings of 80 %
    for i, fraction in enumerate(fractions):
        shown += notifier.feed(BudgetUpdate("global", fraction, "monthly", spent=fraction * 10,
                                            limit=10.0), now + i * 10)
    assert [n.title for n in shown] == ["Budget 80 % reached: global budget"]
    assert shown[0].body == "$8.04 of $10.00 spent (monthly)."
    assert shown[0].severity == "warning"

    for i, fraction in enumerate([0.99, 1.001, 0.998, 1.002, 1.01, 0.999, 1.05]):
        shown += notifier.feed(BudgetUpdate("global", fraction, "monthly"), now + 1000 + i * 10)
    assert [n.title for n in shown[1:]] == ["Budget 100 % reached: global budget"]
    assert shown[1].severity == "critical"


def test_a_jump_over_several_lines_notifies_the_highest_only(now):
    notifier = Notifier(tz=timezone.utc)
    shown = notifier.feed(BudgetUpdate("model:cheap", 0.85, "daily"), now)
    assert [n.title for n in shown] == ["Budget 80 % reached: model cheap"]
    assert notifier.feed(BudgetUpdate("model:cheap", 0.9, "daily"), now + 90) == []


def test_each_line_fires_once_per_period_and_again_in_the_next(now):
    rule = BudgetRule((0.5, 0.8, 1.0), hysteresis=0.02, tz=timezone.utc)
    assert rule.on_update(BudgetUpdate("tag:jobA", 0.55, "daily"), now)
    # Spend corrected down and up again within the same day: no second alert.
    assert rule.on_update(BudgetUpdate("tag:jobA", 0.10, "daily"), now + 60) is None
    assert rule.on_update(BudgetUpdate("tag:jobA", 0.56, "daily"), now + 120) is None
    # The next day the budget starts over: a stale reading above the line does not fire ...
    assert rule.on_update(BudgetUpdate("tag:jobA", 0.56, "daily"), now + DAY) is None
    # ... but a new climb from below it does.
    assert rule.on_update(BudgetUpdate("tag:jobA", 0.01, "daily"), now + DAY + 60) is None
    alert = rule.on_update(BudgetUpdate("tag:jobA", 0.51, "daily"), now + DAY + 120)
    assert alert and alert.title == "Budget 50 % reached: tag jobA"


def test_budgets_are_independent(now):
    notifier = Notifier(tz=timezone.utc)
    assert notifier.feed(BudgetUpdate("global", 0.81), now)
    assert len(notifier.feed(BudgetUpdate("model:cheap", 0.81), now + 120)) == 1


def test_period_keys():
    noon = 1796385600.0   # Friday 2026-12-04 12:00 UTC
    assert period_key("monthly", noon, timezone.utc) == "2026-12"
    assert period_key("daily", noon, timezone.utc) == "2026-12-04"
    assert period_key("weekly", noon, timezone.utc) == "2026-W49"
    assert period_key("30d", noon, timezone.utc) == "2026-12-04"   # rolling: once a day
    assert period_key("yearly", noon, timezone.utc) == "2026"


def test_an_explicit_period_key_wins(now):
    rule = BudgetRule((0.8,), tz=timezone.utc)
    assert rule.on_update(BudgetUpdate("global", 0.9, "30d", period_key="A"), now)
    assert rule.on_update(BudgetUpdate("global", 0.5, "30d", period_key="B"), now + 1) is None
    assert rule.on_update(BudgetUpdate("global", 0.9, "30d", period_key="B"), now + 2)
