"""`litellm-tray demo [--real]`: the tray app against a built-in demo proxy with live traffic.

Everything lives in a temporary folder (log, store, app log) that is removed on exit, with
the demo's threads (or the real LiteLLM process with `--real`).
"""

from __future__ import annotations

import sys
from typing import TextIO

from tray.config import Settings


def run_demo(settings: Settings, real: bool = False, *, out: TextIO | None = None,
             err: TextIO | None = None) -> int:
    from tray.demo import REAL_MISSING, Demo, real_support

    out = out or sys.stdout
    err = err or sys.stderr
    if real and real_support() is None:
        print(f"litellm-tray: {REAL_MISSING}", file=err)
        return 2
    demo = Demo(settings, real=real)
    try:
        demo.start()
    except Exception as exc:  # noqa: BLE001 - say why, leave nothing behind
        print(f"litellm-tray: the demo could not start: {exc}", file=err)
        return 2
    try:
        print(f"litellm-tray demo: proxy {demo.settings.proxy_url}, log {demo.settings.log_path}", file=out)
        print(f"litellm-tray demo: folder {demo.dir} (removed on exit); Quit from the menu or Ctrl+C", file=out)
        out.flush()
        from tray.commands.run import run_app

        return run_app(demo.settings, err=err, title="litellm-tray demo")
    finally:
        demo.stop()
