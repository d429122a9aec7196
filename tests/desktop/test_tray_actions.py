"""What a menu click does: the app's one action handler, with fake spawn and opener hooks.

No display: the entries come from `build_menu`, the clicks go through the pystray items
(the dummy backend) into `TrayApp.act`, and the fakes record what would have been started.
"""

from __future__ import annotations

import queue
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest

from tray.alerts.types import Notification
from tray.config import Settings
from tray.desktop.app import TrayApp, opener_command
from tray.desktop.menu import Entry, build_menu, open_action
from tray.engine import Engine
from tray.state import AlertLine, RecentPrompt, TrayState

from test_tray_icon_menu import state


class FakeEngine:
    def __init__(self) -> None:
        self.calls: list[tuple[str, Any]] = []

    def pause_notifications(self, seconds: float | None) -> None:
        self.calls.append(("pause", seconds))

    def resume_notifications(self) -> None:
        self.calls.append(("resume", None))

    def refresh_now(self) -> None:
        self.calls.append(("refresh", None))


@pytest.fixture
def app(tmp_path: Path) -> TrayApp:
    settings = Settings(log_path=tmp_path / "litellm.log", proxy_url="http://127.0.0.1:4000",
                        data_dir=tmp_path / "data", config_path=tmp_path / "config" / "tray.toml")
    spawned: list[list[str]] = []
    opened: list[str] = []
    made = TrayApp(settings, spawn=lambda command, env: spawned.append(command),
                   opener=lambda target: opened.append(str(target)))
    made.engine = FakeEngine()
    made.spawned, made.opened = spawned, opened  # type: ignore[attr-defined]
    return made


def find(entries: list[Entry], text: str) -> Entry:
    for entry in entries:
        if entry.text == text:
            return entry
        if entry.children:
            try:
                return find(list(entry.children), text)
            except LookupError:
                pass
    raise LookupError(text)


def click(app: TrayApp, entries: list[Entry], text: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Click the item through pystray (dummy backend), as the GUI thread would."""
    monkeypatch.setenv("PYSTRAY_BACKEND", "dummy")
    pystray = pytest.importorskip("pystray")
    from tray.desktop.menu import to_pystray

    def walk(items: Any) -> Any:
        for item in items:
            if item.text == text:
                return item
            if isinstance(item.submenu, pystray.Menu):
                found = walk(item.submenu.items)
                if found is not None:
                    return found
        return None

    item = walk(pystray.Menu(*to_pystray(entries, app.act)).items)
    assert item is not None, text
    item(None)


def test_recent_prompt_opens_the_viewer_on_that_request(app: TrayApp, monkeypatch: pytest.MonkeyPatch) -> None:
    entries = build_menu(state(recent=(RecentPrompt("chatcmpl-42", "15:29:00", "cheap", "Hello", False),)), now=0)
    click(app, entries, "15:29:00  cheap · Hello", monkeypatch)
    (command,) = app.spawned  # type: ignore[attr-defined]
    assert command[:4] == [sys.executable, "-m", "tray", "viewer"]
    assert command[-2:] == ["--request", "chatcmpl-42"]
    assert command[command.index("--proxy") + 1] == "http://127.0.0.1:4000"


def test_open_viewer_has_no_request(app: TrayApp, monkeypatch: pytest.MonkeyPatch) -> None:
    click(app, build_menu(state(), now=0), "Open viewer…", monkeypatch)
    (command,) = app.spawned  # type: ignore[attr-defined]
    assert "viewer" in command and "--request" not in command


def test_last_alert_opens_its_first_request(app: TrayApp, monkeypatch: pytest.MonkeyPatch) -> None:
    alert = AlertLine("Request failed: cheap", "15:28", ("req-1", "req-2"))
    click(app, build_menu(state(last_alert=alert), now=0), alert.label, monkeypatch)
    assert app.spawned[0][-2:] == ["--request", "req-1"]  # type: ignore[attr-defined]
    assert open_action(()) == ("open_viewer", None)      # an alert about no request: the viewer
    app._open_requests(("req-9", "req-10"))              # a clicked notification does the same
    assert app.spawned[1][-2:] == ["--request", "req-9"]  # type: ignore[attr-defined]


def test_log_ui_and_settings_use_the_platform_opener(app: TrayApp, monkeypatch: pytest.MonkeyPatch) -> None:
    entries = build_menu(state(), now=0)
    for text in ("Open log file", "Open LiteLLM UI", "Settings…"):
        click(app, entries, text, monkeypatch)
    settings = app.settings
    assert app.opened == [str(settings.log_path), "http://127.0.0.1:4000/ui",  # type: ignore[attr-defined]
                          str(settings.config_path)]
    assert Path(settings.config_path).read_text(encoding="utf-8").startswith("# litellm-tray settings")


@pytest.mark.parametrize("platform, command", [("linux", ["xdg-open", "/x/l.log"]),
                                               ("darwin", ["open", "/x/l.log"]), ("win32", None)])
def test_opener_per_platform(platform: str, command: list[str] | None) -> None:
    assert opener_command("/x/l.log", platform) == command


def test_pause_items_and_refresh_reach_the_engine(app: TrayApp, monkeypatch: pytest.MonkeyPatch) -> None:
    entries = build_menu(state(), now=0)
    for text in ("For 15 minutes", "For 1 hour", "Until resumed", "Refresh now"):
        click(app, entries, text, monkeypatch)
    calls = app.engine.calls  # type: ignore[attr-defined]
    assert [c for c in calls if c[0] == "pause"] == [("pause", 900.0), ("pause", 3600.0), ("pause", None)]
    click(app, build_menu(state(paused_until=float("inf")), now=0), "Resume notifications", monkeypatch)
    assert ("resume", None) in calls and calls[-1] == ("refresh", None)


def test_pause_reaches_a_real_engine(tmp_path: Path) -> None:
    settings = Settings(log_path=tmp_path / "l.log", proxy_url="http://127.0.0.1:9", data_dir=tmp_path / "d",
                        litellm_config=tmp_path / "none.yaml", env_file=tmp_path / "none.env")
    engine = Engine(settings, transport=httpx.MockTransport(lambda r: httpx.Response(503)), environ={})
    app = TrayApp(settings, spawn=lambda c, e: None, opener=lambda t: None)
    app.engine = engine

    def drain(now: float) -> None:
        while True:
            try:
                kind, data = engine._events.get_nowait()
            except queue.Empty:
                return
            engine.handle(kind, data, now)

    try:
        for seconds in (900.0, 3600.0):
            app.act(("pause", seconds))
            drain(1000.0)
            assert engine.notifier.paused_until == 1000.0 + seconds
        app.act(("pause", None))
        drain(1000.0)
        assert engine.compute(1000.0).paused_until == float("inf")
        app.act(("resume", None))
        drain(1001.0)
        assert engine.notifier.paused_until is None
    finally:
        engine.stop(0.1)


def test_delivery_failure_and_last_alert_reach_the_state(tmp_path: Path) -> None:
    settings = Settings(log_path=tmp_path / "l.log", proxy_url="http://127.0.0.1:9", data_dir=tmp_path / "d",
                        litellm_config=tmp_path / "none.yaml", env_file=tmp_path / "none.env")
    engine = Engine(settings, transport=httpx.MockTransport(lambda r: httpx.Response(503)), environ={})
    try:
        note = Notification("Proxy down", "connection refused", "critical", 1000.0)
        engine.handle("delivered", (note, "no notification backend could deliver (x: gone)"), 1001.0)
        state: TrayState = engine.compute(1001.0)
        assert state.last_alert is not None and state.last_alert.title == "Proxy down"
        assert state.notify_error == "no notification backend could deliver (x: gone)"
        engine.handle("delivered", (note, None), 1002.0)
        assert engine.compute(1002.0).notify_error is None
    finally:
        engine.stop(0.1)


class StoppedEngine:
    secrets: tuple[str, ...] = ()

    def start(self) -> None:
        pass

    def stop(self, timeout: float) -> bool:
        return False


def test_a_backend_failing_while_it_closes_after_quit_is_no_crash(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    """pystray's GTK backend hides a notification over D-Bus after its loop; with the session
    bus already closed (Ctrl+C, logout) that raised out of the app as a traceback."""
    monkeypatch.setenv("PYSTRAY_BACKEND", "dummy")
    pystray = pytest.importorskip("pystray")
    settings = Settings(log_path=tmp_path / "litellm.log", proxy_url="http://127.0.0.1:4000",
                        data_dir=tmp_path / "data", config_path=tmp_path / "config" / "tray.toml")
    made = TrayApp(settings, engine_factory=lambda *a, **k: StoppedEngine())

    class ClosingIcon(pystray.Icon):
        asked_to_quit = True

        def run(self, setup: Any = None) -> None:
            if self.asked_to_quit:
                made.quit()                      # Quit, Ctrl+C or SIGTERM
            raise RuntimeError("g-io-error-quark: The connection is closed (18)")

    monkeypatch.setattr(pystray, "Icon", ClosingIcon)
    assert made.run() == 0
    assert "failed while closing" in caplog.text
    ClosingIcon.asked_to_quit = False           # the same failure with no quit asked for is a bug
    with pytest.raises(RuntimeError):
        TrayApp(settings, engine_factory=lambda *a, **k: StoppedEngine()).run()
