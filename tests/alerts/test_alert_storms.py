"""Many failures at once: a person gets a few notifications with counts, not a thousand."""

from __future__ import annotations

from datetime import timezone

from tray.alerts import Notification, Notifier
from tray.config import NotifySettings


def drain(notifier: Notifier, start: float, seconds: float) -> list[Notification]:
    """Tick once a second, as the engine's timer does."""
    out: list[Notification] = []
    for second in range(int(seconds) + 1):
        out += notifier.tick(start + second)
    return out


def test_first_failure_notifies_at_once(failure, now):
    notifier = Notifier(tz=timezone.utc)
    shown = notifier.feed(failure(429, model="cheap", id="r1"), now)
    assert len(shown) == 1
    assert shown[0].title == "Request failed: cheap"
    assert "RateLimitError (HTTP 429)" in shown[0].body
    assert shown[0].request_ids == ("r1",)
    assert notifier.last == shown[0]


def test_storm_of_1000_upstream_failures_within_a_minute_gives_at_most_3(failure, now):
    notifier = Notifier(tz=timezone.utc)
    shown: list[Notification] = []
    for i in range(1000):
        t = now + i * 0.059   # 1 000 failures in 59 s
        record = failure(500, model="cheap") if i % 5 else failure(408, model="balanced")
        shown += notifier.feed(record, t)
        shown += notifier.tick(t)
    shown += drain(notifier, now + 60, 180)
    assert 1 <= len(shown) <= 3, [n.title for n in shown]
    assert shown[0].title == "Request failed: balanced"
    assert shown[1].title == "Outage (minor): 5 errors in the last minute"
    last = shown[-1]
    assert last.title == "Outage (major): 995 failed requests in the last minute"
    assert last.body == "cheap ×796 InternalServerError, balanced ×199 Timeout"
    assert last.severity == "critical"
    assert last.request_ids   # the viewer can open the latest of them


def test_storm_of_1000_rate_limits_gives_one_then_a_summary_with_counts(failure, now):
    notifier = Notifier(tz=timezone.utc)
    shown: list[Notification] = []
    for i in range(1000):
        shown += notifier.feed(failure(429, model="cheap" if i % 3 else "balanced"), now + i * 0.05)
    shown += drain(notifier, now + 50, 200)
    assert [n.title for n in shown] == [
        "Request failed: balanced", "999 failed requests in the last minute"]
    assert shown[1].body == "cheap ×666 RateLimitError, balanced ×333 RateLimitError"
    assert shown[1].count == 999


def test_summary_wording_names_models_and_errors(failure, now):
    notifier = Notifier(tz=timezone.utc)
    shown = notifier.feed(failure(429, model="cheap"), now)
    for i in range(10):
        shown += notifier.feed(failure(429, model="cheap"), now + 1 + i)
    for i in range(4):
        shown += notifier.feed(failure(408, model="balanced"), now + 20 + i)
    shown += drain(notifier, now + 30, 60)
    summary = shown[-1]
    assert f"{summary.title}: {summary.body}" == (
        "14 failed requests in the last minute: cheap ×10 RateLimitError, balanced ×4 Timeout")


def test_400s_are_not_counted_for_an_outage(failure, now):
    notifier = Notifier(tz=timezone.utc)
    shown: list[Notification] = []
    for i in range(4):
        shown += notifier.feed(failure(500), now + i)
    for i in range(200):   # client mistakes: neither failures to notify nor outage errors
        shown += notifier.feed(failure(400), now + 5 + i * 0.1)
    shown += notifier.feed(failure(404), now + 30)
    assert [n.title for n in shown] == ["Request failed: cheap"]
    assert not notifier.rules.outage.active(now + 30)
    shown = notifier.feed(failure(500), now + 31)   # the fifth counted error in 60 s
    assert [n.title for n in shown] == ["Outage (minor): 5 errors in the last minute"]


def test_global_cap_then_one_summary(failure, now):
    settings = NotifySettings(cap=5, cap_seconds=600, outage=False)
    notifier = Notifier(settings, tz=timezone.utc)
    shown: list[tuple[float, Notification]] = []
    # A failure every 10 s for 30 minutes: one summary a minute would be 30 notifications.
    for i in range(180):
        t = now + i * 10
        shown += [(t, n) for n in notifier.feed(failure(503), t)]
        shown += [(t, n) for n in notifier.tick(t)]
    times = [t for t, _ in shown]
    for start in times:
        assert sum(1 for t in times if start <= t < start + 600) <= 5
    held = [n for _, n in shown if n.title.endswith("more alerts")]
    assert held, [n.title for _, n in shown]
    assert "failed requests" in held[0].body and held[0].count > 1


def test_urgent_alerts_pass_the_cap(failure, now):
    from tray.alerts import ProxyPoll

    notifier = Notifier(NotifySettings(cap=1, proxy_down_polls=1), tz=timezone.utc)
    assert notifier.feed(failure(500), now)
    assert [n.title for n in notifier.feed(ProxyPoll(up=False, error="refused"), now + 1)] == [
        "LiteLLM proxy is down"]
