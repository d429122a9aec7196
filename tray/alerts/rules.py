"""All alert rules behind one `feed`/`tick`, each switched and tuned by `NotifySettings`.

Pure and single-threaded: events in, `Alert`s out, time passed in. While the proxy is down,
per-request alerts are counted instead of raised: the "down" notification already says it.
"""

from __future__ import annotations

from datetime import datetime, tzinfo

from tray.alerts.budget import BudgetRule
from tray.alerts.failures import OutageRule, counts_for_outage, failed_alert, is_failure
from tray.alerts.health import ProxyRule, SourceRule
from tray.alerts.latency import HangingRule, slow_alert
from tray.alerts.types import Alert, BudgetUpdate, Event, ProxyPoll, RequestSeen, SourceStatus
from tray.config import NotifySettings
from tray.model import RequestRecord


class Rules:
    """Turns source events into alerts. Call `feed` per event and `tick` on a timer (~1 s)."""

    def __init__(self, settings: NotifySettings | None = None,
                 thresholds: tuple[float, ...] = (0.5, 0.8, 1.0), tz: tzinfo | None = None) -> None:
        self.settings = s = settings or NotifySettings()
        self.outage = OutageRule(s.outage_minor, s.outage_major, s.outage_seconds)
        self.hanging = HangingRule(s.hanging_seconds)
        self.budget = BudgetRule(thresholds, s.budget_hysteresis, tz)
        self.proxy = ProxyRule(s.proxy_down_polls)
        self.sources = SourceRule()
        self.silenced = 0   # request alerts held back during the current proxy outage

    def feed(self, event: Event, now: float) -> list[Alert]:
        alert: Alert | None = None
        if isinstance(event, RequestRecord):
            return self._record(event, now)
        if isinstance(event, RequestSeen):
            if self.settings.hanging:
                self.hanging.seen(event, now)
        elif isinstance(event, ProxyPoll):
            alert = self.proxy.on_poll(event, now, self.silenced)
            if not self.proxy.down:
                self.silenced = 0
            if not self.settings.proxy:
                alert = None
        elif isinstance(event, BudgetUpdate):
            alert = self.budget.on_update(event, now) if self.settings.budget else None
        elif isinstance(event, SourceStatus):
            alert = self.sources.on_status(event, now, self.proxy.down)
            if not self.settings.source_lost:
                alert = None
        return [alert] if alert else []

    def tick(self, now: float) -> list[Alert]:
        """Time-driven alerts: requests that have been hanging too long."""
        return self._unless_down(self.hanging.due(now))

    def _record(self, record: RequestRecord, now: float) -> list[Alert]:
        was_hanging = self.hanging.finished(record.id)
        if self._stale(record, now):
            return []
        s = self.settings
        if is_failure(record, s.failed_4xx):
            if s.outage and counts_for_outage(record):
                alert = self.outage.on_error(record, now)
                if alert:
                    return self._unless_down([alert])
            if s.failed:
                group = "outage" if self.outage.active(now) else ""
                return self._unless_down([failed_alert(record, now, group)])
            return []
        seconds = (record.latency_ms or 0) / 1000
        if s.slow and record.status == "ok" and seconds >= s.slow_seconds and not was_hanging:
            return self._unless_down([slow_alert(record, seconds, now)])
        return []

    def _unless_down(self, alerts: list[Alert]) -> list[Alert]:
        if self.proxy.down and self.settings.proxy:
            self.silenced += sum(1 for a in alerts if a.requests)
            return []
        return alerts

    def _stale(self, record: RequestRecord, now: float) -> bool:
        """A record whose own (zone-aware) time is long past: a replay, not news."""
        try:
            moment = datetime.fromisoformat(record.time) if record.time else None
        except ValueError:
            return False
        if moment is None or moment.tzinfo is None:
            return False
        return now - moment.timestamp() > self.settings.max_age_seconds
