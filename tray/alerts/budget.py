"""Budget thresholds: each line (50/80/100 %) notifies once per budget period.

Spend read from metrics jitters (a refund, a late cost line, two sources disagreeing), so a
line that fired must see the fraction drop clearly below it (hysteresis) before it can fire
again, and never twice in the same period. Crossing several lines at once notifies the highest.
"""

from __future__ import annotations

from datetime import datetime, tzinfo

from tray.alerts.text import clean, percent
from tray.alerts.types import Alert, BudgetUpdate, Severity

_DAY = ("daily", "day", "1d", "24h")
_WEEK = ("weekly", "week", "1w", "7d")
_MONTH = ("monthly", "month", "1mo")
_YEAR = ("yearly", "year", "1y", "annual")


def period_key(period: str, now: float, tz: tzinfo | None = None) -> str:
    """The name of the budget period `now` falls in: ``2026-12``, ``2026-W49``, ``2026-12-04``.

    A rolling duration (``30d``, ``30s``) has no calendar anchor here: one alert per threshold
    per day, LiteLLM's own default.
    """
    moment = datetime.fromtimestamp(now, tz)
    name = period.strip().lower()
    if name in _MONTH:
        return moment.strftime("%Y-%m")
    if name in _WEEK:
        year, week, _ = moment.isocalendar()
        return f"{year}-W{week:02d}"
    if name in _YEAR:
        return moment.strftime("%Y")
    return moment.strftime("%Y-%m-%d")


def scope_label(scope: str) -> str:
    """``global`` -> ``global budget``, ``model:cheap`` -> ``model cheap``."""
    kind, _, name = scope.partition(":")
    return clean(f"{kind} {name}" if name else f"{kind} budget", 50)


class BudgetRule:
    """Fires each threshold once per (budget scope, period), with hysteresis."""

    def __init__(self, thresholds: tuple[float, ...] = (0.5, 0.8, 1.0), hysteresis: float = 0.02,
                 tz: tzinfo | None = None) -> None:
        self.thresholds = tuple(sorted(t for t in thresholds if t > 0))
        self.hysteresis = hysteresis
        self.tz = tz
        self._period: dict[str, str] = {}
        self._fired: dict[str, set[float]] = {}
        self._disarmed: dict[str, set[float]] = {}

    def prime(self, scope: str, key: str, thresholds: set[float]) -> None:
        """Thresholds that already fired this period before the app restarted."""
        if self._period.get(scope) != key:
            self._period[scope] = key
            self._fired[scope] = set()
        self._fired[scope] |= thresholds
        self._disarmed.setdefault(scope, set()).update(thresholds)

    def fired(self, scope: str) -> set[float]:
        """Thresholds of `scope` that have fired in its current period."""
        return set(self._fired.get(scope, ()))

    def on_update(self, update: BudgetUpdate, now: float) -> Alert | None:
        scope, fraction = update.scope, update.fraction
        key = update.period_key or period_key(update.period, now, self.tz)
        if self._period.get(scope) != key:
            self._period[scope] = key
            self._fired[scope] = set()
        fired = self._fired[scope]
        disarmed = self._disarmed.setdefault(scope, set())
        disarmed -= {t for t in disarmed if fraction < t - self.hysteresis}
        reached = [t for t in self.thresholds if fraction >= t]
        crossed = [t for t in reached if t not in fired and t not in disarmed]
        disarmed.update(reached)
        if not crossed:
            return None
        fired.update(reached)
        return _budget_alert(update, max(crossed), now)


def _budget_alert(update: BudgetUpdate, threshold: float, now: float) -> Alert:
    severity: Severity = "critical" if threshold >= 1 else "warning" if threshold >= 0.8 else "info"
    if update.spent is not None and update.limit:
        body = f"${update.spent:,.2f} of ${update.limit:,.2f} spent ({clean(update.period, 20)})."
    else:
        body = f"{percent(update.fraction)} of the {clean(update.period, 20)} budget spent."
    return Alert(kind="budget", title=f"Budget {percent(threshold)} reached: {scope_label(update.scope)}",
                 body=body, time=now, severity=severity, subject=scope_label(update.scope),
                 reason=percent(threshold), urgent=threshold >= 1)
