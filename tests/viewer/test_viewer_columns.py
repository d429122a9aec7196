"""How list cells read: failures marked, numbers compact, prompts redacted or hidden."""

from __future__ import annotations

import pytest

from tray.desktop.viewer.columns import (
    COLUMN_KEYS, FAILED_MARK, cells, format_cost, format_latency, format_status, format_time,
    format_tokens, preview,
)
from tray.desktop.viewer.row import Row
from tray.model import RequestRecord


@pytest.fixture(autouse=True)
def utc(monkeypatch: pytest.MonkeyPatch) -> None:
    import time

    monkeypatch.setenv("TZ", "UTC")
    time.tzset()


def test_time_is_local_to_the_second() -> None:
    assert format_time("2026-12-04T19:14:07.123456+00:00") == "2026-12-04 19:14:07"
    assert format_time(None) == ""
    assert format_time("not a time") == "not a time"


def test_status_marks_failures() -> None:
    assert format_status(RequestRecord("a")) == "ok"
    assert format_status(RequestRecord("a", status="error", status_code=500)) == f"{FAILED_MARK} 500"
    assert format_status(RequestRecord("a", status="error")) == f"{FAILED_MARK} error"


def test_numbers() -> None:
    assert format_tokens(RequestRecord("a", total_tokens=11270)) == "11,270"
    assert format_tokens(RequestRecord("a", prompt_tokens=3, completion_tokens=4)) == "7"
    assert format_tokens(RequestRecord("a")) == ""
    assert format_cost(1.35e-05) == "$0.0000135"
    assert format_cost(0.0017) == "$0.0017"
    assert format_cost(0.0123) == "$0.0123"
    assert format_cost(0) == "$0" and format_cost(None) == ""
    assert format_latency(148.2) == "148 ms"
    assert format_latency(2500.0) == "2.5 s"
    assert format_latency(None) == ""


def test_preview_is_first_line_of_last_user_message() -> None:
    record = RequestRecord("a", messages=[{"role": "user", "content": "first\nsecond"}])
    assert preview(Row(1, "", record)) == "first"
    assert preview(Row(1, "stored preview", record)) == "stored preview"


def test_cells_follow_columns_and_redact_or_hide() -> None:
    record = RequestRecord("a", "2026-12-04T19:00:07+00:00", "cheap", status="error", status_code=429,
                           total_tokens=30, cost=0.5, latency_ms=1500, tags=["jobA", "batch"])
    row = Row(1, "my key is sk-proj-ABCDEF1234567890abcdef", record)
    shown = dict(zip(COLUMN_KEYS, cells(row)))
    assert shown == {"time": "2026-12-04 19:00:07", "model": "cheap", "status": f"{FAILED_MARK} 429",
                     "tokens": "30", "cost": "$0.5000", "latency": "1.5 s", "tags": "jobA, batch",
                     "prompt": "my key is [REDACTED]"}
    hidden = dict(zip(COLUMN_KEYS, cells(row, hidden=True)))
    assert hidden["prompt"] == f"[hidden: {len(row.preview)} characters]"
    assert hidden["model"] == "cheap"
