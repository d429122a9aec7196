"""Wording shared by the rules and the summaries: short, plain, redacted.

A notification is read in a glance, so every piece of text is cut short here; anything taken
from a log (model names, prompts, error messages) passes through `clean`, which redacts.
"""

from __future__ import annotations

import re
from collections import Counter
from typing import Iterable

from tray.redact import redact

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]|\x1b\[[0-9;]*m")

# kind -> (one, many)
_LABELS: dict[str, tuple[str, str]] = {
    "failed": ("failed request", "failed requests"),
    "outage": ("outage alert", "outage alerts"),
    "slow": ("slow request", "slow requests"),
    "hanging": ("hanging request", "hanging requests"),
    "budget": ("budget alert", "budget alerts"),
    "proxy_down": ("proxy down", "proxy down alerts"),
    "proxy_up": ("proxy back up", "proxy back up alerts"),
    "source_lost": ("source lost", "sources lost"),
}


def clean(text: object, limit: int = 80) -> str:
    """One line of at most `limit` characters, without secrets, colour codes or control bytes."""
    value = redact(str(text if text is not None else "")) or ""
    value = " ".join(_CONTROL.sub("", value).split())
    return value if len(value) <= limit else value[: limit - 1].rstrip() + "…"


def count_label(kind: str, n: int) -> str:
    """``3 failed requests``, ``1 slow request``."""
    one, many = _LABELS.get(kind, (kind.replace("_", " "), kind.replace("_", " ")))
    return f"{n} {one if n == 1 else many}"


def duration(seconds: float) -> str:
    """``45 s``, ``30 min``, ``2 h 5 min``."""
    seconds = max(0, round(seconds))
    if seconds < 120:
        return f"{seconds} s"
    minutes = seconds // 60
    if minutes < 120:
        return f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes} min" if minutes else f"{hours} h"


def in_last(seconds: float) -> str:
    """``in the last minute``, ``in the last 5 min``."""
    return "in the last minute" if round(seconds) == 60 else f"in the last {duration(seconds)}"


def percent(fraction: float) -> str:
    return f"{fraction * 100:.0f} %"


def breakdown(counts: Counter[tuple[str, str]], most: int = 3) -> str:
    """``cheap ×10 RateLimitError, balanced ×4 Timeout`` (``×1`` left out when all are single)."""
    items = counts.most_common()
    singles = all(n == 1 for _, n in items)
    parts = []
    for (subject, reason), n in items[:most]:
        words: Iterable[str] = (subject or "?", "" if singles else f"×{n}", reason)
        parts.append(" ".join(w for w in words if w))
    rest = sum(n for _, n in items[most:])
    if rest:
        parts.append(f"{rest} more")
    return ", ".join(parts)
