"""`litellm-tray config [--init [--force]]`: write a commented config file, or check one.

`--init` writes every setting at its default (tray.config.render_default_toml) to --config PATH
or the default path, and refuses to overwrite an existing file without --force. Without
`--init` the file is loaded and either reported valid or refused with file, line and fault.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import TextIO

from tray.config import ConfigError, default_config_path, load_settings, render_default_toml

EXIT_OK = 0
EXIT_REFUSED = 2


def run_config(path: Path | None, *, init: bool, force: bool, out: TextIO | None = None,
               err: TextIO | None = None) -> int:
    out = out or sys.stdout
    err = err or sys.stderr
    target = Path(path).expanduser() if path is not None else default_config_path()
    if init:
        return _init(target, force, out, err)
    if not target.exists():
        print(f"no config file at {target}: every setting is at its default "
              "(`litellm-tray config --init` writes one to edit)", file=out)
        return EXIT_OK
    try:
        load_settings(target, environ={})
    except ConfigError as exc:
        print(f"litellm-tray: config error: {exc}", file=err)
        return EXIT_REFUSED
    print(f"{target}: valid", file=out)
    return EXIT_OK


def _init(target: Path, force: bool, out: TextIO, err: TextIO) -> int:
    if target.exists() and not force:
        print(f"litellm-tray: {target} exists; not overwritten (add --force to replace it)", file=err)
        return EXIT_REFUSED
    target.parent.mkdir(parents=True, exist_ok=True)
    # Written to a new file, then moved into place: a failed write never leaves half a config.
    temporary = target.with_name(target.name + ".new")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(render_default_toml())
    os.replace(temporary, target)
    print(f"wrote {target} (every setting at its default; edit what you need)", file=out)
    return EXIT_OK
