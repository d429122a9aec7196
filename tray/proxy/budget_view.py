"""Budgets as a one-off look (`litellm-tray status`) sees them, from the best figures at hand.

In order: LiteLLM's database for tag budgets (`/spend/tags` over the period's dates); the
app's ledger, when the tray app has kept one, brought up to this poll's counters without
writing it; otherwise spend since the proxy started (counters), or from the log.
"""

from __future__ import annotations

import sqlite3
from datetime import date, datetime
from pathlib import Path
from typing import Iterable, Mapping

from tray.config import Budget
from tray.model import BudgetStatus, ProxySnapshot
from tray.proxy.budgets import SpentFn, evaluate, spent_from_totals
from tray.proxy.client import ProxyClient, ProxyError
from tray.proxy.ledger import METRICS, ledger_spent, metrics_rows
from tray.proxy.periods import EPOCH, Window
from tray.proxy.spend import SpendUnavailable, spend_by_tag
from tray.store import Store


def one_off_statuses(budgets: Iterable[Budget], snap: ProxySnapshot, client: ProxyClient,
                     totals: tuple[float | None, Mapping[str, float], Mapping[str, float] | None],
                     store_path: Path, now: datetime, errors: list[str]) -> list[BudgetStatus]:
    """Each budget's status now. `totals` is (total, by model, by tag) as this poll found them."""
    budgets = list(budgets)
    if not budgets:
        return []
    store = _open_ledger(store_path)
    try:
        base = _ledger_spent(store, snap, now) if store is not None else None
        if base is None:
            base = spent_from_totals(*totals)
        if snap.spend is not None and snap.spend.has_database:
            base = with_database_tags(base, client, now)
        return evaluate(budgets, base, now, errors)
    finally:
        if store is not None:
            store.close()


def _open_ledger(path: Path) -> Store | None:
    if not path.exists():
        return None
    try:
        return Store(path, readonly=True)
    except sqlite3.Error:
        return None


def _ledger_spent(store: Store, snap: ProxySnapshot, now: datetime) -> SpentFn | None:
    """Ledger spend when the app has recorded any, with this poll's growth added in memory."""
    try:
        marks = store.spend_marks(METRICS)
    except sqlite3.Error:
        return None
    if marks is None:
        return None
    pending = metrics_rows(marks, snap.metrics, now)[0] if snap.metrics is not None else []
    return lambda budget, win: ledger_spent(store, budget, win, pending)


def with_database_tags(base: SpentFn, client: ProxyClient, now: datetime) -> SpentFn:
    """`base`, except tag budgets: those from `/spend/tags` over the period's dates (one request a period)."""
    cache: dict[tuple[date | None, date | None], dict[str, float] | None] = {}

    def spent(budget: Budget, win: Window) -> float | None:
        if not budget.scope.startswith("tag:"):
            return base(budget, win)
        dates = (None, None) if win.start == EPOCH else (win.start.date(), now.date())
        if dates not in cache:
            try:
                cache[dates] = spend_by_tag(client, *dates)
            except (SpendUnavailable, ProxyError):
                cache[dates] = None
        by_tag = cache[dates]
        return by_tag.get(budget.scope[4:], 0.0) if by_tag is not None else base(budget, win)

    return spent
