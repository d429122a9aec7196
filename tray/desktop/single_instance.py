"""One tray app per user: an exclusive lock on a file in the app's data folder.

The lock is held by the open file, so it goes away with the process however it ends
(no stale lock files to clean up after a crash).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import IO


class AlreadyRunning(Exception):
    """Another instance holds the lock; the message says which process when known."""


class SingleInstance:
    def __init__(self, folder: Path, name: str = "litellm-tray.lock") -> None:
        self.path = Path(folder) / name
        self._file: IO[str] | None = None

    def acquire(self) -> "SingleInstance":
        self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        handle = open(self.path, "a+", encoding="utf-8")
        try:
            _lock(handle)
        except OSError:
            handle.seek(0)
            other = handle.read().strip()
            handle.close()
            raise AlreadyRunning(f"litellm-tray is already running (pid {other or '?'}; lock {self.path})") from None
        handle.seek(0)
        handle.truncate()
        handle.write(str(os.getpid()))
        handle.flush()
        self._file = handle
        return self

    def release(self) -> None:
        if self._file is not None:
            try:
                self._file.seek(0)
                self._file.truncate()
                _unlock(self._file)
            finally:
                self._file.close()
                self._file = None

    def __enter__(self) -> "SingleInstance":
        return self.acquire()

    def __exit__(self, *exc: object) -> None:
        self.release()


if sys.platform.startswith("win"):  # pragma: no cover - Windows only
    import msvcrt

    def _lock(handle: IO[str]) -> None:
        handle.seek(0)
        msvcrt.locking(handle.fileno(), msvcrt.LK_NBLCK, 1)

    def _unlock(handle: IO[str]) -> None:
        handle.seek(0)
        msvcrt.locking(handle.fileno(), msvcrt.LK_UNLCK, 1)
else:
    import fcntl

    def _lock(handle: IO[str]) -> None:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)

    def _unlock(handle: IO[str]) -> None:
        fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
