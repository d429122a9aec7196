"""Pause and quiet hours: nothing is shown, then one summary says what happened."""

from __future__ import annotations

import math
from datetime import timezone

import pytest

from tray.alerts import Notifier, ProxyPoll, QuietHours
from tray.config import NotifySettings


def test_pause_for_15_minutes_then_one_summary(failure, now):
    notifier = Notifier(NotifySettings(proxy_down_polls=1), tz=timezone.utc)
    notifier.pause(now, 15 * 60)
    assert notifier.paused_until == now + 900
    shown = []
    for i in range(30):
        shown += notifier.feed(failure(503), now + i * 20)
        shown += notifier.tick(now + i * 20 + 1)
    shown += notifier.feed(ProxyPoll(up=False, error="refused"), now + 700)   # urgent: held too
    assert shown == []
    for second in range(880, 1000):
        shown += notifier.tick(now + second)
    assert len(shown) == 1
    assert shown[0].title == "31 alerts while paused"
    assert shown[0].body.startswith("30 failed requests, 1 proxy down")
    assert notifier.paused_until is None
    assert notifier.last == shown[0]


def test_pause_until_resumed(failure, now):
    notifier = Notifier(tz=timezone.utc)
    notifier.pause(now)
    assert notifier.paused_until == math.inf
    assert notifier.feed(failure(500), now + 5) == []
    assert notifier.tick(now + 10 * 86_400) == []
    shown = notifier.resume(now + 10 * 86_400)
    assert [n.title for n in shown] == ["Request failed: cheap"]   # one held alert: shown as itself
    assert notifier.feed(failure(500), now + 10 * 86_400 + 100)   # and live again


def test_resume_with_nothing_held_says_nothing(now):
    notifier = Notifier(tz=timezone.utc)
    notifier.pause(now, 3600)
    assert notifier.resume(now + 60) == []


def test_quiet_hours_hold_until_they_end(failure, now):
    notifier = Notifier(NotifySettings(quiet_hours="22:00-07:00"), tz=timezone.utc)
    evening = now + 11 * 3600          # 23:00 UTC
    shown = []
    for i in range(3):
        shown += notifier.feed(failure(500, model="balanced"), evening + i * 600)
    for minute in range(0, 8 * 60 + 1):   # tick through the night, once a minute, until 07:00
        shown += notifier.tick(evening + minute * 60)
    assert [n.title for n in shown] == ["3 alerts during quiet hours"]
    assert shown[0].body == "3 failed requests (balanced ×3 InternalServerError)"
    # At noon the next day a failure is shown at once.
    assert len(notifier.feed(failure(500), now + 86_400)) == 1


@pytest.mark.parametrize("text, inside, outside", [
    ("22:00-07:00", ["22:00", "23:59", "00:00", "06:59"], ["07:00", "12:00", "21:59"]),
    ("13:00-14:30", ["13:00", "14:29"], ["12:59", "14:30", "00:00"]),
])
def test_quiet_hours_ranges(text, inside, outside):
    quiet = QuietHours.parse(text)
    midnight = 1796342400.0   # 2026-12-04 00:00 UTC

    def at(hhmm: str) -> float:
        h, m = hhmm.split(":")
        return midnight + int(h) * 3600 + int(m) * 60

    assert all(quiet.contains(at(t), timezone.utc) for t in inside)
    assert not any(quiet.contains(at(t), timezone.utc) for t in outside)


def test_quiet_hours_parse():
    assert QuietHours.parse("") is None
    assert QuietHours.parse(" 7:05 - 9:00 ") == QuietHours(425, 540)
    for bad in ("22-07", "25:00-07:00", "22:00"):
        with pytest.raises(ValueError):
            QuietHours.parse(bad)
