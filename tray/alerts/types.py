"""What goes into the alert rules, what comes out of them, and what reaches the desktop.

Events are plain data the engine builds from its sources; `Alert` is one rule firing;
`Notification` is what a person is shown, standing for one or many alerts. Times are epoch
seconds passed in by the caller, so every rule runs on a pinned clock in tests.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, Union

from tray.model import RequestRecord

Severity = Literal["info", "warning", "critical"]
SEVERITY_RANK: dict[str, int] = {"info": 0, "warning": 1, "critical": 2}


@dataclass(frozen=True)
class RequestSeen:
    """A request has started (its first log line): the hanging rule waits for its record."""

    id: str
    model: str | None = None
    time: float | None = None   # when it was seen; None: the `now` it is fed at
    prompt: str = ""            # its last user message (redacted), to tell which one hangs


@dataclass(frozen=True)
class ProxyPoll:
    """One poll of the proxy's health: answered or not, with the reason when not."""

    up: bool
    error: str | None = None


@dataclass(frozen=True)
class BudgetUpdate:
    """A budget's spend as a fraction of its limit (1.0 = all spent).

    `period_key` names the current budget period (e.g. ``2026-12``); without it one is derived
    from `period` and the clock, falling back to one alert per threshold per day as LiteLLM does.
    """

    scope: str
    fraction: float
    period: str = "monthly"
    spent: float | None = None
    limit: float | None = None
    period_key: str | None = None


@dataclass(frozen=True)
class SourceStatus:
    """Whether a data source (``log``, ``metrics``, ``spend``) is delivering, with the reason if not."""

    source: str
    ok: bool
    reason: str | None = None


Event = Union[RequestRecord, RequestSeen, ProxyPoll, BudgetUpdate, SourceStatus]


@dataclass(frozen=True)
class Alert:
    """One rule firing. Text is plain (no markup) and already redacted.

    `group` is what grouping coalesces on (normally the kind; failures during an outage join
    the outage). `absorbs` names groups whose waiting alerts this one makes redundant.
    `urgent` alerts pass the global cap (never pause or quiet hours).
    """

    kind: str
    title: str
    body: str
    time: float
    severity: Severity = "warning"
    subject: str = ""                      # model, budget scope or source the alert is about
    reason: str = ""                       # short cause: error class, "80 %", ...
    request_ids: tuple[str, ...] = ()
    requests: int = 0                      # failed requests it newly reports (for summary counts)
    group: str = ""
    absorbs: tuple[str, ...] = ()
    urgent: bool = False

    @property
    def group_key(self) -> str:
        return self.group or self.kind


@dataclass(frozen=True)
class Notification:
    """What to show: plain title and body, the alerts it stands for and the requests concerned.

    The desktop layer escapes and shortens the text per platform; the menu's "Last alert…"
    item and click-to-open use `request_ids`.
    """

    title: str
    body: str
    severity: Severity
    time: float
    kinds: tuple[str, ...] = ()
    count: int = 1
    request_ids: tuple[str, ...] = ()

    @classmethod
    def of(cls, alert: Alert) -> "Notification":
        return cls(title=alert.title, body=alert.body, severity=alert.severity, time=alert.time,
                   kinds=(alert.kind,), count=1, request_ids=alert.request_ids)


def worst(a: Severity, b: Severity) -> Severity:
    """The more severe of two severities."""
    return a if SEVERITY_RANK[a] >= SEVERITY_RANK[b] else b
