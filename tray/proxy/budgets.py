"""Budgets: how much of each limit the current period has spent, and which thresholds it crossed.

Both are pure: spend comes from a function given the budget and its window (the ledger
while the app runs, the proxy's counters for a one-off `status`), the moment is a
parameter, and "already alerted" is a set the caller keeps (the store does). A threshold
is reported once per budget and period: the next period starts afresh.
"""

from __future__ import annotations

from datetime import datetime
from typing import Callable, Collection, Iterable, Mapping

from tray.config import Budget
from tray.model import BudgetCrossing, BudgetStatus
from tray.proxy.periods import Window, window, zone

SpentFn = Callable[[Budget, Window], float | None]
#: (budget key, period start, threshold): what has been alerted already.
Seen = Collection[tuple[str, str, float]]


def budget_key(scope: str, period: str) -> str:
    """Names a budget across restarts: a scope can have budgets of different periods."""
    return f"{scope}|{period}"


def scope_of(key: str) -> str:
    """The scope a `budget_key` names (the period, a plain word, is after the last bar)."""
    return key.rpartition("|")[0]


def budget_window(budget: Budget, now: datetime) -> Window:
    return window(budget.period, now, zone(budget.timezone))


def evaluate(budgets: Iterable[Budget], spent: SpentFn, now: datetime,
             errors: list[str] | None = None) -> list[BudgetStatus]:
    """The status of each budget now; a budget whose period or spend cannot be had goes to `errors`."""
    statuses: list[BudgetStatus] = []
    for budget in budgets:
        try:
            win = budget_window(budget, now)
        except ValueError as exc:
            if errors is not None:
                errors.append(f"budget {budget.scope}: {exc}")
            continue
        amount = spent(budget, win)
        if amount is None:
            if errors is not None:
                errors.append(f"budget {budget.scope}: no spend figures for it")
            amount = 0.0
        statuses.append(BudgetStatus(scope=budget.scope, limit=budget.limit, spent=amount,
                                     period=budget.period, period_start=win.key, origin=budget.origin))
    return statuses


def crossings(statuses: Iterable[BudgetStatus], thresholds: Iterable[float], seen: Seen) -> list[BudgetCrossing]:
    """Thresholds reached and not yet in `seen`, lowest first: each fires once per period."""
    found: list[BudgetCrossing] = []
    for status in statuses:
        key = budget_key(status.scope, status.period)
        for threshold in sorted(set(thresholds)):
            if status.fraction + 1e-12 >= threshold and (key, status.period_start, threshold) not in seen:
                found.append(BudgetCrossing(scope=status.scope, period=status.period,
                                            period_start=status.period_start, threshold=threshold,
                                            spent=status.spent, limit=status.limit))
    return found


def spent_from_totals(total: float | None, by_model: Mapping[str, float],
                      by_tag: Mapping[str, float] | None) -> SpentFn:
    """Spend as one poll knows it (since the proxy started), for when there is no ledger."""

    def spent(budget: Budget, _window: Window) -> float | None:
        if budget.scope == "global":
            return total
        kind, _, name = budget.scope.partition(":")
        if kind == "model":
            return by_model.get(name, 0.0) if (by_model or total is not None) else None
        if kind == "tag" and by_tag is not None:
            return by_tag.get(name, 0.0)
        return None

    return spent
