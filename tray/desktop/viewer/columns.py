"""The list's columns: their titles, how each cell reads, and how each column sorts.

One table drives the Treeview, the sort and the test hook, so a column is added in one place.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Callable

from tray.desktop.viewer.row import Row
from tray.desktop.viewer.shown import shown
from tray.model import RequestRecord

FAILED_MARK = "✗"


def format_time(value: str | None) -> str:
    """A stored ISO time in local time, to the second; unreadable times are shown as stored."""
    if not value:
        return ""
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return value
    if moment.tzinfo is not None:
        moment = moment.astimezone()
    return moment.strftime("%Y-%m-%d %H:%M:%S")


def format_status(record: RequestRecord) -> str:
    """'ok', or the failure mark and the code: failed rows must stand out even without colour."""
    if record.status == "ok":
        return "ok"
    return f"{FAILED_MARK} {record.status_code}" if record.status_code else f"{FAILED_MARK} error"


def format_tokens(record: RequestRecord) -> str:
    total = record.total_tokens
    if total is None and record.prompt_tokens is not None and record.completion_tokens is not None:
        total = record.prompt_tokens + record.completion_tokens
    return "" if total is None else f"{total:,}"


def format_cost(cost: float | None) -> str:
    """Dollars; tiny per-request costs keep three significant digits instead of rounding to 0."""
    if cost is None:
        return ""
    if cost == 0:
        return "$0"
    if cost >= 0.01:
        return f"${cost:.4f}"
    digits = 2 - math.floor(math.log10(cost))
    return "$" + f"{cost:.{digits}f}".rstrip("0")


def format_latency(latency_ms: float | None) -> str:
    if latency_ms is None:
        return ""
    return f"{latency_ms:.0f} ms" if latency_ms < 1000 else f"{latency_ms / 1000:.1f} s"


def preview(row: Row) -> str:
    """The first line of the last user message (the store's preview, else from the messages)."""
    text = row.preview or row.record.last_user_text.strip()
    return text.splitlines()[0] if text else ""


@dataclass(frozen=True)
class Column:
    """One list column: `cell` renders a row's value (masked when hidden), `sort_key` orders rows."""

    key: str
    title: str
    width: int
    anchor: str
    cell: Callable[[Row, bool], str]
    sort_key: Callable[[Row], Any]


def _on_record(read: Callable[[RequestRecord], Any]) -> Callable[[Row], Any]:
    return lambda row: read(row.record)


COLUMNS: tuple[Column, ...] = (
    Column("time", "Time", 170, "w", lambda r, h: format_time(r.record.time),
           _on_record(lambda r: r.time)),
    Column("model", "Model", 120, "w", lambda r, h: r.record.model or "",
           _on_record(lambda r: r.model)),
    Column("status", "Status", 70, "w", lambda r, h: format_status(r.record),
           _on_record(lambda r: 0 if r.status == "ok" else (r.status_code or 1))),
    Column("tokens", "Tokens", 70, "e", lambda r, h: format_tokens(r.record),
           _on_record(lambda r: r.total_tokens)),
    Column("cost", "Cost", 100, "e", lambda r, h: format_cost(r.record.cost),
           _on_record(lambda r: r.cost)),
    Column("latency", "Latency", 75, "e", lambda r, h: format_latency(r.record.latency_ms),
           _on_record(lambda r: r.latency_ms)),
    Column("tags", "Tags", 110, "w", lambda r, h: ", ".join(r.record.tags),
           _on_record(lambda r: ", ".join(r.tags) or None)),
    Column("prompt", "Prompt", 420, "w", lambda r, h: shown(preview(r), h),
           lambda r: preview(r).lower()),
)
COLUMN_KEYS = tuple(column.key for column in COLUMNS)
_BY_KEY = {column.key: column for column in COLUMNS}


def column(key: str) -> Column:
    return _BY_KEY[key]


def cells(row: Row, hidden: bool = False) -> tuple[str, ...]:
    """The list line for `row`, one string per column."""
    return tuple(c.cell(row, hidden) for c in COLUMNS)
