"""Alerts waiting to be told together, kept as counts so a storm of thousands costs no memory,
and the wording of the one notification that stands for them.
"""

from __future__ import annotations

from collections import Counter, deque
from dataclasses import dataclass, field

from tray.alerts.text import breakdown, count_label, in_last
from tray.alerts.types import SEVERITY_RANK, Alert, Notification, Severity, worst

MAX_IDS = 100


@dataclass
class Tally:
    """Counts of alerts by kind, failed requests by (model, error), and the latest request ids."""

    count: int = 0
    requests: int = 0
    kinds: Counter[str] = field(default_factory=Counter)
    failures: Counter[tuple[str, str]] = field(default_factory=Counter)
    subjects: Counter[tuple[str, str]] = field(default_factory=Counter)
    request_ids: deque[str] = field(default_factory=lambda: deque(maxlen=MAX_IDS))
    severity: Severity = "info"
    urgent: bool = False
    first: Alert | None = None
    headline: Alert | None = None   # the most severe non-request alert, latest on a tie

    def __bool__(self) -> bool:
        return self.count > 0

    @classmethod
    def of(cls, alert: Alert) -> "Tally":
        tally = cls(count=1, requests=alert.requests, kinds=Counter([alert.kind]),
                    subjects=Counter([(alert.subject, alert.reason)]), severity=alert.severity,
                    urgent=alert.urgent, first=alert,
                    headline=alert if alert.kind != "failed" else None)
        if alert.requests:
            tally.failures[(alert.subject, alert.reason)] = alert.requests
        tally.request_ids.extend(alert.request_ids)
        return tally

    def add(self, alert: Alert) -> "Tally":
        return self.merge(Tally.of(alert))

    def merge(self, other: "Tally") -> "Tally":
        """Add `other`'s alerts to these (the later headline wins a tie in severity)."""
        if not other:
            return self
        self.count += other.count
        self.requests += other.requests
        self.kinds.update(other.kinds)
        self.failures.update(other.failures)
        self.subjects.update(other.subjects)
        self.request_ids.extend(other.request_ids)
        self.severity = worst(self.severity, other.severity)
        self.urgent = self.urgent or other.urgent
        self.first = self.first or other.first
        if other.headline and (
            self.headline is None
            or SEVERITY_RANK[other.headline.severity] >= SEVERITY_RANK[self.headline.severity]
        ):
            self.headline = other.headline
        return self

    def notification(self, title: str, body: str, now: float) -> Notification:
        return Notification(title=title, body=body, severity=self.severity, time=now,
                            kinds=tuple(self.kinds), count=self.count,
                            request_ids=tuple(self.request_ids))


def group_summary(group: str, tally: Tally, window: float, now: float) -> Notification:
    """One group's waiting alerts: ``14 failed requests in the last minute: cheap ×10 ...``."""
    if tally.count == 1 and tally.first:
        return Notification.of(tally.first)
    since = in_last(window)
    if group == "outage" and tally.requests:
        head = tally.headline
        level = ("major" if head.severity == "critical" else "minor") if head else ""
        title = f"Outage ({level})" if level else "Outage continues"
        return tally.notification(f"{title}: {count_label('failed', tally.requests)} {since}",
                                  breakdown(tally.failures), now)
    if group == "failed":
        return tally.notification(f"{count_label('failed', tally.requests)} {since}",
                                  breakdown(tally.failures), now)
    if group in ("slow", "hanging") or len(tally.kinds) == 1:
        kind = next(iter(tally.kinds))
        return tally.notification(f"{count_label(kind, tally.count)} {since}",
                                  breakdown(tally.subjects), now)
    return mixed_summary(tally, f"{tally.count} alerts {since}", now)


def mixed_summary(tally: Tally, title: str, now: float) -> Notification:
    """Alerts of many kinds (held by the cap, a pause or quiet hours) in one notification."""
    if tally.count == 1 and tally.first:
        return Notification.of(tally.first)
    body = ", ".join(count_label(kind, n) if kind != "failed" else count_label(kind, tally.requests)
                     for kind, n in tally.kinds.most_common())
    if tally.failures:
        body += f" ({breakdown(tally.failures)})"
    return tally.notification(title, body, now)
