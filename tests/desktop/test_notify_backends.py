"""Notification delivery without a desktop: text safety, backend choice, fallback, reporting."""

from __future__ import annotations

import logging

import pytest

from tray.alerts.types import Notification
from tray.desktop.notify import (
    BODY_MAX,
    TITLE_MAX,
    Backend,
    DesktopNotifier,
    Message,
    NotifyError,
    NotifySendBackend,
    NullBackend,
    OsascriptBackend,
    PlyerBackend,
    PystrayBackend,
    choose_backends,
    clip,
    prepare,
)

NOW = 1796385600.0


def note(title: str = "Request failed: cheap", body: str = "Timeout", ids: tuple[str, ...] = ("r1",)):
    return Notification(title, body, "warning", NOW, request_ids=ids)


class Failing(Backend):
    def __init__(self, name: str, error: str = "no server", actions: bool = False) -> None:
        self.name, self.error, self.actions, self.calls = name, error, actions, 0

    def send(self, message: Message, on_click=None) -> None:
        self.calls += 1
        raise NotifyError(self.error)


class Clickable(NullBackend):
    name = "clickable"
    actions = True

    def send(self, message: Message, on_click=None) -> None:
        super().send(message, on_click)
        self.on_click = on_click


def test_markup_is_escaped_only_where_the_server_reads_it():
    title, body = prepare("a <b> & c", 'say "hi" it\'s <i>', markup=True)
    assert (title, body) == ("a &lt;b&gt; &amp; c", "say &quot;hi&quot; it&#39;s &lt;i&gt;")
    assert prepare("a <b> & c", "x", markup=False) == ("a <b> & c", "x")


def test_secrets_are_redacted_before_anything_else():
    title, body = prepare("key sk-proj-AbCdEf0123456789", "master m-key-1234 here",
                          markup=True, secrets=["m-key-1234"])
    assert title == "key [REDACTED]" and body == "master [REDACTED] here"


def test_text_fits_windows_balloon_limits_counting_utf16_units():
    title, body = prepare("T" * 200, "b" * 1000, markup=False)
    assert len(title) == TITLE_MAX and title.endswith("…")
    assert len(body) == BODY_MAX and body.endswith("…")
    emoji = clip("😀" * 100, 63)   # each is two UTF-16 units
    assert len(emoji.encode("utf-16-le")) // 2 <= 63
    assert clip("short", 63) == "short"


def test_escaping_comes_after_cutting_so_no_entity_is_cut_in_half():
    _, body = prepare("t", "&" * 300, markup=True)
    assert body.endswith("&amp;…") and "&am…" not in body


def test_whitespace_and_empty_titles():
    assert prepare("  a\n b\t", "line one\n\n  line   two ", markup=False) == ("a b", "line one\nline two")
    assert prepare("", "x", markup=False)[0] == "LiteLLM Tray"


def test_env_var_overrides_the_configured_backend():
    names = [b.name for b in choose_backends("notify-send", environ={"LITELLM_TRAY_NOTIFY": "null"})]
    assert names == ["null"]
    assert [b.name for b in choose_backends("osascript,null", environ={})] == ["osascript", "null"]
    with pytest.raises(ValueError, match="unknown notification backend 'growl'"):
        choose_backends(environ={"LITELLM_TRAY_NOTIFY": "growl"})


@pytest.mark.parametrize("platform, names", [
    ("linux", ["plyer", "notify-send", "pystray"]),
    ("freebsd14", ["plyer", "notify-send", "pystray"]),
    ("darwin", ["plyer", "osascript", "pystray"]),
    ("win32", ["plyer", "pystray"]),
])
def test_auto_tries_plyer_first_then_the_platform_tool(platform, names):
    assert [b.name for b in choose_backends(platform=platform, environ={})] == names


def test_plyer_running_notify_send_unchecked_is_passed_over_in_auto(monkeypatch):
    import plyer.platforms.linux.notification as linux

    monkeypatch.setattr(linux, "instance", lambda: linux.NotifySendNotification())
    assert "unchecked" in (PlyerBackend("linux").unavailable() or "")
    assert PlyerBackend("linux", allow_unchecked=True).unavailable() is None


def test_falls_back_logs_once_and_reports_without_raising(caplog):
    broken, spare = Failing("plyer", "dbus: no session"), NullBackend()
    notifier = DesktopNotifier([broken, spare])
    with caplog.at_level(logging.WARNING, logger="tray.desktop.notify"):
        for _ in range(3):
            assert notifier.deliver(note()) == "null"
    assert broken.calls == 3 and len(spare.sent) == 3
    assert [r.getMessage() for r in caplog.records] == ["notifications: plyer: dbus: no session"]
    assert notifier.error is None and notifier.delivered_by == "null"
    assert notifier.skipped == {"plyer": "dbus: no session"}


def test_when_nothing_delivers_the_reason_is_kept_for_the_menu():
    notifier = DesktopNotifier([Failing("notify-send", "Could not connect"),
                                PystrayBackend(icon=None)])
    assert notifier.deliver(note("Proxy down")) is None
    assert notifier.error == ("no notification backend could deliver (notify-send: Could not "
                              "connect; pystray: no tray icon to notify through)")
    assert notifier.last and notifier.last.title == "Proxy down"   # for "Last alert…"


def test_unexpected_exceptions_never_escape():
    class Exploding(NullBackend):
        def send(self, message, on_click=None):
            raise RuntimeError("bug")

    notifier = DesktopNotifier([Exploding()])
    assert notifier.deliver(note()) is None
    assert "RuntimeError: bug" in (notifier.error or "")


def test_click_opens_the_request_ids_where_the_backend_has_actions():
    opened = []
    clickable, plain = Clickable(), NullBackend()
    DesktopNotifier([clickable], on_open=opened.append).deliver(note(ids=("r1", "r2")))
    clickable.on_click()
    assert opened == [("r1", "r2")]
    DesktopNotifier([plain], on_open=opened.append).deliver(note())
    assert len(plain.sent) == 1 and len(opened) == 1


def test_urgency_follows_severity():
    null = NullBackend()
    notifier = DesktopNotifier([null])
    for severity in ("info", "warning", "critical"):
        notifier.deliver(Notification("t", "b", severity, NOW))
    assert [m.urgency for m in null.sent] == ["low", "normal", "critical"]


def test_pystray_icon_notifies_when_its_backend_can():
    class Icon:
        HAS_NOTIFICATION = True

        def __init__(self):
            self.shown = []

        def notify(self, message, title=None):
            self.shown.append((title, message))

    icon = Icon()
    backend = PystrayBackend(icon, platform="win32")
    assert DesktopNotifier([backend]).deliver(note("a & b", "<x>")) == "pystray"
    assert icon.shown == [("a & b", "<x>")]
    assert PystrayBackend(icon, platform="linux").markup is True


def test_platform_tools_say_why_they_cannot_work_here(monkeypatch, tmp_path):
    assert OsascriptBackend("linux").unavailable() == "osascript is macOS only"
    monkeypatch.setenv("PATH", str(tmp_path))
    assert NotifySendBackend().unavailable() == "notify-send not found (install libnotify-bin)"
