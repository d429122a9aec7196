"""Desktop notifications: plyer first, the platform's own tool where plyer cannot deliver.

Backends share one small interface and are chosen by `choose_backends` (overridden by the
``LITELLM_TRAY_NOTIFY`` environment variable: ``plyer``, ``notify-send``, ``osascript``,
``pystray``, ``null``, or a comma-separated order). `DesktopNotifier` tries them in order;
a failing backend is logged once and shown in `error`/`skipped`, never raised.

Text is made safe here for every platform: secrets redacted, cut to Windows' balloon limits
(64 and 256 UTF-16 units including the terminating NUL), and markup-escaped where the
notification server interprets markup (freedesktop servers on Linux and the BSDs).
"""

from __future__ import annotations

import functools
import importlib
import logging
import os
import shutil
import subprocess
import sys
import threading
import time
import warnings
from dataclasses import dataclass
from typing import Callable, Iterable, Mapping, Sequence

from tray.alerts.types import Notification
from tray.config import NOTIFY_BACKENDS
from tray.redact import redact

log = logging.getLogger(__name__)

ENV_VAR = "LITELLM_TRAY_NOTIFY"
APP_NAME = "LiteLLM Tray"
TITLE_MAX = 63
BODY_MAX = 255
URGENCY = {"info": "low", "warning": "normal", "critical": "critical"}
SEND_TIMEOUT = 5.0


class NotifyError(Exception):
    """A backend could not deliver; the message says why, in a few words."""


@dataclass(frozen=True)
class Message:
    """Text ready for one backend (escaped if it needs it) plus how loud to be."""

    title: str
    body: str
    urgency: str = "normal"
    timeout: int = 10   # seconds on screen where the platform lets us choose


def freedesktop(platform: str = sys.platform) -> bool:
    """Whether notifications go to a freedesktop server (which interprets markup)."""
    return not platform.startswith(("win", "cygwin", "darwin"))


def escape_markup(text: str) -> str:
    """Escape what freedesktop servers (Pango/Qt rich text) would read as markup."""
    return (text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
            .replace('"', "&quot;").replace("'", "&#39;"))


def clip(text: str, limit: int) -> str:
    """At most `limit` UTF-16 units (what Windows counts), ending in "…" when cut."""
    if len(text.encode("utf-16-le")) // 2 <= limit:
        return text
    kept, used = [], 0
    for char in text:
        used += 2 if ord(char) > 0xFFFF else 1
        if used > limit - 1:
            break
        kept.append(char)
    return "".join(kept).rstrip() + "…"


def prepare(title: str, body: str, *, markup: bool, secrets: Iterable[str] = ()) -> tuple[str, str]:
    """Redact, flatten, cut to length, and escape when the server reads markup (in that order,
    so an entity is never cut in half)."""
    secrets = tuple(secrets)
    title = " ".join((redact(title, secrets) or "").split())
    lines = ((redact(body, secrets) or "").splitlines())
    body = "\n".join(" ".join(line.split()) for line in lines if line.strip())
    title, body = clip(title or APP_NAME, TITLE_MAX), clip(body, BODY_MAX)
    return (escape_markup(title), escape_markup(body)) if markup else (title, body)


class Backend:
    """One way of showing a notification. `send` raises NotifyError when it cannot."""

    name = "base"
    markup = False      # the server interprets markup: text must be escaped
    actions = False     # can call back when the notification is clicked

    def unavailable(self) -> str | None:
        """Why this backend cannot work here (checked once), or None."""
        return None

    def send(self, message: Message, on_click: Callable[[], None] | None = None) -> None:
        raise NotImplementedError

    def close(self) -> None:
        """Stop anything still waiting for a click."""


class NullBackend(Backend):
    """Shows nothing and remembers what it was given: for tests, and for "off"."""

    name = "null"

    def __init__(self, markup: bool = False) -> None:
        self.markup = markup
        self.sent: list[Message] = []

    def send(self, message: Message, on_click: Callable[[], None] | None = None) -> None:
        self.sent.append(message)


class PlyerBackend(Backend):
    """plyer's notification facade. On Linux without dbus-python plyer runs notify-send and
    ignores whether it worked (and makes the notification sticky); unless `allow_unchecked`,
    that case counts as unavailable so the notify-send backend, which checks, is used instead."""

    name = "plyer"

    def __init__(self, platform: str = sys.platform, allow_unchecked: bool = False) -> None:
        self.markup = freedesktop(platform)
        self.allow_unchecked = allow_unchecked
        self._impl: object | None = None

    def unavailable(self) -> str | None:
        try:
            from plyer.facades import Notification as Facade
            from plyer.utils import platform as plyer_platform

            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                module = importlib.import_module(f"plyer.platforms.{plyer_platform}.notification")
                impl = module.instance()
        except Exception as exc:  # ImportError of pyobjus, dbus, ...: plyer cannot work here
            return f"plyer cannot load its notification support: {exc}"
        if type(impl) is Facade:
            return "plyer has no notification support on this system"
        if type(impl).__name__ == "NotifySendNotification" and not self.allow_unchecked:
            return "plyer would run notify-send unchecked (install dbus-python for plyer's D-Bus path)"
        self._impl = impl
        return None

    def send(self, message: Message, on_click: Callable[[], None] | None = None) -> None:
        reason = self.unavailable() if self._impl is None else None
        if reason:
            raise NotifyError(reason)
        try:
            self._impl.notify(title=message.title, message=message.body,  # type: ignore[union-attr]
                              app_name=APP_NAME, timeout=message.timeout)
        except Exception as exc:
            raise NotifyError(f"plyer: {type(exc).__name__}: {exc}") from None


class NotifySendBackend(Backend):
    """libnotify's `notify-send`. With a click callback it asks for a default action and waits
    for it in a watcher thread (notify-send 0.7.10+; older ones fall back to no action)."""

    name = "notify-send"
    markup = True
    actions = True
    MAX_WATCHERS = 8
    MAX_WAIT = 600.0

    def __init__(self, executable: str | None = None) -> None:
        self.executable = executable or shutil.which("notify-send")
        self._watchers: list[_ActionWatcher] = []

    def unavailable(self) -> str | None:
        return None if self.executable else "notify-send not found (install libnotify-bin)"

    def _argv(self, message: Message, *extra: str) -> list[str]:
        return [str(self.executable), "-a", APP_NAME, "-u", message.urgency,
                "-t", str(message.timeout * 1000), *extra, "--", message.title, message.body]

    def send(self, message: Message, on_click: Callable[[], None] | None = None) -> None:
        if on_click is not None and self.actions:
            self._prune()
            try:
                watcher = _ActionWatcher(self._argv(message, "-p", "-A", "default=Open"), on_click)
            except OSError as exc:
                raise NotifyError(f"notify-send: {exc}") from None
            error = watcher.started(SEND_TIMEOUT)
            if error is None:
                self._watchers.append(watcher)
                return
            if "Unknown option" not in error:
                raise NotifyError(error)
            self.actions = False   # an old notify-send: plain notifications from now on
        try:
            done = subprocess.run(self._argv(message), capture_output=True, text=True,
                                  timeout=SEND_TIMEOUT)
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise NotifyError(f"notify-send: {exc}") from None
        if done.returncode != 0:
            raise NotifyError(_first_line(done.stderr) or f"notify-send exited {done.returncode}")

    def _prune(self) -> None:
        """Reap watchers whose notification has closed; stop the oldest beyond the limits."""
        now = time.monotonic()
        for watcher in [w for w in self._watchers if not w.alive()]:
            watcher.stop()
            self._watchers.remove(watcher)
        while self._watchers and (len(self._watchers) >= self.MAX_WATCHERS
                                  or now - self._watchers[0].since > self.MAX_WAIT):
            self._watchers.pop(0).stop()

    def close(self) -> None:
        for watcher in self._watchers:
            watcher.stop()
        self._watchers = []


class _ActionWatcher:
    """One `notify-send -p -A default=Open` process: the first output line is the id (it was
    delivered), a later one the action (it was clicked). Its stdout is a pseudo-terminal, since
    into a pipe notify-send would buffer both lines until it exits."""

    _count = 0

    def __init__(self, argv: list[str], on_click: Callable[[], None]) -> None:
        self.since = time.monotonic()
        self._on_click = on_click
        self._ready = threading.Event()
        self._delivered = False
        reader, writer = os.openpty()
        try:
            self._proc = subprocess.Popen(argv, stdout=writer, stderr=subprocess.PIPE,
                                          stdin=subprocess.DEVNULL, text=True,
                                          start_new_session=True)
        except OSError:
            os.close(reader)
            raise
        finally:
            os.close(writer)
        self._output = os.fdopen(reader, encoding="utf-8", errors="replace")
        _ActionWatcher._count += 1
        self._thread = threading.Thread(target=self._watch, daemon=True,
                                        name=f"notify-action-{_ActionWatcher._count}")
        self._thread.start()

    def started(self, timeout: float) -> str | None:
        """None once the server has the notification; else why not."""
        if not self._ready.wait(timeout):
            self.stop()
            return "notify-send did not answer"
        if self._delivered:
            return None
        self._proc.wait()
        stderr = self._proc.stderr.read() if self._proc.stderr else ""
        return _first_line(stderr) or f"notify-send exited {self._proc.returncode}"

    def _watch(self) -> None:
        try:
            for line in self._output:
                if not self._delivered:
                    self._delivered = True
                    self._ready.set()
                elif line.strip() == "default":
                    self._clicked()
        except OSError:   # EIO: the process closed the terminal
            pass
        finally:
            self._output.close()
            self._ready.set()

    def _clicked(self) -> None:
        try:
            self._on_click()
        except Exception:  # a failing callback must not break notifications
            log.exception("notification click handler failed")

    def alive(self) -> bool:
        return self._proc.poll() is None

    def stop(self) -> None:
        if self._proc.poll() is None:
            self._proc.terminate()
            try:
                self._proc.wait(2)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait(2)
        self._thread.join(2)


class OsascriptBackend(Backend):
    """macOS `display notification`; the text goes in as arguments, never into the script."""

    name = "osascript"
    SCRIPT = ("on run argv", "display notification (item 2 of argv) with title (item 1 of argv)",
              "end run")

    def __init__(self, platform: str = sys.platform) -> None:
        self.platform = platform

    def unavailable(self) -> str | None:
        if not self.platform.startswith("darwin"):
            return "osascript is macOS only"
        return None if shutil.which("osascript") else "osascript not found"

    def send(self, message: Message, on_click: Callable[[], None] | None = None) -> None:
        argv = ["osascript", *(arg for line in self.SCRIPT for arg in ("-e", line)),
                message.title, message.body]
        try:
            done = subprocess.run(argv, capture_output=True, text=True, timeout=SEND_TIMEOUT)
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise NotifyError(f"osascript: {exc}") from None
        if done.returncode != 0:
            raise NotifyError(_first_line(done.stderr) or f"osascript exited {done.returncode}")


class PystrayBackend(Backend):
    """The tray icon's own notification, where its pystray backend has one."""

    name = "pystray"

    def __init__(self, icon: object | None = None, platform: str = sys.platform) -> None:
        self.icon = icon
        self.markup = freedesktop(platform)

    def unavailable(self) -> str | None:
        if self.icon is None:
            return "no tray icon to notify through"
        return None if getattr(self.icon, "HAS_NOTIFICATION", False) else (
            "this pystray backend cannot notify")

    def send(self, message: Message, on_click: Callable[[], None] | None = None) -> None:
        try:
            self.icon.notify(message.body, message.title)  # type: ignore[union-attr]
        except Exception as exc:
            raise NotifyError(f"pystray: {type(exc).__name__}: {exc}") from None


def choose_backends(choice: str | None = None, *, icon: object | None = None,
                    platform: str = sys.platform,
                    environ: Mapping[str, str] | None = None) -> list[Backend]:
    """The backends to try, in order: `LITELLM_TRAY_NOTIFY`, else `choice` (the config's
    ``notify.backend``), else ``auto`` for this platform. Raises ValueError for unknown names."""
    environ = os.environ if environ is None else environ
    wanted = (environ.get(ENV_VAR) or choice or "auto").strip().lower()
    if wanted == "auto":
        if platform.startswith(("win", "cygwin")):
            names = ["plyer", "pystray"]
        elif platform.startswith("darwin"):
            names = ["plyer", "osascript", "pystray"]
        else:
            names = ["plyer", "notify-send", "pystray"]
    else:
        names = [name.strip() for name in wanted.split(",") if name.strip()]
        unknown = [name for name in names if name not in NOTIFY_BACKENDS]
        if unknown or not names:
            raise ValueError(f"unknown notification backend {', '.join(unknown) or wanted!r} "
                             f"(choose from {', '.join(NOTIFY_BACKENDS)}, or auto)")
    makers: dict[str, Callable[[], Backend]] = {
        "plyer": lambda: PlyerBackend(platform, allow_unchecked=wanted != "auto"),
        "notify-send": NotifySendBackend,
        "osascript": lambda: OsascriptBackend(platform),
        "pystray": lambda: PystrayBackend(icon, platform),
        "null": NullBackend,
    }
    return [makers[name]() for name in names]


class DesktopNotifier:
    """Delivers `Notification`s through the first backend that works; never raises.

    `error` (None when the last delivery worked) and `skipped` (backend -> why it was passed
    over) are for the menu; `last` is the last notification, for its "Last alert…" item. `on_open(request_ids)`
    runs when a notification is clicked, where the backend supports that (on its thread).
    Delivery may take a few seconds (a subprocess): call `deliver` from a worker thread.
    """

    def __init__(self, backends: Sequence[Backend], *,
                 on_open: Callable[[tuple[str, ...]], None] | None = None,
                 secrets: Iterable[str] = (), log_failures: bool = True) -> None:
        self.backends = list(backends)
        self.log_failures = log_failures
        self.on_open = on_open
        self.secrets = tuple(s for s in secrets if s)
        self.last: Notification | None = None
        self.delivered_by: str | None = None
        self.error: str | None = None
        self.skipped: dict[str, str] = {}
        self._unavailable: dict[str, str | None] = {}
        self._logged: set[str] = set()
        self._lock = threading.Lock()

    def deliver(self, notification: Notification) -> str | None:
        """Show it; returns the name of the backend that did, or None (see `error`)."""
        with self._lock:
            self.last = notification
            for backend in self.backends:
                reason = self._why_unavailable(backend)
                if reason is None:
                    reason = self._try(backend, notification)
                    if reason is None:
                        self.delivered_by, self.error = backend.name, None
                        return backend.name
                self.skipped[backend.name] = reason
            reasons = "; ".join(f"{b.name}: {self.skipped[b.name]}" for b in self.backends)
            self.delivered_by = None
            self.error = f"no notification backend could deliver ({reasons or 'none configured'})"
            self._log_once("all", self.error)
            return None

    def close(self) -> None:
        for backend in self.backends:
            backend.close()

    def _why_unavailable(self, backend: Backend) -> str | None:
        if backend.name not in self._unavailable:
            try:
                self._unavailable[backend.name] = backend.unavailable()
            except Exception as exc:
                self._unavailable[backend.name] = f"{type(exc).__name__}: {exc}"
        return self._unavailable[backend.name]

    def _try(self, backend: Backend, notification: Notification) -> str | None:
        title, body = prepare(notification.title, notification.body, markup=backend.markup,
                              secrets=self.secrets)
        message = Message(title, body, URGENCY.get(notification.severity, "normal"))
        on_click = None
        if self.on_open is not None and backend.actions:
            on_click = functools.partial(self.on_open, notification.request_ids)
        try:
            backend.send(message, on_click)
        except Exception as exc:
            reason = str(exc) if isinstance(exc, NotifyError) else f"{type(exc).__name__}: {exc}"
            self._log_once(backend.name, reason)
            return reason
        self.skipped.pop(backend.name, None)
        return None

    def _log_once(self, key: str, reason: str) -> None:
        if self.log_failures and key not in self._logged:
            self._logged.add(key)
            log.warning("notifications: %s: %s", key, reason)


def _first_line(text: str | None) -> str:
    return next((line.strip() for line in (text or "").splitlines() if line.strip()), "")
