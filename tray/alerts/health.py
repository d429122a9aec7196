"""The proxy going down and coming back, and data sources getting lost.

One failed poll is a blip (a restart, a slow answer); "down" needs N in a row, and then it is
said once, as is "back up". A source is reported lost once per loss, on the transition.
"""

from __future__ import annotations

from tray.alerts.text import clean, duration
from tray.alerts.types import Alert, ProxyPoll, SourceStatus

#: Groups a "proxy down" makes redundant: their failures are consequences of it.
REQUEST_GROUPS = ("failed", "outage", "slow", "hanging")


class ProxyRule:
    """Counts consecutive failed polls; says "down" at the Nth and "back up" after that."""

    def __init__(self, polls: int = 3) -> None:
        self.polls = max(1, polls)
        self._failures = 0
        self._first_failure: float | None = None
        self.down = False

    def on_poll(self, poll: ProxyPoll, now: float, silenced: int = 0) -> Alert | None:
        """`silenced` is how many request failures were held back while down (for the "up" text)."""
        if poll.up:
            was_down, since = self.down, self._first_failure
            self._failures, self._first_failure, self.down = 0, None, False
            if not was_down:
                return None
            body = f"It was down for {duration(now - (since or now))}."
            if silenced:
                body += f" {silenced} failed requests meanwhile were not notified one by one."
            return Alert(kind="proxy_up", title="LiteLLM proxy is back up", body=body, time=now,
                         severity="info", subject="proxy", urgent=True)
        self._failures += 1
        if self._first_failure is None:
            self._first_failure = now
        if self.down or self._failures < self.polls:
            return None
        self.down = True
        reason = clean(poll.error or "no answer", 120)
        return Alert(kind="proxy_down", title="LiteLLM proxy is down",
                     body=f"{self._failures} polls failed in a row: {reason}", time=now,
                     severity="critical", subject="proxy", reason=reason, urgent=True,
                     absorbs=REQUEST_GROUPS)


class SourceRule:
    """Reports a source lost once per loss; a recovery re-arms it silently (the menu shows it)."""

    def __init__(self) -> None:
        self._lost: set[str] = set()

    def on_status(self, status: SourceStatus, now: float, proxy_down: bool = False) -> Alert | None:
        name = clean(status.source, 30)
        if status.ok:
            self._lost.discard(name)
            return None
        # Proxy sources fail while the proxy is down: that is already said, and not remembered
        # as lost so a source still failing once the proxy is back is reported then.
        if name in self._lost or (proxy_down and name != "log"):
            return None
        self._lost.add(name)
        return Alert(kind="source_lost", title=f"Lost the {name} source",
                     body=clean(status.reason or "it stopped delivering data", 200), time=now,
                     subject=name)
