"""`viewer --log PATH`: read the log into the store on a worker thread, so the window is up at once.

The window shows rows as they are committed (it polls the store); this thread only writes the
store, through its own connection, and reports the outcome through a queue the GUI polls.
"""

from __future__ import annotations

import queue
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

from tray.config import Settings
from tray.store import Store


@dataclass(frozen=True)
class IngestResult:
    """How reading the log ended: `count` requests read, or `error` saying why it failed."""

    path: Path
    count: int = 0
    error: str | None = None


class LogIngest:
    """One named worker thread; `ingest_file` has no stop signal, so it is a daemon, joined briefly."""

    def __init__(self, settings: Settings, path: Path, secrets: Iterable[str] = ()):
        self.settings = settings
        self.path = Path(path)
        self.secrets = tuple(secret for secret in secrets if secret)  # redacted by the reader
        self.results: queue.Queue[IngestResult] = queue.Queue()
        self._thread = threading.Thread(target=self._run, name="viewer-ingest", daemon=True)

    def start(self) -> "LogIngest":
        self._thread.start()
        return self

    def running(self) -> bool:
        return self._thread.is_alive()

    def poll(self) -> IngestResult | None:
        try:
            return self.results.get_nowait()
        except queue.Empty:
            return None

    def join(self, timeout: float = 1.0) -> None:
        self._thread.join(timeout)

    def _run(self) -> None:
        store: Store | None = None
        try:
            from tray.logs.ingest import ingest_file  # the log reader; imported only when asked

            store = Store(self.settings.store_path, retention=self.settings.retention)
            count = ingest_file(self.path, store, self.secrets, self.settings.max_line_bytes)
            self.results.put(IngestResult(self.path, count=count))
        except Exception as exc:  # any failure is shown in the window, which keeps running
            self.results.put(IngestResult(self.path, error=f"{type(exc).__name__}: {exc}"))
        finally:
            if store is not None:
                store.close()
