"""The app's own record of spend, so a budget's period spend survives proxy and app restarts.

Two sources feed it: the growth of `/metrics` spend counters between polls (by model), and
the log's per-request costs (by model and by tag, each request once). A budget's spend is
the sum of its window's rows, from the metrics where it has them, else from the log.
The arithmetic is pure (`metrics_rows`, `log_entries`); the rest reads and writes the store.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Iterable

from tray.config import Budget
from tray.model import BudgetCrossing, BudgetStatus, MetricsSnapshot, RequestRecord
from tray.proxy.budgets import budget_key, crossings, evaluate
from tray.proxy.periods import Window
from tray.proxy.rates import deltas, restarted
from tray.store import Store

METRICS = "metrics"
LOG = "log"
_START = "start"
_SPEND = "spend:"

Row = tuple[str, str, float]          # (hour, scope, amount)


def hour_of(moment: datetime) -> str:
    """The ledger's bucket: the UTC hour, as text that sorts in time order."""
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H")


def metrics_rows(marks: dict[str, float] | None, snap: MetricsSnapshot,
                 now: datetime) -> tuple[list[Row], dict[str, float]]:
    """Ledger rows for the spend counters' growth since `marks`, and the marks to keep next.

    On the very first poll the counters' whole value is spend since the proxy started: it is
    put at the proxy's start hour when the proxy tells it, and left out otherwise.
    """
    current = {_SPEND + model: value for model, value in snap.spend_by_model.items()}
    new_marks = dict(current)
    if snap.process_start is not None:
        new_marks[_START] = snap.process_start
    if marks is None:
        if snap.process_start is None:
            return [], new_marks
        hour = hour_of(datetime.fromtimestamp(snap.process_start, timezone.utc))
        grown = {name: value for name, value in current.items() if value > 0}
    else:
        before = {name: value for name, value in marks.items() if name.startswith(_SPEND)}
        grown = deltas(before, current, restarted(marks.get(_START), snap.process_start, before, current))
        hour = hour_of(now)
    return [(hour, "model:" + name[len(_SPEND):], value) for name, value in grown.items()], new_marks


def record_metrics(store: Store, snap: MetricsSnapshot, now: datetime) -> list[Row]:
    """Turn one poll's spend counters into ledger rows (once), and return them."""
    if not snap.spend_by_model and snap.spend_total is None:
        return []
    rows, marks = metrics_rows(store.spend_marks(METRICS), snap, now)
    store.add_spend(METRICS, rows, marks)
    return rows


def _record_hour(record: RequestRecord, now: datetime) -> str:
    if record.time:
        try:
            moment = datetime.fromisoformat(record.time)
            return hour_of(moment if moment.tzinfo else moment.astimezone())
        except ValueError:
            pass
    return hour_of(now)


def log_entries(records: Iterable[RequestRecord], now: datetime) -> list[tuple[str, str, list[tuple[str, float]]]]:
    """(id, hour, [(scope, amount)]) for each request with a cost: its model and each of its tags."""
    entries = []
    for record in records:
        if not record.cost:
            continue
        scopes = [(f"model:{record.model or '(unknown)'}", record.cost)]
        scopes += [(f"tag:{tag}", record.cost) for tag in dict.fromkeys(record.tags)]
        entries.append((record.id, _record_hour(record, now), scopes))
    return entries


def record_log(store: Store, records: Iterable[RequestRecord], now: datetime) -> int:
    """Add the costs of requests not added before; returns how many were new."""
    return store.add_spend_once(LOG, log_entries(records, now))


def ledger_spent(store: Store, budget: Budget, win: Window, pending: Iterable[Row] = ()) -> float:
    """The budget's spend in `win` from the ledger, plus `pending` metrics rows not stored yet."""
    start, end = hour_of(win.start), hour_of(min(win.end, datetime(9999, 1, 1, tzinfo=timezone.utc)))
    if budget.scope.startswith("tag:"):
        return store.spend_totals(LOG, start, end).get(budget.scope, 0.0)
    totals = store.spend_totals(METRICS, start, end)
    for hour, scope, amount in pending:
        if start <= hour < end:
            totals[scope] = totals.get(scope, 0.0) + amount
    totals = totals or store.spend_totals(LOG, start, end)
    if budget.scope == "global":
        return sum(value for scope, value in totals.items() if scope.startswith("model:"))
    return totals.get(budget.scope, 0.0)


def check_budgets(store: Store, budgets: Iterable[Budget], thresholds: Iterable[float], now: datetime,
                  errors: list[str] | None = None) -> tuple[list[BudgetStatus], list[BudgetCrossing]]:
    """Every budget's status, and the thresholds crossed for the first time this period (then remembered)."""
    statuses = evaluate(budgets, lambda budget, win: ledger_spent(store, budget, win), now, errors)
    new = crossings(statuses, thresholds, store.budget_crossings())
    store.mark_budget_crossings((budget_key(c.scope, c.period), c.period_start, c.threshold) for c in new)
    return statuses, new


def prune(store: Store, now: datetime, keep_days: int = 400) -> None:
    """Drop rows older than any period worth keeping (a year and a bit)."""
    store.prune_spend(hour_of(now - timedelta(days=keep_days)))
