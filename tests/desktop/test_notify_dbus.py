"""Notifications on a real session bus with a real notification daemon (dunst).

What dunst receives over D-Bus is what a person would see: one `Notify` per notification,
with the title and body escaped for markup and with secrets redacted.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from tray.alerts import Notifier
from tray.commands.notify_test import TEST_BODY, TEST_TITLE
from tray.desktop.notify import DesktopNotifier, NotifySendBackend, choose_backends
from tray.alerts.types import Notification
from tray.model import RequestRecord
from tests.support.dbus_monitor import parse_notify_calls

pytestmark = [pytest.mark.desktop, pytest.mark.usefixtures("notification_programs")]

REPO = Path(__file__).resolve().parents[2]
NOW = 1796385600.0


@pytest.mark.parametrize("backend", ["notify-send", "plyer"])
def test_one_notification_arrives_as_one_notify_call(notify_calls, backend):
    notifier = DesktopNotifier(choose_backends(backend))
    shown = notifier.deliver(Notification("Request failed: cheap", "RateLimitError (HTTP 429)",
                                          "warning", NOW))
    notifier.close()
    assert shown == backend
    (call,) = notify_calls.wait(1)
    assert (call.summary, call.body) == ("Request failed: cheap", "RateLimitError (HTTP 429)")
    assert call.app_name == "LiteLLM Tray"


@pytest.mark.parametrize("backend", ["notify-send", "plyer"])
def test_markup_and_secrets_from_a_prompt_arrive_escaped_and_redacted(notify_calls, backend):
    record = RequestRecord(
        id="r1", model="cheap<b>&co", status="error", status_code=500,
        error="litellm.InternalServerError: InternalServerError: OpenAIException - <i>down</i>",
        messages=[{"role": "user",
                   "content": "Use <b>bold</b> & key sk-proj-AbCdEf0123456789xyz, it's \"fine\""}])
    (notification,) = Notifier().feed(record, NOW)
    notifier = DesktopNotifier(choose_backends(backend))
    assert notifier.deliver(notification) == backend
    notifier.close()
    (call,) = notify_calls.wait(1)
    assert call.summary == "Request failed: cheap&lt;b&gt;&amp;co"
    assert call.body == (
        "InternalServerError (HTTP 500): &lt;i&gt;down&lt;/i&gt;\n"
        "“Use &lt;b&gt;bold&lt;/b&gt; &amp; key [REDACTED], it&#39;s &quot;fine&quot;”")
    assert "sk-proj" not in call.summary + call.body


def test_notify_test_command_says_which_backend_delivered(notify_calls, desktop_env):
    env = {**os.environ, **desktop_env}
    env.pop("LITELLM_TRAY_NOTIFY", None)
    done = subprocess.run([sys.executable, "-m", "tray", "notify-test"], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=30)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[0] == "notification delivered by notify-send"
    (call,) = notify_calls.wait(1)
    assert (call.summary, call.body) == (TEST_TITLE, TEST_BODY)

    env["LITELLM_TRAY_NOTIFY"] = "plyer"
    done = subprocess.run([sys.executable, "-m", "tray", "notify-test"], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=30)
    assert (done.returncode, done.stdout.strip()) == (0, "notification delivered by plyer")
    assert len(notify_calls.wait(2)) == 2


def test_notify_test_without_a_notification_server_exits_1_with_the_reason(desktop_env, tmp_path):
    env = {**os.environ, **desktop_env,
           "DBUS_SESSION_BUS_ADDRESS": f"unix:path={tmp_path}/no-bus", "LITELLM_TRAY_NOTIFY": "notify-send"}
    done = subprocess.run([sys.executable, "-m", "tray", "notify-test"], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=30)
    assert done.returncode == 1
    assert done.stdout == ""
    assert "no notification backend could deliver (notify-send: " in done.stderr


def test_clicking_the_notification_opens_the_viewer_on_its_requests(notify_calls, desktop_env):
    subprocess.run(["dunstctl", "close-all"], env={**os.environ, **desktop_env}, check=True)
    opened: list[tuple[str, ...]] = []
    clicked = threading.Event()

    def open_viewer(request_ids: tuple[str, ...]) -> None:
        opened.append(request_ids)
        clicked.set()

    notifier = DesktopNotifier([NotifySendBackend()], on_open=open_viewer)
    try:
        assert notifier.deliver(Notification("Request failed: cheap", "Timeout", "warning", NOW,
                                              request_ids=("r7", "r8"))) == "notify-send"
        (call,) = notify_calls.wait(1)
        assert call.actions == ("default", "Open")
        subprocess.run(["dunstctl", "action", "0"], env={**os.environ, **desktop_env}, check=True)
        assert clicked.wait(5), "the click did not reach the callback"
        assert opened == [("r7", "r8")]
    finally:
        notifier.close()


def test_a_notify_call_half_written_by_dbus_monitor_is_not_read_yet() -> None:
    """The monitor's log is read while dbus-monitor writes it: a call whose arguments are not
    all there yet is left for the next look, never read as a broken call."""

    header = ("method call time=1.0 sender=:1.1 -> destination=:1.2 serial=10 "
              "path=/org/freedesktop/Notifications; interface=org.freedesktop.Notifications; member=Notify\n")
    args = ('   string "litellm-tray"\n   uint32 0\n   string ""\n   string "Request failed: cheap"\n'
            '   string "Timeout"\n   array [\n      string "default"\n      string "Open"\n   ]\n'
            '   array [\n   ]\n   int32 10000\n')
    complete = header + args
    assert [(c.summary, c.body, c.expire_timeout) for c in parse_notify_calls(complete)] == \
        [("Request failed: cheap", "Timeout", 10000)]
    for cut in (len(header), len(header) + 20, len(complete) - 14, len(complete) - 3):
        assert len(parse_notify_calls(complete + complete[:cut])) == 1, cut
