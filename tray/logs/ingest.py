"""Follow one log file into the store: the loop the engine runs, and a one-shot import.

Rows are committed before the checkpoint that covers them, in one transaction, and the
checkpoint is the reader's safe offset (before every request still being assembled), so a
crash at any point loses nothing and a restart re-reads only what it must; ids make the
re-read idempotent.
"""

from __future__ import annotations

import logging
import os
import threading
from contextlib import closing
from pathlib import Path
from typing import Callable, Iterable

from tray.logs.follow import FileIdentity, Follower, Waker, identity_of, open_for_reading
from tray.logs.lookback import runs_workers
from tray.logs.reader import LogReader, file_time_resolver, read_ahead
from tray.logs.tail import last_requests
from tray.model import RequestRecord, StartedRequest
from tray.store import Checkpoint, Store

log = logging.getLogger(__name__)

#: How long an access line waits at the end of the file for the line naming its request.
SETTLE_SECONDS = 0.3


class LogIngestor:
    """Reads new lines of `path` on each `step()` and stores the requests they complete."""

    def __init__(
        self,
        path: Path,
        store: Store,
        *,
        secrets: Iterable[str] = (),
        max_line_bytes: int = 16 * 1024 * 1024,
        backfill: int = 0,
        on_records: Callable[[list[RequestRecord]], None] | None = None,
        on_started: Callable[[list[StartedRequest]], None] | None = None,
        live: bool = True,
    ) -> None:
        self.path = Path(path)
        self.store = store
        self.on_records = on_records
        self.on_started = on_started
        self.secrets = tuple(secrets)
        self.total = 0      # record writes: a request that later lines add to counts again
        # A restart or a backfill read lines this reader will not see again: what they showed
        # about prompts still holds.
        self._prompts_seen_before = store.prompts_seen(str(self.path))
        saved = store.checkpoint(str(self.path))
        if saved is None and backfill > 0:
            saved = self._backfill(backfill)
        identity = FileIdentity(saved.device, saved.inode, saved.fingerprint) if saved else None
        self.follower = Follower(
            self.path,
            start_identity=identity,
            start_offset=saved.offset if saved else 0,
            max_line_bytes=max_line_bytes,
        )
        self.reader = LogReader(self.secrets, None if live else file_time_resolver(self.path))
        self.reader.assembler.track_started = on_started is not None
        if saved is not None and identity is not None:
            self.reader.assembler.replayed = store.access_marks(identity.key)
            self.reader.assembler.supervised = self._runs_workers(identity, saved.offset)

    def _backfill(self, limit: int) -> Checkpoint | None:
        """First start on a file: store its last `limit` requests instead of reading it all,
        and follow from there (a debug log may hold gigabytes of history)."""
        try:
            fd = open_for_reading(self.path)
        except OSError:
            return None              # not there yet: the follower waits and reads it from 0
        try:
            identity = identity_of(fd)
        finally:
            os.close(fd)
        if identity is None:
            return None
        records, reader = last_requests(self.path, limit, self.secrets)
        self._prompts_seen_before = self._prompts_seen_before or reader.prompts_visible
        checkpoint = self._checkpoint(identity, reader.safe_offset(overlap=False))
        self.store.commit(records, checkpoint)
        self.store.set_log_facts(str(self.path), reader.formats, self._prompts_seen_before)
        self.total += len(records)
        return checkpoint

    def _runs_workers(self, identity: FileIdentity, offset: int) -> bool:
        """Whether the lines before a checkpoint at `offset` show the proxy running workers
        under a parent process (see tray.logs.lookback); False if the file is another now."""
        try:
            fd = open_for_reading(self.path)
        except OSError:
            return False
        try:
            return identity_of(fd) == identity and runs_workers(fd, offset)
        finally:
            os.close(fd)

    def _checkpoint(self, identity: FileIdentity, offset: int) -> Checkpoint:
        return Checkpoint(str(self.path), identity.device, identity.inode, identity.fingerprint, offset)

    @property
    def error(self) -> str | None:
        return self.follower.error

    @property
    def prompts_visible(self) -> bool:
        """The log holds request bodies: seen by this reader, or before a restart or backfill."""
        return self._prompts_seen_before or self.reader.prompts_visible

    def read_on_every_core(self, stop: threading.Event | None = None) -> None:
        """Read a big stretch of file ahead of the follower (a first read of a whole file, or a
        restart far behind its checkpoint) with worker processes (see tray.logs.parallel):
        commit and hand records on segment by segment, and leave the follower where they
        stopped. Less than tray.logs.parallel.MIN_BYTES to read is left to `step`."""
        with closing(read_ahead(self.reader, self.follower)) as segments:
            for identity, records in segments:
                self._commit(records, identity)
                self._publish(records)
                if stop is not None and stop.is_set():
                    break

    def step(self, collect: bool = True) -> list[RequestRecord]:
        """Poll once; commit what it completed with its checkpoint, chunk by chunk, and hand
        each chunk's records on at once (a big catch-up is never held whole). Returns the
        records when `collect`."""
        done: list[RequestRecord] = []
        identity = None
        for chunk in self.follower.chunks():
            records = self.reader.feed(chunk)
            self._commit(records, chunk.identity)
            self._publish(records)
            if collect:
                done.extend(records)
            identity = chunk.identity
        # At EOF: an access line whose outcome line has not come in time is settled
        settled = self.reader.settle(waited=SETTLE_SECONDS)
        identity = identity or self.follower.identity
        if settled:
            # identity None: a file just rotated in and still empty, no checkpoint for it yet
            self._commit(settled, identity)
            self._publish(settled)
            if collect:
                done.extend(settled)
        return done

    def _publish(self, records: list[RequestRecord]) -> None:
        """Starts first, then outcomes: a request is seen starting before it finishes."""
        started = self.reader.assembler.take_started()
        if started and self.on_started is not None:
            self.on_started(started)
        if records and self.on_records is not None:
            self.on_records(records)

    def _commit(self, records: list[RequestRecord], identity: FileIdentity | None) -> None:
        """Store `records` and, where the file is known, the checkpoint that covers them."""
        checkpoint = self._checkpoint(identity, self.reader.safe_offset()) if identity else None
        self.store.commit(records, checkpoint)
        self.total += len(records)
        self.store.set_log_facts(str(self.path), self.reader.formats, self.prompts_visible)

    def finish(self) -> list[RequestRecord]:
        """At the end of a one-shot import: settle access lines still waiting for a request."""
        records = self.reader.settle()
        if records:
            self._commit(records, None)
        return records

    def run(self, stop: threading.Event, poll_seconds: float = 0.25) -> None:
        """Follow until `stop`: file events wake it early, polling keeps it correct. A big
        stretch left to read (a restart far behind) is read on every core first."""
        waker = Waker(self.path)
        waker.start()
        try:
            try:
                self.read_on_every_core(stop)
            except Exception:  # noqa: BLE001 - the follower reads whatever was not read here
                log.exception("reading the log on every core failed; reading it in this process")
            while not stop.is_set():
                try:
                    self.step(collect=False)
                except Exception:  # noqa: BLE001 - a bad line must never stop the follower
                    log.exception("log ingestion step failed; continuing")
                waker.wait(poll_seconds)
        finally:
            waker.stop()
            self.follower.close()


def ingest_file(path: Path, store: Store, secrets: Iterable[str] = (),
                max_line_bytes: int = 16 * 1024 * 1024) -> int:
    """Bring the store up to date with a whole file (resuming from its checkpoint; a big file
    read from its start is scanned on every core)."""
    ingestor = LogIngestor(path, store, secrets=secrets, max_line_bytes=max_line_bytes, live=False)
    ingestor.read_on_every_core()
    ingestor.step(collect=False)
    ingestor.finish()
    ingestor.follower.close()
    return ingestor.total
