"""The tray app on a real X server with a real tray host, session bus and notification daemon.

Started by the test on a display of its own: Xvfb, dbus-launch, dunst, trayer. The app runs
as `python -m tray demo` with the gtk backend; the test finds the docked icon, right-clicks
it, keeps a screenshot in test-artifacts/, reads the menu the app built, then quits from
the menu and checks nothing is left behind.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "test-artifacts"
TOOLS = {"Xvfb": "xvfb", "trayer": "trayer", "xdotool": "xdotool", "xwininfo": "x11-utils",
         "import": "imagemagick", "dunst": "dunst", "dbus-launch": "dbus-x11"}

pytestmark = pytest.mark.desktop


def _missing() -> str | None:
    gone = [pkg for tool, pkg in TOOLS.items() if shutil.which(tool) is None]
    if gone:
        return "desktop test needs Debian packages: " + " ".join(sorted(set(gone)))
    probe = subprocess.run([sys.executable, "-c", "import gi; gi.require_version('Gtk', '3.0')"],
                           capture_output=True)
    if probe.returncode:
        return ("desktop test needs PyGObject: apt-get install libgirepository1.0-dev libcairo2-dev "
                "gir1.2-gtk-3.0 pkg-config; pip install 'PyGObject<3.51'")
    return None


def _free_display() -> int:
    for n in range(140, 240):
        if not Path(f"/tmp/.X11-unix/X{n}").exists() and not Path(f"/tmp/.X{n}-lock").exists():
            return n
    raise RuntimeError("no free X display number")


def _wait(predicate, timeout: float, step: float = 0.1):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        value = predicate()
        if value:
            return value
        time.sleep(step)
    return None


@pytest.fixture
def desktop(tmp_path: Path):
    reason = _missing()
    if reason:
        pytest.skip(reason)
    display = _free_display()
    env = dict(os.environ, DISPLAY=f":{display}")
    procs: list[subprocess.Popen] = []

    def start(*argv: str, **kw) -> subprocess.Popen:
        p = subprocess.Popen(list(argv), env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, **kw)
        procs.append(p)
        return p

    start("Xvfb", f":{display}", "-screen", "0", "1024x600x24", "-nolisten", "tcp")
    assert _wait(lambda: Path(f"/tmp/.X11-unix/X{display}").exists(), 10), "Xvfb did not start"
    out = subprocess.run(["dbus-launch", "--sh-syntax"], env=env, capture_output=True, text=True, check=True).stdout
    bus = re.search(r"DBUS_SESSION_BUS_ADDRESS='([^']+)'", out).group(1)
    bus_pid = int(re.search(r"DBUS_SESSION_BUS_PID=(\d+)", out).group(1))
    env["DBUS_SESSION_BUS_ADDRESS"] = bus
    start("dunst")
    start("trayer", "--edge", "top", "--align", "right", "--widthtype", "pixel", "--width", "200", "--height", "32")
    time.sleep(0.5)
    try:
        yield env
    finally:
        for p in reversed(procs):
            p.terminate()
        for p in procs:
            try:
                p.wait(5)
            except subprocess.TimeoutExpired:
                p.kill()
        try:
            os.kill(bus_pid, signal.SIGTERM)
        except ProcessLookupError:
            pass


def _icon_window(env: dict[str, str]) -> tuple[int, int, int, int] | None:
    tree = subprocess.run(["xwininfo", "-root", "-tree"], env=env, capture_output=True, text=True).stdout
    for line in tree.splitlines():
        m = re.search(r'(\d+)x(\d+)\+-?\d+\+-?\d+\s+\+(-?\d+)\+(-?\d+)\s*$', line)
        if m and '"LiteLLM: ' in line:
            w, h, x, y = map(int, m.groups())
            return x, y, w, h
    return None


def _popups(env: dict[str, str]) -> list[tuple[int, int]]:
    tree = subprocess.run(["xwininfo", "-root", "-tree"], env=env, capture_output=True, text=True).stdout
    found = []
    for line in tree.splitlines():
        m = re.match(r"\s+0x[0-9a-f]+ \"[^\"]*\": \(\"[^\"]*\" \"[^\"]*\"\)\s+(\d+)x(\d+)\+(\d+)\+(\d+)", line)
        if m and "Dunst" not in line and "trayer" not in line and "panel" not in line:
            w, h = int(m.group(1)), int(m.group(2))
            if w > 150 and h > 200:
                found.append((w, h))
    return found


def _menu(dump: Path) -> dict | None:
    try:
        return json.loads(dump.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def _app_env(env: dict[str, str], tmp_path: Path) -> dict[str, str]:
    home = tmp_path / "home"
    out = dict(env, PYSTRAY_BACKEND="gtk", HOME=str(home), XDG_DATA_HOME=str(home / "data"),
               XDG_CONFIG_HOME=str(home / "config"), XDG_STATE_HOME=str(home / "state"),
               XDG_CACHE_HOME=str(home / "cache"), LITELLM_TRAY_MENU_DUMP=str(tmp_path / "menu.json"),
               PYTHONPATH=str(REPO), LITELLM_TRAY_NOTIFY="notify-send")
    out.pop("LITELLM_MASTER_KEY", None)
    return out


def test_demo_docks_opens_menu_counts_and_quits_clean(desktop: dict[str, str], tmp_path: Path) -> None:
    env = _app_env(desktop, tmp_path)
    dump = tmp_path / "menu.json"
    app = subprocess.Popen([sys.executable, "-m", "tray", "demo"], env=env, cwd=tmp_path,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        first = app.stdout.readline() + app.stdout.readline()
        folder = Path(re.search(r"folder (\S+)", first).group(1))
        assert folder.exists()
        started = time.monotonic()
        where = _wait(lambda: _icon_window(desktop), 15)
        assert where, "the icon never docked in the tray"
        # numbers change within 5 s
        menu1 = _wait(lambda: (m := _menu(dump)) and m["requests_today"] > 0 and m, 30)
        assert menu1, "the app built no menu with requests"
        menu2 = _wait(lambda: (m := _menu(dump)) and m["requests_today"] > menu1["requests_today"] and m, 5)
        assert menu2, "the numbers did not change within 5 s"
        assert time.monotonic() - started < 20
        lines = menu2["menu"]
        assert any(re.match(r"Requests today: \d+ · \d+ failed", line) for line in lines)
        assert any(line.startswith("Budget Monthly $") and "of $5.00" in line for line in lines)
        assert any(line.startswith("Tokens: ") for line in lines)
        assert "Quit" in lines and "Open viewer…" in lines
        assert menu2["tooltip"].startswith("LiteLLM: ")
        # right click opens the menu (the GTK menu is rebuilt every 0.5 s: the screenshot shows
        # what the dump says once it has caught up, not the "Starting…" menu of a busy machine)
        time.sleep(1.0)
        x, y, w, h = _icon_window(desktop)
        subprocess.run(["xdotool", "mousemove", str(x + w // 2), str(y + h // 2), "click", "3"], env=desktop, check=True)
        assert _wait(lambda: _popups(desktop), 5), "no menu window appeared after a right click"
        time.sleep(0.5)
        ARTIFACTS.mkdir(exist_ok=True)
        shot = ARTIFACTS / "tray-menu.png"
        subprocess.run(["import", "-window", "root", str(shot)], env=desktop, check=True)
        assert shot.stat().st_size > 1000
        # Quit is the last item: Up selects it, Return runs it
        subprocess.run(["xdotool", "key", "Up"], env=desktop, check=True)
        time.sleep(0.3)
        subprocess.run(["xdotool", "key", "Return"], env=desktop, check=True)
        assert app.wait(10) == 0
    finally:
        if app.poll() is None:
            app.kill()
            app.wait()
    assert not folder.exists(), "the demo left its folder behind"
    left = subprocess.run(["pgrep", "-f", str(folder)], capture_output=True, text=True).stdout.strip()
    assert not left, f"processes left behind: {left}"


def test_second_instance_exits_1_and_sigterm_stops_fast(desktop: dict[str, str], tmp_path: Path) -> None:
    env = _app_env(desktop, tmp_path)
    args = [sys.executable, "-m", "tray", "--proxy", "http://127.0.0.1:9", "--log", str(tmp_path / "none.log"), "run"]
    first = subprocess.Popen(args, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        if not _wait(lambda: _icon_window(desktop), 15):
            first.kill()
            tree = subprocess.run(["xwininfo", "-root", "-tree"], env=desktop, capture_output=True, text=True).stdout
            pytest.fail(f"the icon never docked: {first.communicate()}\n{tree}")
        second = subprocess.run(args, env=env, capture_output=True, text=True, timeout=30)
        assert second.returncode == 1
        assert "already running" in second.stderr
        assert _wait(lambda: (m := _menu(tmp_path / "menu.json")) and m["level"] == "error", 10)
        first.send_signal(signal.SIGTERM)
        started = time.monotonic()
        assert first.wait(5) == 0
        assert time.monotonic() - started < 3
        app_log = tmp_path / "home" / "state" / "litellm-tray" / "log" / "litellm-tray.log"
        if app_log.exists():
            assert "sk-" not in app_log.read_text(encoding="utf-8")
    finally:
        if first.poll() is None:
            first.kill()
            first.wait()


def test_without_a_chosen_backend_the_app_finds_one_and_docks(desktop: dict[str, str], tmp_path: Path) -> None:
    """What `make demo` does on a desktop: no PYSTRAY_BACKEND, whatever typelibs are installed."""
    env = _app_env(desktop, tmp_path)
    env.pop("PYSTRAY_BACKEND", None)
    app = subprocess.Popen([sys.executable, "-m", "tray", "demo"], env=env, cwd=tmp_path,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        docked = _wait(lambda: _icon_window(desktop) or app.poll() is not None, 20)
        assert app.poll() is None, app.communicate()
        assert docked, "the icon never docked"
        app.send_signal(signal.SIGTERM)
        assert app.wait(10) == 0
    finally:
        if app.poll() is None:
            app.kill()
            app.wait()
