"""The panel's plumbing without a display: the private menu file, the action lines it sends
back, and the reader thread that hands them to the app's action handler."""

from __future__ import annotations

import stat
import subprocess
import sys
import threading
from pathlib import Path

from tray.desktop.menu import build_menu, from_json, to_json
from tray.desktop.panel import read_menu
from tray.desktop.panel_process import Panel, has_menu, panel_command, parse_action, write_menu

from test_tray_icon_menu import state


def test_menu_file_is_private_and_round_trips(tmp_path: Path) -> None:
    entries = build_menu(state(), now=0)
    path = write_menu(entries, folder=str(tmp_path))
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert from_json(to_json(entries)) == entries
    assert read_menu(path) == entries
    assert not path.exists()                      # it holds prompt words: gone once read


def test_action_lines() -> None:
    assert parse_action('["open_request", "abc"]\n') == ("open_request", "abc")
    assert parse_action('["pause", 900.0]') == ("pause", 900.0)
    assert parse_action("garbage") is None and parse_action("[1, 2]") is None and parse_action("\n") is None
    assert panel_command(Path("/t/m.json"))[1:] == ["-m", "tray.desktop.panel", "/t/m.json"]


def test_panel_hands_its_actions_to_the_app_and_toggles(tmp_path: Path) -> None:
    got: list[tuple[str, object]] = []
    done = threading.Event()
    files: list[Path] = []

    def act(action: tuple[str, object]) -> None:
        got.append(action)
        if action[0] == "quit":
            done.set()

    def spawn(command: list[str], env: dict[str, str]) -> subprocess.Popen[str]:
        files.append(Path(command[-1]))
        script = "import sys; print('[\"refresh\", null]'); print('noise'); print('[\"quit\", null]')"
        return subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)

    panel = Panel(act, spawn=spawn)
    panel.toggle(build_menu(state(), now=0))
    assert done.wait(10)
    panel.join(5)
    assert got == [("refresh", None), ("quit", None)]
    assert not files[0].exists()                  # removed even though this child never read it

    sleeper = "import time; time.sleep(30)"
    panel.spawn = lambda c, e: subprocess.Popen([sys.executable, "-c", sleeper], stdout=subprocess.PIPE, text=True)
    panel.toggle(build_menu(state(), now=0))
    assert panel.is_open
    panel.toggle(build_menu(state(), now=0))      # a second click closes it, like a menu
    panel.join(5)
    assert not panel.is_open


def test_has_menu_reads_the_backend_flag() -> None:
    class NoMenu:
        HAS_MENU = False

    assert has_menu(object()) and not has_menu(NoMenu())
