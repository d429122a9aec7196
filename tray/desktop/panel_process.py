"""Start the panel (the menu's stand-in where the tray has no menu) and read its clicks back.

pystray's `xorg` backend cannot show a menu: a click only runs the default item. There the
default item opens `tray.desktop.panel` in a process of its own (Tk and the tray icon must not
share one, as with the viewer). The menu it shows is handed over as a JSON file only this
user can read (it holds the first words of prompts); the panel answers with one JSON action
a line on its stdout, which a named thread here hands to the app's one action handler.
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import tempfile
import threading
from pathlib import Path
from typing import IO, Any, Callable, Sequence

from tray.desktop.menu import Action, Entry, to_json
from tray.desktop.viewer.process import child_environment

log = logging.getLogger(__name__)

Spawn = Callable[[list[str], dict[str, str]], subprocess.Popen[str]]


def write_menu(entries: Sequence[Entry], folder: str | None = None) -> Path:
    """The menu as a 0600 temp file (mkstemp creates it so); the panel deletes it once read."""
    handle, name = tempfile.mkstemp(prefix="litellm-tray-panel-", suffix=".json", dir=folder)
    with os.fdopen(handle, "w", encoding="utf-8") as out:
        json.dump({"entries": to_json(entries)}, out, ensure_ascii=False)
    return Path(name)


def panel_command(path: Path) -> list[str]:
    return [sys.executable, "-m", "tray.desktop.panel", str(path)]


def _spawn(command: list[str], env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen(command, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            text=True, encoding="utf-8", start_new_session=True)


def parse_action(line: str) -> Action | None:
    """One line from the panel: ``["name", arg]``; anything else is ignored (and logged)."""
    try:
        value = json.loads(line)
    except ValueError:
        value = None
    if isinstance(value, list) and len(value) == 2 and isinstance(value[0], str):
        return value[0], value[1]
    if line.strip():
        log.warning("panel sent an unreadable line: %.80r", line)
    return None


class Panel:
    """At most one panel window; `toggle` opens it, or closes the one already open (like a menu)."""

    def __init__(self, act: Callable[[Action], None], *, spawn: Spawn = _spawn) -> None:
        self.act = act
        self.spawn = spawn
        self.process: subprocess.Popen[str] | None = None
        self._reader: threading.Thread | None = None

    @property
    def is_open(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def toggle(self, entries: Sequence[Entry]) -> None:
        if self.is_open:
            self.close()
            return
        self.join(1.0)
        path = write_menu(entries)
        try:
            process = self.spawn(panel_command(path), child_environment())
        except Exception:
            path.unlink(missing_ok=True)
            raise
        self.process = process
        self._reader = threading.Thread(target=self._read, args=(process, path), name="tray-panel", daemon=True)
        self._reader.start()

    def _read(self, process: subprocess.Popen[str], path: Path) -> None:
        stdout: IO[str] | None = process.stdout
        try:
            for line in stdout or ():
                action = parse_action(line)
                if action is not None:
                    self.act(action)
        finally:
            path.unlink(missing_ok=True)   # the panel normally did; not if it failed to start
            try:
                process.wait(5)
            except subprocess.TimeoutExpired:
                log.warning("the panel did not exit after closing its output")

    def close(self) -> None:
        """Close the window (its reader thread ends at the end of its output)."""
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()

    def join(self, timeout: float) -> None:
        if self._reader is not None and self._reader is not threading.current_thread():
            self._reader.join(timeout)

    def stop(self, timeout: float = 1.0) -> None:
        self.close()
        self.join(timeout)


def has_menu(icon: Any) -> bool:
    """Whether the pystray backend behind `icon` can show a menu (its `xorg` backend cannot)."""
    return bool(getattr(type(icon), "HAS_MENU", True))


def enable_xorg_clicks(icon: Any) -> bool:
    """pystray 0.19's xorg icon window never asks for ButtonPress events, so its click handler
    (the default item, here: the panel) never runs (moses-palmer/pystray#151). Ask for them."""
    window = getattr(icon, "_window", None)
    if window is None or not type(icon).__module__.endswith("_xorg"):
        return False
    from Xlib import X

    window.change_attributes(event_mask=X.ExposureMask | X.StructureNotifyMask | X.ButtonPressMask)
    icon._display.flush()
    return True
