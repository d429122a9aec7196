"""Failed requests and outages: which errors deserve a notification, and when many make an outage.

Client mistakes (a 400 for a bad parameter, a 404 for an unknown model) are the caller's
business and stay quiet; errors from upstream (5xx, timeouts, connection errors, rate limits)
and the 4xx codes a person must act on (401, 403, 429 by default) notify. An outage counts
what LiteLLM's own alerting counts: 408 and 5xx (and errors without a code), 60 s window.
"""

from __future__ import annotations

import re
from collections import Counter, deque
from typing import Iterable

from tray.alerts.text import breakdown, clean, in_last
from tray.alerts.types import Alert
from tray.model import RequestRecord

#: LiteLLM exception classes that mean "upstream failed", whatever status code they carry.
#: (A rate limit is a 429, switched with the other 4xx codes, and is not an outage.)
UPSTREAM_CLASSES = frozenset({
    "Timeout", "APIConnectionError", "APIError", "InternalServerError", "ServiceUnavailableError",
    "BadGatewayError", "APIResponseValidationError", "MidStreamFallbackError",
})

_LITELLM_CLASS = re.compile(r"\blitellm\.([A-Z]\w*)")
_ANY_CLASS = re.compile(r"\b([A-Z]\w*(?:Error|Exception))\b")
_DETAIL = re.compile(r"(?:Exception|Error)\s+-\s+(.+)$")
_PREFIX = re.compile(r"^(?:litellm\.)?[A-Z]\w*(?:Error|Exception)?:\s*")


def error_class(record: RequestRecord) -> str:
    """``RateLimitError``, ``Timeout``, or ``HTTP 500`` when the error names no class."""
    text = record.error or ""
    match = _LITELLM_CLASS.search(text) or _ANY_CLASS.search(text)
    if match:
        return match.group(1)
    return f"HTTP {record.status_code}" if record.status_code else "error"


def error_detail(record: RequestRecord, limit: int = 80) -> str:
    """The human part of the error message, without the repeated class prefixes."""
    line = (record.error or "").strip().splitlines()[0] if record.error else ""
    match = _DETAIL.search(line)
    if match:
        line = match.group(1)
    else:
        for _ in range(3):
            line = _PREFIX.sub("", line, count=1)
    return clean(line, limit)


def is_failure(record: RequestRecord, codes_4xx: Iterable[int]) -> bool:
    """Whether this finished request is a failure worth telling someone about."""
    code = record.status_code
    if record.status != "error" and (code is None or code < 400):
        return False
    if error_class(record) in UPSTREAM_CLASSES or code is None or code >= 500 or code == 408:
        return True
    return code in set(codes_4xx)


def counts_for_outage(record: RequestRecord) -> bool:
    """LiteLLM's outage rule: 408, 5xx and code-less errors; other 4xx are not counted."""
    code = record.status_code
    if record.status != "error" and (code is None or code < 400):
        return False
    return code is None or code >= 500 or code == 408 or error_class(record) in UPSTREAM_CLASSES


def model_name(record: RequestRecord) -> str:
    return clean(record.model or "unknown model", 40)


def failed_alert(record: RequestRecord, now: float, group: str = "") -> Alert:
    """One failed request: the model, the error and the prompt it answered."""
    cls = error_class(record)
    code = f" (HTTP {record.status_code})" if record.status_code and not cls.startswith("HTTP") else ""
    detail = error_detail(record)
    body = f"{cls}{code}" + (f": {detail}" if detail else "")
    prompt = clean(record.last_user_text, 60)
    if prompt:
        body += f"\n“{prompt}”"
    return Alert(kind="failed", title=f"Request failed: {model_name(record)}", body=body, time=now,
                 subject=model_name(record), reason=cls, request_ids=(record.id,), group=group,
                 requests=1)


class OutageRule:
    """Counts outage errors in a sliding window; notifies at the minor, then the major level.

    An episode ends when the window holds fewer errors than the minor level; the next crossing
    is a new outage.
    """

    def __init__(self, minor: int = 5, major: int = 10, window: float = 60.0) -> None:
        self.minor, self.major, self.window = minor, max(major, minor), window
        self._errors: deque[tuple[float, str, str, str]] = deque(maxlen=max(self.major, 10_000))
        self.level = 0   # 0 none, 1 minor, 2 major

    def _prune(self, now: float) -> None:
        while self._errors and self._errors[0][0] <= now - self.window:
            self._errors.popleft()
        if len(self._errors) < self.minor:
            self.level = 0

    def active(self, now: float) -> bool:
        self._prune(now)
        return self.level > 0

    def on_error(self, record: RequestRecord, now: float) -> Alert | None:
        """Count one outage error; an Alert when it takes the outage to a new level."""
        self._prune(now)
        self._errors.append((now, model_name(record), error_class(record), record.id))
        count = len(self._errors)
        level = 2 if count >= self.major else 1 if count >= self.minor else 0
        if level <= self.level:
            return None
        self.level = level
        name = "major" if level == 2 else "minor"
        counts = Counter((model, cls) for _, model, cls, _ in self._errors)
        return Alert(
            kind="outage", title=f"Outage ({name}): {count} errors {in_last(self.window)}",
            body=breakdown(counts), time=now, severity="critical" if level == 2 else "warning",
            subject=model_name(record), reason=error_class(record),
            request_ids=tuple(rid for *_, rid in list(self._errors)[-50:]),
            absorbs=("failed",), requests=1,
        )
