"""The tray app: the one place that wires settings, engine, icon, menu and notifications.

pystray runs on the main thread. Workers never touch it: the engine's `on_state` only keeps
the newest `TrayState` and asks pystray to refresh; pystray builds the menu (from that state)
and swaps the icon on its own GUI thread (the gtk backend schedules both on its main loop).
Quit, Ctrl+C and SIGTERM all end `icon.run()`; then every thread is stopped within 2 s.
"""

from __future__ import annotations

import json
import logging
import logging.handlers
import os
import signal
import subprocess
import sys
import threading
import time
import webbrowser
from pathlib import Path
from typing import Any, Callable

from tray.config import Settings, default_config_path
from tray.desktop import icon as icons
from tray.desktop.menu import Action, build_menu, open_action, texts, to_pystray
from tray.desktop.panel_process import Panel, enable_xorg_clicks, has_menu
from tray.desktop.viewer.process import spawn_child, viewer_command, viewer_environment
from tray.redact import redact
from tray.state import TrayState

log = logging.getLogger(__name__)

MENU_DUMP_ENV = "LITELLM_TRAY_MENU_DUMP"   # test seam: write the menu as JSON on every change
APP_LOG_NAME = "litellm-tray.log"
STOP_SECONDS = 2.0


class _RedactingFilter(logging.Filter):
    def __init__(self, secrets: tuple[str, ...]) -> None:
        super().__init__()
        self.secrets = secrets

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = redact(record.getMessage(), self.secrets) or ""
        record.args = None
        return True


def setup_app_log(settings: Settings, secrets: tuple[str, ...] = ()) -> Path:
    """The app's own log: rotated, private, redacted. It never gets prompts (nothing logs them)."""
    folder = Path(settings.log_dir)
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    path = folder / APP_LOG_NAME
    old = os.umask(0o077)
    try:
        handler = logging.handlers.RotatingFileHandler(path, maxBytes=1024 * 1024, backupCount=3, encoding="utf-8")
    finally:
        os.umask(old)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(threadName)s %(name)s: %(message)s"))
    handler.addFilter(_RedactingFilter(secrets))
    root = logging.getLogger()
    root.addHandler(handler)
    if root.level == logging.NOTSET or root.level > logging.INFO:
        root.setLevel(logging.INFO)
    return path


def opener_command(target: Path | str, platform: str = sys.platform) -> list[str] | None:
    """The platform's "open this" command; None on Windows, where `os.startfile` does it."""
    if platform.startswith("win"):
        return None
    return ["open" if platform == "darwin" else "xdg-open", str(target)]


def open_path(target: Path | str) -> subprocess.Popen[bytes] | None:
    """Open a file, folder or URL with the desktop's default application."""
    command = opener_command(target)
    try:
        if command is None:  # pragma: no cover - Windows
            os.startfile(str(target))  # type: ignore[attr-defined]
            return None
        return subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL, start_new_session=True)
    except OSError as exc:
        if str(target).startswith(("http://", "https://")):
            webbrowser.open(str(target))   # no xdg-open: Python still knows some browsers
            return None
        log.warning("cannot open %s: %s", target, exc)
        return None


def _undecorated(icon: Any) -> Callable[[], None]:
    """pystray's menu rebuild, run directly (we are already on the GTK thread)."""
    def run() -> None:
        icon._menu_handle = icon._create_menu(icon.menu)  # what the gtk backend's _update_menu does
        status = getattr(icon, "_status_icon", None)
        if status is None and hasattr(icon, "_appindicator"):
            icon._appindicator.set_menu(icon._menu_handle or icon._create_default_menu())
    return run


class TrayApp:
    """The running tray icon. `run()` blocks on the main thread until Quit or a signal.

    `spawn(command, env)` starts the viewer and `opener(target)` opens files and URLs: both are
    seams so tests can check what a click would start without starting it.
    """

    def __init__(self, settings: Settings, *, engine_factory: Callable[..., Any] | None = None,
                 title: str = "litellm-tray", on_ready: Callable[["TrayApp"], None] | None = None,
                 spawn: Callable[[list[str], dict[str, str]], Any] = spawn_child,
                 opener: Callable[[Path | str], Any] = open_path) -> None:
        self.settings = settings
        self.spawn = spawn
        self.opener = opener
        self.panel = Panel(self.act)
        self._has_menu = True
        self._latin1 = False
        self.title = title
        self.on_ready = on_ready
        self._engine_factory = engine_factory
        self._state: TrayState | None = None
        self._lock = threading.Lock()
        self._children: list[subprocess.Popen[bytes]] = []
        self._shown: tuple[str, int] | None = None
        self.icon: Any = None
        self.engine: Any = None
        self.notifier: Any = None
        self.menu_dump = Path(os.environ[MENU_DUMP_ENV]) if os.environ.get(MENU_DUMP_ENV) else None
        self.stopped_cleanly = False
        self._menu_dirty = False
        self._gtk = False
        self._quitting = False

    # -- lifecycle -----------------------------------------------------------------------------
    def run(self) -> int:
        import pystray

        from tray.desktop.notify import DesktopNotifier, choose_backends
        from tray.engine import Engine

        self._latin1 = pystray.Icon.__module__.endswith("_xorg")
        self.icon = pystray.Icon("litellm-tray", icons.render("unknown", 64), self._title("LiteLLM: starting…"),
                                 menu=pystray.Menu(self._menu_items))
        self._has_menu = has_menu(self.icon)
        if not self._has_menu:
            enable_xorg_clicks(self.icon)
        factory = self._engine_factory or Engine
        self.engine = factory(self.settings, on_state=self._on_state, deliver=self._deliver)
        try:
            backends = choose_backends(self.settings.notify.backend, icon=self.icon)
        except ValueError as exc:
            log.warning("notifications: %s", exc)
            backends = []
        self.notifier = DesktopNotifier(backends, on_open=self._open_requests, secrets=self.engine.secrets)
        previous = self._install_signals()
        try:
            self.engine.start()
            self._run_icon()
        finally:
            self.panel.stop()
            alive = self.engine.stop(STOP_SECONDS)
            self.notifier.close()
            self._restore_signals(previous)
            self._reap(wait=False)
            self.stopped_cleanly = not alive
        return 0

    def _run_icon(self) -> None:
        """The pystray loop. After it, pystray tears its backend down: its GTK backend then
        hides a notification over D-Bus, which fails when the session bus is closing (logout,
        Ctrl+C in a terminal). A quit that was asked for must not end in a traceback."""
        try:
            self.icon.run(setup=self._setup)
        except Exception as exc:  # noqa: BLE001 - re-raised unless the app was quitting
            if not self._quitting:
                raise
            log.warning("the tray backend failed while closing (%s: %s)", type(exc).__name__, exc)

    def _setup(self, icon: Any) -> None:
        icon.visible = True
        if type(icon).__module__.endswith("_gtk") or type(icon).__module__.endswith("_appindicator"):
            self._gtk = True
            self._gtk_hooks()
        if self._state is not None:   # published before the icon existed: show it now
            icon.icon = icons.render(self._state.level, 64, self._state.badge)
            icon._update_title()
            self._menu_dirty = True
            if not self._gtk:
                icon.update_menu()
        if self.on_ready is not None:
            self.on_ready(self)

    def _gtk_hooks(self) -> None:
        """GTK: rebuild the menu on the GTK thread, never while it is open (that would close it);
        and catch SIGINT/SIGTERM in the main loop (pystray resets SIGINT to its default)."""
        from gi.repository import GLib

        def refresh() -> bool:
            # A GLib timeout whose callback raises is removed for good: the menu would then
            # stay as it was. So a failed rebuild is logged, stays due, and is tried again.
            handle = getattr(self.icon, "_menu_handle", None)
            if self._menu_dirty and not (handle is not None and handle.get_mapped()):
                self._menu_dirty = False      # before: a state arriving meanwhile marks it again
                try:
                    self.icon._update_menu_now()
                except Exception:  # noqa: BLE001
                    self._menu_dirty = True
                    log.exception("menu rebuild failed; trying again")
            return True

        def on_signal(*_: Any) -> bool:
            self.quit()
            return False

        self.icon._update_menu_now = _undecorated(self.icon)
        GLib.timeout_add(500, refresh)
        for sig in (signal.SIGINT, signal.SIGTERM):
            GLib.unix_signal_add(GLib.PRIORITY_HIGH, sig, on_signal)

    def _title(self, text: str) -> str:
        """The xorg backend sets the title as a Latin-1 WM_NAME: anything else would crash it."""
        return text.encode("latin-1", "replace").decode("latin-1") if self._latin1 else text

    def quit(self) -> None:
        self._quitting = True
        if self.icon is not None:
            self.icon.stop()

    def _install_signals(self) -> dict[int, Any]:
        previous: dict[int, Any] = {}
        if threading.current_thread() is not threading.main_thread():
            return previous
        for sig in (signal.SIGINT, signal.SIGTERM):
            try:
                previous[sig] = signal.signal(sig, lambda *_: self.quit())
            except (ValueError, OSError):
                pass
        return previous

    @staticmethod
    def _restore_signals(previous: dict[int, Any]) -> None:
        for sig, handler in previous.items():
            try:
                signal.signal(sig, handler)
            except (ValueError, OSError):
                pass

    # -- state from the engine (core thread) -----------------------------------------------------
    def _on_state(self, state: TrayState) -> None:
        with self._lock:
            self._state = state
        icon = self.icon
        if icon is None:
            return
        shown = (state.level, min(state.badge, 10))
        if shown != self._shown:
            self._shown = shown
            icon.icon = icons.render(state.level, 64, state.badge)
        icon.title = self._title(state.tooltip)
        self._menu_dirty = True
        if not self._gtk:
            icon.update_menu()
        if self.menu_dump is not None:
            self._dump(state)

    def _dump(self, state: TrayState) -> None:
        assert self.menu_dump is not None
        data = {"time": time.time(), "level": state.level, "tooltip": state.tooltip,
                "requests_today": state.requests_today, "failed_today": state.failed_today,
                "menu": texts(build_menu(state))}
        tmp = self.menu_dump.with_suffix(".tmp")
        tmp.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
        os.replace(tmp, self.menu_dump)

    def _menu_items(self) -> list[Any]:
        """Called by pystray on its GUI thread whenever it (re)builds the menu. Without a menu
        (pystray's xorg backend) a click runs the default item: there it opens the panel."""
        if not self._has_menu:
            from pystray import MenuItem

            return [MenuItem("Show panel", lambda icon, item: self.act(("panel", None)), default=True)]
        return to_pystray(self.menu_entries(), self.act)

    def menu_entries(self) -> list[Any]:
        with self._lock:
            state = self._state
        return build_menu(state)

    # -- actions -------------------------------------------------------------------------------
    def act(self, action: Action) -> None:
        name, arg = action
        try:
            if name == "quit":
                self.quit()
            elif name == "open_viewer":
                self._viewer(None)
            elif name == "open_request":
                self._viewer(arg)
            elif name == "open_log":
                self._open(self.settings.log_path)
            elif name == "open_ui":
                self._open(self.settings.proxy_url.rstrip("/") + "/ui")
            elif name == "settings":
                self._open(self._settings_file())
            elif name == "refresh":
                self.engine.refresh_now()
            elif name == "pause":
                self.engine.pause_notifications(arg)
                self.engine.refresh_now()
            elif name == "resume":
                self.engine.resume_notifications()
                self.engine.refresh_now()
            elif name == "panel":
                self.panel.toggle(self.menu_entries())
            else:
                log.warning("unknown menu action %r", name)
        except Exception:  # noqa: BLE001 - a menu click never takes the app down
            log.exception("menu action %s failed", name)

    def _viewer(self, request_id: str | None) -> None:
        self._reap(wait=False)
        self._keep(self.spawn(viewer_command(self.settings, request_id), viewer_environment(self.settings)))

    def _open_requests(self, request_ids: tuple[str, ...]) -> None:
        """A clicked notification: the same as its "Last alert…" menu item."""
        self.act(open_action(request_ids))

    def _open(self, target: Path | str) -> None:
        self._keep(self.opener(target))

    def _keep(self, child: Any) -> None:
        """Remember a started process, to reap it (Windows' opener starts none we can see)."""
        if child is not None and hasattr(child, "poll"):
            self._children.append(child)

    def _settings_file(self) -> Path:
        path = Path(self.settings.config_path or default_config_path())
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text("# litellm-tray settings (TOML). See README.md for the keys.\n", encoding="utf-8")
        return path

    def _reap(self, wait: bool) -> None:
        self._children = [c for c in self._children if c.poll() is None]

    def _deliver(self, notification: Any) -> str | None:
        """The engine's delivery hook: None when shown, else why not (the menu shows it)."""
        if self.notifier is None:
            return None
        self.notifier.deliver(notification)
        return self.notifier.error
