"""From alerts to the few notifications a person will put up with.

- The first alert of a group is told at once; more of the group within the window wait and
  become one summary when it ends (and a new window starts if there were any).
- At most `cap` notifications per `cap_seconds`; beyond that, alerts wait and become one
  summary when the cap allows. Urgent alerts (proxy down/up, budget spent) pass the cap.
- While paused or in quiet hours nothing is told; afterwards one summary says what happened.
"""

from __future__ import annotations

from collections import deque
from datetime import tzinfo
from typing import Callable

from tray.alerts.schedule import Pause, QuietHours
from tray.alerts.tally import Tally, group_summary, mixed_summary
from tray.alerts.types import Alert, Notification


class Grouper:
    """Pure and single-threaded: `add` per alert, `tick` on a timer; both return what to show."""

    def __init__(self, window: float = 60.0, cap: int = 5, cap_seconds: float = 600.0,
                 quiet: QuietHours | None = None, tz: tzinfo | None = None) -> None:
        self.window, self.cap, self.cap_seconds = window, cap, cap_seconds
        self.quiet, self.tz = quiet, tz
        self.pause = Pause()
        self._window_end: dict[str, float] = {}
        self._waiting: dict[str, Tally] = {}
        self._sent: deque[float] = deque()
        self._over_cap = Tally()
        self._held = Tally()
        self._held_why = ""

    def add(self, alert: Alert, now: float) -> list[Notification]:
        out = self.tick(now)
        for group in alert.absorbs:
            self._waiting.pop(group, None)
        if self._holding(now):
            self._hold(Tally.of(alert), now)
            return out
        key = alert.group_key
        if now < self._window_end.get(key, -1.0):
            self._waiting.setdefault(key, Tally()).add(alert)
            return out
        self._window_end[key] = now + self.window
        return out + self._tell(Tally.of(alert), now, lambda: Notification.of(alert))

    def tick(self, now: float) -> list[Notification]:
        out: list[Notification] = []
        holding = self._holding(now)
        if self._held and not holding:
            held, self._held = self._held, Tally()
            out += self._tell(held, now, lambda: mixed_summary(
                held, f"{held.count} alerts {self._held_why}", now))
        for key, end in list(self._window_end.items()):
            if now < end:
                continue
            waiting = self._waiting.pop(key, None)
            if not waiting:
                del self._window_end[key]
                continue
            self._window_end[key] = now + self.window
            out += self._tell(waiting, now, lambda t=waiting, k=key: group_summary(
                k, t, self.window, now))
        if self._over_cap and not holding and self._cap_allows(now):
            over, self._over_cap = self._over_cap, Tally()
            out += self._tell(over, now, lambda: mixed_summary(
                over, f"{over.count} more alerts", now))
        return out

    def pause_for(self, now: float, seconds: float | None = None) -> None:
        """Hold everything for `seconds`, or until `resume` when None."""
        self.pause.start(now, seconds)

    def resume(self, now: float) -> list[Notification]:
        self.pause.stop()
        return self.tick(now)

    def _holding(self, now: float) -> bool:
        return self.pause.active(now) or bool(self.quiet and self.quiet.contains(now, self.tz))

    def _hold(self, tally: Tally, now: float) -> None:
        if not self._held:
            self._held_why = "while paused" if self.pause.active(now) else "during quiet hours"
        self._held.merge(tally)

    def _cap_allows(self, now: float) -> bool:
        while self._sent and self._sent[0] <= now - self.cap_seconds:
            self._sent.popleft()
        return len(self._sent) < self.cap

    def _tell(self, tally: Tally, now: float, render: Callable[[], Notification]) -> list[Notification]:
        """Show now, or hold back (paused, quiet hours, over the cap) to be summarised later."""
        if self._holding(now):
            self._hold(tally, now)
            return []
        if not tally.urgent and (self._over_cap or not self._cap_allows(now)):
            self._over_cap.merge(tally)   # joins what already waits: no queue jumping
            return []
        self._sent.append(now)
        return [render()]
