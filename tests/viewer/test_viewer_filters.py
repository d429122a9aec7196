"""The find bar's free-text fields become store query arguments."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from tray.desktop.viewer.filters import Filter, FilterError, parse_status, parse_time_range

NOW = datetime(2026, 12, 4, 20, 0, 0, tzinfo=timezone.utc)


@pytest.fixture(autouse=True)
def utc(monkeypatch: pytest.MonkeyPatch) -> None:
    """Naive times are local: pin local time to UTC so the expectations are fixed."""
    import time

    monkeypatch.setenv("TZ", "UTC")
    time.tzset()


@pytest.mark.parametrize("text, expected", [
    ("", (None, None)), ("any", (None, None)), ("ok", ("ok", None)), ("Error", ("error", None)),
    ("429", (None, 429)), (" 500 ", (None, 500)),
])
def test_status(text: str, expected: tuple) -> None:
    assert parse_status(text) == expected


@pytest.mark.parametrize("text", ["failed", "42", "6000"])
def test_status_rejects(text: str) -> None:
    with pytest.raises(FilterError, match="ok, error or an HTTP code"):
        parse_status(text)


@pytest.mark.parametrize("text, expected", [
    ("", (None, None)),
    ("any time", (None, None)),
    ("last hour", ("2026-12-04T19:00:00+00:00", None)),
    ("last 15 minutes", ("2026-12-04T19:45:00+00:00", None)),
    ("30m", ("2026-12-04T19:30:00+00:00", None)),
    ("2h", ("2026-12-04T18:00:00+00:00", None)),
    ("last 3d", ("2026-12-01T20:00:00+00:00", None)),
    ("1w", ("2026-11-27T20:00:00+00:00", None)),
    ("2026-12-04", ("2026-12-04T00:00:00+00:00", "2026-12-05T00:00:00+00:00")),
    ("2026-12-01..2026-12-03", ("2026-12-01T00:00:00+00:00", "2026-12-04T00:00:00+00:00")),
    ("2026-12-04T19:05..", ("2026-12-04T19:05:00+00:00", None)),
    ("..2026-12-04 19:05", (None, "2026-12-04T19:05:00+00:00")),
    ("2026-12-04T21:05+02:00", ("2026-12-04T19:05:00+00:00", None)),
    ("2026-12-04T19:05Z", ("2026-12-04T19:05:00+00:00", None)),
])
def test_time_range(text: str, expected: tuple) -> None:
    assert parse_time_range(text, NOW) == expected


@pytest.mark.parametrize("text", ["yesterday-ish", "2026-13-01", "5 parsecs"])
def test_time_range_rejects(text: str) -> None:
    with pytest.raises(FilterError, match="last hour"):
        parse_time_range(text, NOW)


def test_query_passes_fields_through() -> None:
    query = Filter(text="  hello ", model="cheap", status="error", tag="jobA",
                   time_range="last hour").query(NOW)
    assert query == {"text": "hello", "model": "cheap", "status": "error", "status_code": None,
                     "tag": "jobA", "since": "2026-12-04T19:00:00+00:00", "until": None}


def test_defaults_do_not_narrow() -> None:
    defaults = Filter(model="any", status="any", tag="any", time_range="any time")
    assert not defaults.narrows
    assert defaults.query(NOW) == {"text": "", "model": None, "status": None, "status_code": None,
                                   "tag": None, "since": None, "until": None}
    assert Filter(text="x").narrows and Filter(tag="jobA").narrows
