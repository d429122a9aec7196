"""`litellm-tray viewer [--log PATH] [--request ID]`: the prompt viewer window, in this process.

The tray starts it as a process of its own (`tray.desktop.viewer.process`), because Tk and the
tray icon cannot share a process on macOS. With `--log` the log is read into the store while
the window is already up.
"""

from __future__ import annotations

import sys

from tray.config import Settings, master_key

EXIT_OK = 0
EXIT_USAGE = 2


def run_viewer(settings: Settings, log_given: bool, request_id: str | None) -> int:
    try:
        import tkinter as tk
    except ImportError:
        print("litellm-tray viewer: this Python has no Tk (the tkinter module); install your "
              "system's Tk for Python, e.g. `apt-get install python3-tk`", file=sys.stderr)
        return EXIT_USAGE
    if log_given and not settings.log_path.is_file():
        print(f"litellm-tray viewer: no such log file: {settings.log_path}", file=sys.stderr)
        return EXIT_USAGE

    from tray.desktop.viewer.ingest_task import LogIngest
    from tray.desktop.viewer.probe import Probe
    from tray.desktop.viewer.source import ViewerSource
    from tray.desktop.viewer.window import ViewerWindow

    try:
        root = tk.Tk(className="litellm-tray")
    except tk.TclError as exc:
        print(f"litellm-tray viewer: cannot open a window: {exc}", file=sys.stderr)
        return EXIT_USAGE
    ingest = None
    if log_given:
        ingest = LogIngest(settings, settings.log_path, [master_key(settings) or ""]).start()
    ViewerWindow(root, ViewerSource(settings.store_path), proxy_url=settings.proxy_url,
                 request_id=request_id, ingest=ingest, probe=Probe.from_env())
    root.mainloop()
    return EXIT_OK
