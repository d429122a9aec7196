"""The one object the engine talks to: events in, notifications to show out.

    notifier = Notifier.from_settings(settings)
    for n in notifier.feed(record, time.time()): deliver(n)     # per event
    for n in notifier.tick(time.time()): deliver(n)             # on a timer, about every second

Pure: the clock is always passed in. A lock lets the menu pause/resume while the engine feeds.
"""

from __future__ import annotations

import threading
from datetime import tzinfo

from tray.alerts.grouping import Grouper
from tray.alerts.rules import Rules
from tray.alerts.schedule import QuietHours
from tray.alerts.types import Event, Notification
from tray.config import NotifySettings, Settings


class Notifier:
    """Rules plus grouping, with pause/resume for the menu and the last notification for it."""

    def __init__(self, settings: NotifySettings | None = None,
                 thresholds: tuple[float, ...] = (0.5, 0.8, 1.0), tz: tzinfo | None = None) -> None:
        self.settings = s = settings or NotifySettings()
        self.rules = Rules(s, thresholds, tz)
        self.grouper = Grouper(s.group_seconds, s.cap, s.cap_seconds,
                               QuietHours.parse(s.quiet_hours), tz)
        self.last: Notification | None = None
        self._lock = threading.Lock()

    @classmethod
    def from_settings(cls, settings: Settings, tz: tzinfo | None = None) -> "Notifier":
        return cls(settings.notify, settings.thresholds, tz)

    def feed(self, event: Event, now: float) -> list[Notification]:
        """Take one event (a finished RequestRecord, RequestSeen, ProxyPoll, BudgetUpdate,
        SourceStatus); return the notifications to show now (often none)."""
        with self._lock:
            alerts = self.rules.feed(event, now)
            if not self.settings.enabled:
                return []
            if not alerts:   # still let ended windows and pauses speak
                return self._kept(self.grouper.tick(now))
            return self._kept([n for a in alerts for n in self.grouper.add(a, now)])

    def tick(self, now: float) -> list[Notification]:
        """Hanging requests, ended group windows, the cap freeing up, a pause ending."""
        with self._lock:
            alerts = self.rules.tick(now)
            if not self.settings.enabled:
                return []
            out = [n for a in alerts for n in self.grouper.add(a, now)]
            return self._kept(out + self.grouper.tick(now))

    def pause(self, now: float, seconds: float | None = None) -> None:
        """Hold notifications for `seconds` (15 min, 1 h, ...), or until `resume` when None."""
        with self._lock:
            self.grouper.pause_for(now, seconds)

    def resume(self, now: float) -> list[Notification]:
        """End a pause; returns the one summary of what was held, if anything was."""
        with self._lock:
            return self._kept(self.grouper.resume(now))

    @property
    def paused_until(self) -> float | None:
        """When the pause ends (``math.inf``: until resumed); None when not paused."""
        return self.grouper.pause.until

    def _kept(self, notifications: list[Notification]) -> list[Notification]:
        if notifications:
            self.last = notifications[-1]
        return notifications
