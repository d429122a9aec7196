"""When notifications are held back: a pause the person chose, or quiet hours every day."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import datetime, tzinfo

_RANGE = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*$")


@dataclass(frozen=True)
class QuietHours:
    """A daily range in local time, minutes after midnight; it may run past midnight."""

    start: int
    end: int

    @classmethod
    def parse(cls, text: str) -> "QuietHours | None":
        """``22:00-07:00`` -> QuietHours; empty -> None. Raises ValueError on anything else."""
        if not text.strip():
            return None
        match = _RANGE.match(text)
        if not match:
            raise ValueError(f"quiet hours must look like 22:00-07:00, not {text!r}")
        h1, m1, h2, m2 = (int(x) for x in match.groups())
        if h1 > 23 or h2 > 23 or m1 > 59 or m2 > 59:
            raise ValueError(f"quiet hours must look like 22:00-07:00, not {text!r}")
        return cls(h1 * 60 + m1, h2 * 60 + m2)

    def contains(self, now: float, tz: tzinfo | None = None) -> bool:
        moment = datetime.fromtimestamp(now, tz)
        minute = moment.hour * 60 + moment.minute
        if self.start <= self.end:
            return self.start <= minute < self.end
        return minute >= self.start or minute < self.end


class Pause:
    """A pause for some time or until resumed (`until` is then infinite)."""

    def __init__(self) -> None:
        self.until: float | None = None

    def start(self, now: float, seconds: float | None = None) -> None:
        self.until = math.inf if seconds is None else now + seconds

    def stop(self) -> None:
        self.until = None

    def active(self, now: float) -> bool:
        if self.until is not None and now >= self.until:
            self.until = None
        return self.until is not None
