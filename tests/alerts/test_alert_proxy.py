"""Proxy down and back up, said once each; sources lost, said once per loss."""

from __future__ import annotations

from datetime import timezone

from tray.alerts import Notifier, ProxyPoll, SourceStatus
from tray.config import NotifySettings


def test_down_for_30_minutes_then_back_gives_exactly_two(failure, now):
    notifier = Notifier(tz=timezone.utc)
    shown = notifier.feed(ProxyPoll(up=True), now)
    for i in range(1, 181):   # a poll every 10 s, none answered, for 30 minutes
        t = now + i * 10
        shown += notifier.feed(ProxyPoll(up=False, error="connection refused"), t)
        if i >= 3:   # once it is down, failures (say, a proxy answering 503) stay quiet
            shown += notifier.feed(failure(503), t + 1)
        shown += notifier.tick(t + 2)
    shown += notifier.feed(ProxyPoll(up=True), now + 1810)
    for i in range(120):
        shown += notifier.feed(ProxyPoll(up=True), now + 1820 + i * 10)
        shown += notifier.tick(now + 1820 + i * 10)
    assert [n.title for n in shown] == ["LiteLLM proxy is down", "LiteLLM proxy is back up"]
    assert shown[0].body == "3 polls failed in a row: connection refused"
    assert shown[0].severity == "critical"
    assert shown[1].body.startswith("It was down for 30 min.")
    assert "failed requests meanwhile" in shown[1].body


def test_a_blip_shorter_than_n_polls_says_nothing(now):
    notifier = Notifier(NotifySettings(proxy_down_polls=3), tz=timezone.utc)
    shown = []
    for i, up in enumerate([False, False, True, False, True]):
        shown += notifier.feed(ProxyPoll(up=up, error="timeout"), now + i * 10)
    assert shown == []


def test_down_discards_waiting_request_summaries(failure, now):
    notifier = Notifier(tz=timezone.utc)
    shown = notifier.feed(failure(429), now)
    shown += notifier.feed(failure(429), now + 1)          # waits for the window's summary
    for i in range(3):
        shown += notifier.feed(ProxyPoll(up=False, error="refused"), now + 2 + i)
    for second in range(200):
        shown += notifier.tick(now + 5 + second)
    assert [n.title for n in shown] == ["Request failed: cheap", "LiteLLM proxy is down"]


def test_source_lost_once_per_loss(now):
    notifier = Notifier(tz=timezone.utc)
    shown = []
    for i in range(5):
        shown += notifier.feed(SourceStatus("log", ok=False, reason="permission denied"), now + i * 10)
    shown += notifier.feed(SourceStatus("log", ok=True), now + 100)
    shown += notifier.feed(SourceStatus("log", ok=False, reason="file deleted"), now + 200)
    assert [(n.title, n.body) for n in shown] == [
        ("Lost the log source", "permission denied"), ("Lost the log source", "file deleted")]


def test_metrics_lost_while_the_proxy_is_down_is_not_said_twice(now):
    notifier = Notifier(NotifySettings(proxy_down_polls=1), tz=timezone.utc)
    shown = notifier.feed(ProxyPoll(up=False, error="refused"), now)
    shown += notifier.feed(SourceStatus("metrics", ok=False, reason="refused"), now + 1)
    shown += notifier.feed(ProxyPoll(up=True), now + 10)
    shown += notifier.feed(SourceStatus("metrics", ok=False, reason="401 Unauthorized"), now + 11)
    assert [n.title for n in shown] == [
        "LiteLLM proxy is down", "LiteLLM proxy is back up", "Lost the metrics source"]


def test_switches_turn_rules_off(now):
    settings = NotifySettings(proxy=False, source_lost=False, proxy_down_polls=1)
    notifier = Notifier(settings, tz=timezone.utc)
    assert notifier.feed(ProxyPoll(up=False), now) == []
    assert notifier.feed(SourceStatus("log", ok=False), now + 1) == []
