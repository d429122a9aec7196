"""The exact menu lines a person sees in each state: proxy down, no data yet, prompts not
visible in the log, metrics unavailable, the last alert and failed notifications.

Built through the real path (`compute_state` -> `build_menu` -> `texts`) on a pinned clock."""

from __future__ import annotations

from datetime import datetime, timezone

from tray.alerts.types import Notification
from tray.desktop.menu import build_menu, texts
from tray.model import Health, MetricsSnapshot, ProxySnapshot
from tray.state import PROMPTS_HINT, RecordTally, compute_state

UTC = timezone.utc
NOW = datetime(2026, 12, 4, 15, 30, tzinfo=UTC).timestamp()
URL = "http://localhost:8000"
COMMANDS = ["Open viewer…", "Open log file", "Open LiteLLM UI", "---", "Pause notifications",
            "  For 15 minutes", "  For 1 hour", "  Until resumed", "Settings…", "Refresh now", "---", "Quit"]


def lines(snapshot: ProxySnapshot | None, **kwargs: object) -> list[str]:
    state = compute_state(RecordTally(NOW - 60, tz=UTC), snapshot, [], now=NOW, proxy_url=URL, tz=UTC,
                          **kwargs)  # type: ignore[arg-type]
    return texts(build_menu(state, now=NOW))


def up(metrics: MetricsSnapshot | None = None, metrics_error: str | None = None) -> ProxySnapshot:
    snap = ProxySnapshot(url=URL, taken_at=NOW, health=Health(URL, True, None, 4.0), metrics=metrics,
                         metrics_error=metrics_error)
    if metrics_error:
        snap.errors.append(metrics_error)
    return snap


def test_no_data_yet() -> None:
    assert lines(None) == [
        "Proxy http://localhost:8000: checking…",
        "Requests today: 0 · 0 failed",
        "Since start: 0 · 0 failed",
        "Spend today: ?",
        "Spend by model", "  no figures yet",
        "Spend by tag", "  no tagged spend yet",
        "---",
        "Recent prompts", "  none yet",
        *COMMANDS,
    ]


def test_proxy_down() -> None:
    snap = ProxySnapshot(url=URL, taken_at=NOW, health=Health(URL, False, "connection refused"))
    snap.errors.append("proxy down: connection refused")
    shown = lines(snap)
    assert shown[:4] == ["Proxy DOWN · connection refused", "Requests today: 0 · 0 failed",
                         "Since start: 0 · 0 failed", "Spend today: ?"]
    assert "⚠ proxy down: connection refused" in shown


def test_prompts_not_visible_in_the_log() -> None:
    shown = lines(up(MetricsSnapshot(taken_at=NOW, era="current")), prompts_visible=False)
    assert PROMPTS_HINT == "Prompts not visible in this log: start LiteLLM with --detailed_debug"
    assert shown[shown.index("---") - 1] == PROMPTS_HINT


def test_metrics_unavailable() -> None:
    reason = "metrics: /metrics answered 404 (is the prometheus callback enabled?)"
    shown = lines(up(metrics_error=reason))
    assert shown[0] == "Proxy up · http://localhost:8000 · 4 ms"
    assert f"⚠ {reason}" in shown
    assert not any(line.startswith(("Proxy counted:", "Tokens:")) for line in shown)
    assert "Spend today: ?" in shown


def test_last_alert_and_failed_notifications() -> None:
    note = Notification("Request failed: cheap", "429 rate limited", "warning", NOW - 90,
                        request_ids=("req-1", "req-2"))
    shown = lines(up(), last_alert=note, notify_error="no notification backend could deliver (x: gone)")
    assert "Last alert: Request failed: cheap (15:28)…" in shown
    assert "⚠ Notifications: no notification backend could deliver (x: gone)" in shown
    assert shown.index("Last alert: Request failed: cheap (15:28)…") == shown.index("Open viewer…") - 1


def test_requests_under_way() -> None:
    """Requests running for a while are listed under the recent prompts, the longest-running
    first, at most ten (the rest counted); they are not in the store yet, so not clickable."""
    tally = RecordTally(NOW - 600, tz=UTC)
    tally.start([(f"id{i}", "cheap", f"Long job number {i}") for i in range(12)], NOW - 30)
    state = compute_state(tally, up(), [], now=NOW, proxy_url=URL, tz=UTC)
    menu = build_menu(state, now=NOW)
    shown = texts(menu)
    at = shown.index("Under way (12)")
    assert shown[at - 2:at] == ["Recent prompts", "  none yet"]
    assert shown[at + 1:at + 12] == [f"  since 15:29:30  cheap · Long job number {i}" for i in range(10)] \
        + ["  … and 2 more"]
    [entry] = [e for e in menu if e.text == "Under way (12)"]
    assert not any(child.enabled or child.action for child in entry.children)
    assert "Under way" not in " ".join(lines(up()))
