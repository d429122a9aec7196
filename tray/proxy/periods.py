"""Budget periods: which window of time a budget's spend counts in, at a given moment.

Windows follow LiteLLM's own resets (litellm_core_utils/duration_parser.py): `1d` at midnight,
`7d` on Monday, `30d` and `1mo` on the 1st of the month, `Nh`/`Nm`/`Ns` at multiples of N within
the day or hour. Other day counts are N-day blocks counted from 1970-01-01. The app's words
(`daily`, `weekly`, `monthly`, `yearly`) are calendar periods; `lifetime` never resets.
Pure: the moment is a parameter, so tests pin it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
_DURATION = re.compile(r"^\s*(\d+)\s*(mo|s|m|h|d|w)\s*$")
_WORDS = {
    "daily": ("d", 1), "day": ("d", 1), "weekly": ("w", 1), "week": ("w", 1),
    "monthly": ("mo", 1), "month": ("mo", 1), "yearly": ("y", 1), "annually": ("y", 1),
    "year": ("y", 1), "hourly": ("h", 1), "lifetime": ("life", 0), "total": ("life", 0),
    "never": ("life", 0), "": ("life", 0),
}


@dataclass(frozen=True)
class Window:
    """[start, end) of the current period; `key` names it (stable across restarts)."""

    start: datetime
    end: datetime

    @property
    def key(self) -> str:
        return "" if self.start == EPOCH else self.start.isoformat()


def parse_period(period: str) -> tuple[str, int]:
    """(unit, count) for a period word or a LiteLLM duration; ValueError when it is neither."""
    text = str(period).strip().lower()
    if text in _WORDS:
        return _WORDS[text]
    match = _DURATION.match(text)
    if not match or int(match.group(1)) <= 0:
        raise ValueError(f"unknown budget period {period!r} (daily, weekly, monthly, or 30s, 12h, 7d, 1mo...)")
    unit, count = match.group(2), int(match.group(1))
    if unit == "d" and count in (7, 30):         # LiteLLM: 7d is a week from Monday, 30d a calendar month
        return ("w", 1) if count == 7 else ("mo", 1)
    return unit, count


def zone(name: str | None) -> tzinfo | None:
    """A named timezone; None (this computer's local time) for no name or an unknown one."""
    if not name:
        return None
    if name.upper() == "UTC":
        return timezone.utc
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None


def window(period: str, now: datetime, tz: tzinfo | None = None) -> Window:
    """The period containing `now` (aware), its boundaries in `tz` (None: local time)."""
    unit, count = parse_period(period)
    if unit == "life":
        return Window(EPOCH, datetime.max.replace(tzinfo=timezone.utc))
    local = now.astimezone(tz) if tz is not None else now.astimezone()
    naive = local.replace(tzinfo=None)
    start, end = _bounds(unit, count, naive)
    return Window(_aware(start, tz), _aware(end, tz))


def _aware(naive: datetime, tz: tzinfo | None) -> datetime:
    return naive.replace(tzinfo=tz) if tz is not None else naive.astimezone()


def _bounds(unit: str, n: int, t: datetime) -> tuple[datetime, datetime]:
    midnight = datetime(t.year, t.month, t.day)
    if unit == "d":
        if n == 1:
            return midnight, midnight + timedelta(days=1)
        block = (t.date() - date(1970, 1, 1)).days // n * n
        start = datetime(1970, 1, 1) + timedelta(days=block)
        return start, start + timedelta(days=n)
    if unit == "w":
        monday = midnight - timedelta(days=t.weekday())
        weeks = (monday.date() - date(1970, 1, 5)).days // 7     # 1970-01-05 was a Monday
        start = monday - timedelta(weeks=weeks % n)
        return start, start + timedelta(weeks=n)
    if unit == "mo":
        index = (t.year * 12 + t.month - 1) // n * n
        return _month(index), _month(index + n)
    if unit == "y":
        return datetime(t.year, 1, 1), datetime(t.year + 1, 1, 1)
    return _clock_block(unit, n, t, midnight)


def _month(index: int) -> datetime:
    return datetime(index // 12, index % 12 + 1, 1)


def _clock_block(unit: str, n: int, t: datetime, midnight: datetime) -> tuple[datetime, datetime]:
    """Hours within the day, minutes within the hour, seconds within the minute, as LiteLLM aligns them."""
    size, within, outer, position = {
        "h": (3600, 24, midnight, t.hour),
        "m": (60, 60, t.replace(minute=0, second=0, microsecond=0), t.minute),
        "s": (1, 60, t.replace(second=0, microsecond=0), t.second),
    }[unit]
    if n >= within:                                      # longer than its container: blocks from 1970
        seconds = int((t - datetime(1970, 1, 1)).total_seconds())
        start = datetime(1970, 1, 1) + timedelta(seconds=seconds // (n * size) * n * size)
        return start, start + timedelta(seconds=n * size)
    start = outer + timedelta(seconds=position // n * n * size)
    end = min(start + timedelta(seconds=n * size), outer + timedelta(seconds=within * size))
    return start, end
