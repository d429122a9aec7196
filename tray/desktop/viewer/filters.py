"""What the viewer's find bar asks for, turned into the store's query arguments.

The bar's fields are free text (a person may type "2h" or "2026-12-01..2026-12-04"), so the
parsing lives here, pure and tested, and the window only passes strings through.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from typing import Any

ANY = ""
STATUS_CHOICES = ("any", "ok", "error")
TIME_PRESETS: dict[str, timedelta | None] = {
    "any time": None,
    "last 15 minutes": timedelta(minutes=15),
    "last hour": timedelta(hours=1),
    "last 24 hours": timedelta(days=1),
    "last 7 days": timedelta(days=7),
}
_UNITS = {"m": "minutes", "min": "minutes", "h": "hours", "d": "days", "w": "weeks"}
_RELATIVE = re.compile(r"^(?:last\s+)?(\d+)\s*(m|min|h|d|w)$")


class FilterError(ValueError):
    """A find-bar field that cannot be understood; the message says what is accepted."""


@dataclass(frozen=True)
class Filter:
    """The find bar's fields as typed. Empty or "any" means no restriction."""

    text: str = ""
    model: str = ANY
    status: str = ANY
    tag: str = ANY
    time_range: str = ANY

    def query(self, now: datetime) -> dict[str, Any]:
        """Keyword arguments for `Store.viewer_rows`; raises FilterError on a field it cannot read."""
        since, until = parse_time_range(self.time_range, now)
        status, status_code = parse_status(self.status)
        return {
            "text": self.text.strip(),
            "model": _optional(self.model),
            "status": status,
            "status_code": status_code,
            "tag": _optional(self.tag),
            "since": since,
            "until": until,
        }

    @property
    def narrows(self) -> bool:
        """Whether any field restricts the list (the status bar says so)."""
        fields = (self.text, self.model, self.status, self.tag, self.time_range)
        return any(value.strip().lower() not in _NO_LIMIT for value in fields)


_NO_LIMIT = (ANY, "any", "any time")


def _optional(value: str) -> str | None:
    value = value.strip()
    return None if value.lower() in _NO_LIMIT else value


def parse_status(text: str) -> tuple[str | None, int | None]:
    """"ok" / "error" -> (status, None); "429" -> (None, 429); "" or "any" -> (None, None)."""
    value = text.strip().lower()
    if value in _NO_LIMIT:
        return None, None
    if value in ("ok", "error"):
        return value, None
    if value.isdigit() and 100 <= int(value) <= 599:
        return None, int(value)
    raise FilterError(f"status {text!r}: use ok, error or an HTTP code such as 429")


def parse_time_range(text: str, now: datetime) -> tuple[str | None, str | None]:
    """(since, until) as UTC ISO strings comparable with stored times, from what a person typed.

    Accepted: a preset ("last hour"), a span back from now ("30m", "2h", "3d", "1w"),
    a day ("2026-12-04"), a time ("2026-12-04T10:00"), or a range "FROM..TO" of those
    (either side may be empty; a day as TO includes that whole day). Times without an offset
    are local time.
    """
    value = text.strip().lower()
    if value in _NO_LIMIT:
        return None, None
    if value in TIME_PRESETS:
        span = TIME_PRESETS[value]
        return (None, None) if span is None else (_iso(now - span), None)
    match = _RELATIVE.match(value)
    if match:
        amount, unit = int(match.group(1)), _UNITS[match.group(2)]
        return _iso(now - timedelta(**{unit: amount})), None
    if ".." in value:
        start, _, end = value.partition("..")
        since = _iso(_point(start, end_of_day=False)) if start.strip() else None
        until = _iso(_point(end, end_of_day=True)) if end.strip() else None
        return since, until
    if _is_day(value):
        return _iso(_point(value, end_of_day=False)), _iso(_point(value, end_of_day=True))
    return _iso(_point(value, end_of_day=False)), None


def _is_day(value: str) -> bool:
    return bool(re.fullmatch(r"\d{4}-\d{2}-\d{2}", value.strip()))


def _point(text: str, *, end_of_day: bool) -> datetime:
    """One side of a range; a bare day is its start, or the next day's start as an end."""
    value = text.strip()
    try:
        if _is_day(value):
            day = date.fromisoformat(value) + timedelta(days=1 if end_of_day else 0)
            return datetime.combine(day, time()).astimezone()
        value = value.upper().replace(" ", "T")
        moment = datetime.fromisoformat(value[:-1] + "+00:00" if value.endswith("Z") else value)
    except ValueError:
        raise FilterError(
            f"time {text.strip()!r}: use 'last hour', '2h', '3d', '2026-12-04' or FROM..TO"
        ) from None
    return moment if moment.tzinfo else moment.astimezone()


def _iso(moment: datetime) -> str:
    """The store's time format: UTC, seconds precision, '+00:00' offset."""
    return moment.astimezone(timezone.utc).replace(microsecond=0).isoformat()
