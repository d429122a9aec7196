"""`litellm-tray autostart on|off|status`: the login item for this platform (tray.autostart).

`on` runs the app as it is installed now, with the --config/--log/--proxy given on this
command line, so a login starts it the way it was tested by hand.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Mapping, Sequence, TextIO

from tray import autostart

EXIT_OK = 0
EXIT_OFF = 1          # `status` when no login item is installed (scripts can test for it)

_WHEN = {"linux": "at the next login to your desktop session",
         "darwin": "at the next login (launchd reads ~/Library/LaunchAgents then)",
         "windows": "at the next sign-in"}


def command_for(options: Mapping[str, object], base: Sequence[str] | None = None) -> list[str]:
    """The launch command plus the global options given explicitly (paths made absolute)."""
    command = list(base) if base is not None else autostart.launch_command()
    for flag in ("config", "log", "proxy"):
        value = options.get(flag)
        if value is None:
            continue
        text = str(Path(str(value)).expanduser().absolute()) if flag != "proxy" else str(value)
        command += [f"--{flag}", text]
    return command


def run_autostart(action: str, options: Mapping[str, object], *, out: TextIO | None = None,
                  platform: str = sys.platform, environ: Mapping[str, str] | None = None,
                  base: Sequence[str] | None = None) -> int:
    """Install, remove or report the login item. `status` exits 1 when it is off."""
    out = out or sys.stdout
    item = autostart.login_item(command_for(options, base), platform, environ)
    if action == "on":
        changed = autostart.enable(item)
        print(f"autostart on: {item.path}" + ("" if changed else " (already there)"), file=out)
        print(f"litellm-tray will start {_WHEN[item.platform]}", file=out)
        return EXIT_OK
    if action == "off":
        removed = autostart.disable(item)
        print(f"autostart off: {'removed ' if removed else 'nothing at '}{item.path}", file=out)
        return EXIT_OK
    current = autostart.state(item)
    if current == "off":
        print(f"autostart is off (no {item.path})", file=out)
        return EXIT_OFF
    if current == "other":
        print(f"autostart is on: {item.path}, written for another command or options; "
              "`litellm-tray autostart on` rewrites it for this one", file=out)
    else:
        print(f"autostart is on: {item.path}", file=out)
    return EXIT_OK
