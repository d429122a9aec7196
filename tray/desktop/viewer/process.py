"""Start the viewer as its own process: Tk and the tray icon cannot share one on macOS.

The tray menu calls `open_viewer_process`; the child is `python -m tray viewer`, told the same
store and proxy as the app (data dir by environment, config and proxy by options).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tray.config import Settings

_PACKAGE_ROOT = Path(__file__).resolve().parents[3]


def viewer_command(settings: Settings, request_id: str | None = None) -> list[str]:
    """The child's command line (no log: the running app is what fills the store)."""
    command = [sys.executable, "-m", "tray", "viewer", "--proxy", settings.proxy_url]
    if settings.config_path is not None and Path(settings.config_path).exists():
        command += ["--config", str(settings.config_path)]
    if request_id:
        command += ["--request", request_id]
    return command


def child_environment(base: dict[str, str] | None = None) -> dict[str, str]:
    """The parent's environment with `tray` importable from a checkout (for `python -m`)."""
    env = dict(os.environ if base is None else base)
    path = env.get("PYTHONPATH")
    env["PYTHONPATH"] = str(_PACKAGE_ROOT) + (os.pathsep + path if path else "")
    return env


def viewer_environment(settings: Settings, base: dict[str, str] | None = None) -> dict[str, str]:
    """The parent's environment plus the store's folder, and `tray` importable from a checkout."""
    env = child_environment(base)
    env["LITELLM_TRAY_DATA_DIR"] = str(settings.data_dir)
    return env


def spawn_child(command: list[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
    """A window process of its own session: a Ctrl+C meant for the tray does not close it."""
    return subprocess.Popen(command, env=env, stdin=subprocess.DEVNULL, start_new_session=True)


def open_viewer_process(settings: Settings, request_id: str | None = None) -> subprocess.Popen[bytes]:
    """Start the viewer window, optionally on one request; the caller owns (and may wait on) it."""
    return spawn_child(viewer_command(settings, request_id), viewer_environment(settings))
