"""Shared desktop fixtures: a private X server, session bus and notification daemon.

Each fixture starts its process itself, on a display of its own, and stops it by PID.
When a program is missing the test skips naming the Debian packages to install (in CI the
root conftest turns that skip into a failure). `notify_calls` records every D-Bus `Notify`
call, which is what a person's notification daemon receives.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import time
from pathlib import Path
from typing import Callable, Iterator

import pytest

from tests.support.dbus_monitor import NotifyCall, parse_notify_calls

#: program -> Debian package providing it
PACKAGES = {
    "Xvfb": "xvfb", "xdpyinfo": "x11-utils", "dbus-launch": "dbus-x11", "dbus-monitor": "dbus-bin",
    "dbus-send": "dbus-bin", "dunst": "dunst", "dunstctl": "dunst", "notify-send": "libnotify-bin",
}


def require_programs(*programs: str) -> None:
    """Skip (fail in CI) unless every program is on PATH; the reason names the packages."""
    missing = sorted({PACKAGES.get(p, p) for p in programs if shutil.which(p) is None})
    if missing:
        reason = f"desktop test needs the packages: {' '.join(missing)}"
        if os.environ.get("CI") == "true":
            pytest.fail(reason + " (CI must not skip desktop tests)")
        pytest.skip(reason)


def wait_until(check: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(0.05)


def stop_process(proc: subprocess.Popen) -> None:
    """Terminate one process we started, by its PID, and reap it."""
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)


def stop_pid(pid: int) -> None:
    """Terminate a process we caused to start but do not parent (dbus-launch's daemon)."""
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return
        if _is_zombie(pid):
            return
        time.sleep(0.05)
    os.kill(pid, signal.SIGKILL)


def _is_zombie(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0] == "Z"
    except (OSError, IndexError):
        return False


@pytest.fixture(scope="module")
def notification_programs() -> None:
    """Check the whole notification stack at once, so a skip names every missing package."""
    require_programs("Xvfb", "xdpyinfo", "dbus-launch", "dbus-send", "dbus-monitor", "dunst",
                     "dunstctl", "notify-send")


@pytest.fixture(scope="module")
def xvfb_display(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A private Xvfb; `-displayfd` makes it pick a free display number and tell us."""
    require_programs("Xvfb", "xdpyinfo")
    read_end, write_end = os.pipe()
    log = tmp_path_factory.mktemp("xvfb") / "xvfb.log"
    with open(log, "wb") as out:
        xvfb = subprocess.Popen(
            ["Xvfb", "-displayfd", str(write_end), "-screen", "0", "1024x600x24", "-nolisten", "tcp"],
            pass_fds=(write_end,), stdout=out, stderr=out, start_new_session=True)
    os.close(write_end)
    try:
        with os.fdopen(read_end) as pipe:
            number = pipe.readline().strip()
        assert number, f"Xvfb did not report its display: {log.read_text(errors='replace')}"
        display = f":{number}"
        wait_until(lambda: subprocess.run(["xdpyinfo", "-display", display],
                                          capture_output=True).returncode == 0, 10, "Xvfb")
        yield display
    finally:
        stop_process(xvfb)


@pytest.fixture(scope="module")
def dbus_session(xvfb_display: str) -> Iterator[dict[str, str]]:
    """A session bus from `dbus-launch`; yields the environment that reaches it."""
    require_programs("dbus-launch", "dbus-send")
    env = {**os.environ, "DISPLAY": xvfb_display}
    out = subprocess.run(["dbus-launch", "--sh-syntax"], env=env, capture_output=True, text=True,
                         timeout=10, check=True).stdout
    values = dict(re.findall(r"^(DBUS_SESSION_BUS_\w+)='?([^';\n]*)'?;", out, re.M))
    pid = int(values["DBUS_SESSION_BUS_PID"])
    try:
        yield {"DISPLAY": xvfb_display,
               "DBUS_SESSION_BUS_ADDRESS": values["DBUS_SESSION_BUS_ADDRESS"]}
    finally:
        stop_pid(pid)


def bus_has_name(env: dict[str, str], name: str) -> bool:
    reply = subprocess.run(
        ["dbus-send", "--session", "--print-reply", "--dest=org.freedesktop.DBus",
         "/org/freedesktop/DBus", "org.freedesktop.DBus.NameHasOwner", f"string:{name}"],
        env={**os.environ, **env}, capture_output=True, text=True, timeout=5)
    return "boolean true" in reply.stdout


@pytest.fixture(scope="module")
def notification_daemon(dbus_session: dict[str, str],
                        tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """dunst owning org.freedesktop.Notifications on the private bus; yields the environment."""
    require_programs("dunst")
    folder = tmp_path_factory.mktemp("dunst")
    config = folder / "dunstrc"
    config.write_text("[global]\n    markup = full\n    timeout = 30\n", encoding="utf-8")
    with open(folder / "dunst.log", "wb") as out:
        dunst = subprocess.Popen(["dunst", "-config", str(config)], env={**os.environ, **dbus_session},
                                 stdout=out, stderr=out, start_new_session=True)
    try:
        wait_until(lambda: bus_has_name(dbus_session, "org.freedesktop.Notifications")
                   or dunst.poll() is not None, 10, "dunst to own org.freedesktop.Notifications")
        assert dunst.poll() is None, (folder / "dunst.log").read_text(errors="replace")
        yield dbus_session
    finally:
        stop_process(dunst)


@pytest.fixture
def desktop_env(notification_daemon: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """The private desktop's DISPLAY and bus, also set in os.environ for in-process code."""
    for key, value in notification_daemon.items():
        monkeypatch.setenv(key, value)
    return dict(notification_daemon)


class NotifyMonitor:
    """Reads the dbus-monitor log: the Notify calls so far, or waits for a number of them."""

    def __init__(self, log: Path) -> None:
        self.log = log

    def calls(self) -> list[NotifyCall]:
        return parse_notify_calls(self.log.read_text(encoding="utf-8", errors="replace"))

    def wait(self, count: int, timeout: float = 5.0) -> list[NotifyCall]:
        wait_until(lambda: len(self.calls()) >= count, timeout, f"{count} Notify call(s)")
        time.sleep(0.2)   # and no more than that arrives right after
        return self.calls()


@pytest.fixture
def notify_calls(desktop_env: dict[str, str], tmp_path: Path) -> Iterator[NotifyMonitor]:
    """`dbus-monitor "interface='org.freedesktop.Notifications'"` writing to a file, per test."""
    require_programs("dbus-monitor")
    log = tmp_path / "notify.log"
    with open(log, "wb") as out:
        monitor = subprocess.Popen(
            ["dbus-monitor", "--session", "interface='org.freedesktop.Notifications'"],
            env={**os.environ, **desktop_env}, stdout=out, stderr=subprocess.STDOUT,
            start_new_session=True)
    try:
        # It says NameLost once it has turned into a monitor: from then on it sees every call.
        wait_until(lambda: "member=NameLost" in log.read_text(errors="replace"), 10, "dbus-monitor")
        yield NotifyMonitor(log)
    finally:
        stop_process(monitor)
