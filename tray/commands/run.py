"""`litellm-tray run` (the default command): the tray icon, one per user."""

from __future__ import annotations

import sys
from typing import TextIO

from tray.config import Settings
from tray.desktop.single_instance import AlreadyRunning, SingleInstance

EXIT_ALREADY_RUNNING = 1


def run_app(settings: Settings, *, err: TextIO | None = None, title: str = "litellm-tray") -> int:
    """Run the tray app until Quit / Ctrl+C / SIGTERM. 1 when another instance is running."""
    err = err or sys.stderr
    lock = SingleInstance(settings.data_dir)
    try:
        lock.acquire()
    except AlreadyRunning as exc:
        print(f"litellm-tray: {exc}", file=err)
        return EXIT_ALREADY_RUNNING
    try:
        from tray.desktop.backend import load_pystray

        try:
            load_pystray()
        except RuntimeError as exc:
            print(f"litellm-tray: cannot show a tray icon here: {exc}", file=err)
            return 2
        from tray.desktop.app import TrayApp, setup_app_log

        from tray.config import master_key

        setup_app_log(settings, tuple(k for k in (master_key(settings),) if k))
        return TrayApp(settings, title=title).run()
    finally:
        lock.release()
