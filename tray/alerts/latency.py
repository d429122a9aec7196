"""Slow and hanging requests.

A request is slow when its record arrives with a latency over the threshold, and hanging when
it was seen starting but no record has come after the hanging threshold (LiteLLM: 300 s).
A request reported as hanging is not reported again as slow when it finally finishes.
"""

from __future__ import annotations

from collections import OrderedDict

from tray.alerts.failures import model_name
from tray.alerts.text import clean, duration
from tray.alerts.types import Alert, RequestSeen
from tray.model import RequestRecord

#: Requests remembered at most; the oldest are forgotten first (a log that never logs ends).
MAX_TRACKED = 10_000


def slow_alert(record: RequestRecord, seconds: float, now: float) -> Alert:
    return Alert(kind="slow", title=f"Slow request: {model_name(record)}",
                 body=f"Took {duration(seconds)}.", time=now, severity="info",
                 subject=model_name(record), request_ids=(record.id,))


class HangingRule:
    """Remembers started requests and reports each one once when it has run too long."""

    def __init__(self, threshold: float = 300.0) -> None:
        self.threshold = threshold
        self._open: OrderedDict[str, tuple[float, str, str]] = OrderedDict()   # start, model, prompt
        self._reported: OrderedDict[str, None] = OrderedDict()

    def seen(self, event: RequestSeen, now: float) -> None:
        if event.id in self._open or event.id in self._reported:
            return
        self._open[event.id] = (event.time if event.time is not None else now,
                                clean(event.model or "unknown model", 40), clean(event.prompt, 60))
        while len(self._open) > MAX_TRACKED:
            self._open.popitem(last=False)

    def finished(self, request_id: str) -> bool:
        """Forget a request that has its record; True if it had been reported hanging."""
        self._open.pop(request_id, None)
        if request_id in self._reported:
            del self._reported[request_id]
            return True
        return False

    def due(self, now: float) -> list[Alert]:
        """Alerts for requests open longer than the threshold (oldest first, each once)."""
        alerts = []
        while self._open:
            request_id, (started, model, prompt) = next(iter(self._open.items()))
            if now - started < self.threshold:
                break
            self._open.popitem(last=False)
            self._reported[request_id] = None
            while len(self._reported) > MAX_TRACKED:
                self._reported.popitem(last=False)
            body = f"No answer after {duration(now - started)}." + (f"\n“{prompt}”" if prompt else "")
            alerts.append(Alert(kind="hanging", title=f"Request hanging: {model}", body=body, time=now,
                                subject=model, request_ids=(request_id,)))
        return alerts
