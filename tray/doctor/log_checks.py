"""Checks on LiteLLM's log file: there and readable, private, and in which format.

Only the last requests are parsed for the format: debug logs reach gigabytes, and the
doctor must answer in a second or two.
"""

from __future__ import annotations

import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable

from tray.doctor.finding import FAIL, OK, WARN, Finding
from tray.logs.tail import last_requests

RECENT = 50   # requests read from the end of the log for the format check
CHECK_PATH, CHECK_MODE, CHECK_FORMAT = "log file", "log permissions", "log format"

SEND_LOG_ADVICE = ("start LiteLLM with its output sent to that file "
                   "(litellm --config config.yaml --detailed_debug > {log} 2>&1), or point the app at "
                   "the log LiteLLM writes: --log PATH, `path` under [log] in config.toml, or LITELLM_TRAY_LOG")
PROMPTS_ADVICE = ("prompts are not in this log: start LiteLLM with --detailed_debug "
                  "(or JSON_LOGS=True with --detailed_debug for JSON lines)")

_FORMAT_NAMES = {"debug": "LiteLLM text", "plain": "uvicorn access lines", "json": "JSON (JSON_LOGS=True)",
                 "guide": "the user guide's format"}


def _open_for_reading(path: Path) -> None:
    with open(path, "rb") as handle:
        handle.read(1)


def check_log_path(path: Path, try_read: Callable[[Path], None] = _open_for_reading) -> Finding:
    """There, a file, and readable by this user (tried, not guessed from the mode bits)."""
    if not path.exists():
        return Finding(CHECK_PATH, FAIL, f"no file at {path}", SEND_LOG_ADVICE.format(log=path))
    if not path.is_file():
        return Finding(CHECK_PATH, FAIL, f"{path} is not a file", "give the log file itself, not a folder")
    try:
        try_read(path)
    except OSError as exc:
        return Finding(CHECK_PATH, FAIL, f"cannot read {path}: {exc.strerror or exc}",
                       "run the tray as the user LiteLLM writes the log as, or give that user read access "
                       f"(sudo chown $USER {path}; chmod 600 {path})")
    size = path.stat().st_size
    return Finding(CHECK_PATH, OK, f"{path} is readable ({_size(size)})")


def check_log_mode(path: Path, mode: int) -> Finding:
    """Warn when group or others may read it: a debug log holds every prompt."""
    shown = f"{stat.S_IMODE(mode):04o}"
    if mode & (stat.S_IRGRP | stat.S_IROTH):
        who = " and ".join(w for w, bit in (("group", stat.S_IRGRP), ("others", stat.S_IROTH)) if mode & bit)
        return Finding(CHECK_MODE, WARN, f"mode {shown}: {who} can read it, and a LiteLLM log holds prompts and errors",
                       f"chmod 600 {path} (and start LiteLLM with umask 077 so a rotated log stays private)")
    return Finding(CHECK_MODE, OK, f"mode {shown}: only its owner can read it")


@dataclass(frozen=True)
class LogScan:
    """What the end of a log showed: which formats, whether prompts, how many requests."""

    formats: tuple[str, ...]
    prompts_visible: bool
    requests: int


def scan_log(path: Path, secrets: Iterable[str] = (), requests: int = RECENT) -> LogScan:
    """The last `requests` requests through the app's own parser (the cost follows that, not the file)."""
    records, reader = last_requests(path, requests, secrets)
    return LogScan(tuple(reader.formats), reader.prompts_visible, len(records))


def describe_format(scan: LogScan) -> Finding:
    """Which format, and whether prompts can be shown; how to turn them on when not."""
    where = f"the last {scan.requests} requests"
    if not scan.formats:
        return Finding(CHECK_FORMAT, WARN, "no LiteLLM lines recognised",
                       "is this LiteLLM's log? An empty file is fine until the proxy writes to it")
    names = ", ".join(_FORMAT_NAMES.get(name, name) for name in scan.formats)
    if scan.prompts_visible:
        return Finding(CHECK_FORMAT, OK, f"{names}; prompts visible in {where}")
    return Finding(CHECK_FORMAT, WARN,
                   f"{names}; no prompts in {where}: counts and status codes only",
                   PROMPTS_ADVICE)


def _size(size: int) -> str:
    if size < 1024:
        return f"{size} bytes"
    value = float(size)
    for unit in ("KiB", "MiB", "GiB"):
        value /= 1024
        if value < 1024:
            break
    return f"{value:.1f} {unit}"
