"""Chunks in, request records out: the scanner and the assembler, plus the checkpoint rule."""

from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path
from typing import Iterable, Iterator

from tray.logs.assemble import Assembler
from tray.logs.events import Located
from tray.logs.follow import Chunk, FileIdentity, Follower
from tray.logs.parallel import ParallelScan, hand_over
from tray.logs.parse import FixedClock, LineScanner, TimeResolver
from tray.model import RequestRecord

PROMPTS_HIDDEN_HINT = (
    "prompts are not in this log: start LiteLLM with --detailed_debug (or JSON_LOGS=True "
    "with --detailed_debug) to see them"
)


class LogReader:
    """Feeds chunks of one followed path through the scanner and the assembler."""

    def __init__(self, secrets: Iterable[str] = (), times: TimeResolver | None = None) -> None:
        self.scanner = LineScanner(times, secrets)
        self.assembler = Assembler(file_key="", secrets=secrets)
        self._end = 0

    def feed(self, chunk: Chunk) -> list[RequestRecord]:
        return self.feed_events(chunk.identity, chunk.end, self.scanner.scan(chunk.data, chunk.offset))

    def feed_events(self, identity: FileIdentity, end: int, events: list[Located]) -> list[RequestRecord]:
        """Assemble events scanned (here or by a worker) from one file up to offset `end`."""
        if identity.key != self.assembler.file_key:
            self.assembler.file_key = identity.key
        self._end = end
        return self.assembler.feed_all(events)

    def settle(self, waited: float = 0.0) -> list[RequestRecord]:
        return self.assembler.settle(waited)

    @staticmethod
    def in_log_order(records: Iterable[RequestRecord]) -> list[RequestRecord]:
        """Oldest first: by where each request began in the log (its outcome may come later)."""
        return sorted(records, key=lambda r: r.log_offset)

    def safe_offset(self, *, overlap: bool = True) -> int:
        """Offset a restart must resume from: before every request still being assembled
        (`overlap`: and the last few finished, see Assembler.safe_offset)."""
        offset = self.assembler.safe_offset(self._end, overlap=overlap)
        carry = self.scanner.carry_offset
        return min(offset, carry) if carry is not None else offset

    def under_way(self) -> list[RequestRecord]:
        """Requests begun with no outcome in what was read (see Assembler.under_way)."""
        return self.assembler.under_way()

    @property
    def prompts_visible(self) -> bool:
        return self.assembler.prompts_seen

    @property
    def formats(self) -> list[str]:
        return self.scanner.stats.formats


def file_time_resolver(path: Path) -> TimeResolver:
    """Dates for a finished file come from its mtime (its last line was written then)."""
    try:
        mtime = os.stat(path).st_mtime
    except OSError:
        return TimeResolver()
    reference = datetime.fromtimestamp(mtime).astimezone()
    return TimeResolver(FixedClock(reference))


def read_ahead(reader: LogReader, follower: Follower, workers: int | None = None
               ) -> Iterator[tuple[FileIdentity, list[RequestRecord]]]:
    """(file, records) per segment of the big stretch of file ahead of `follower` (a whole file,
    or a restart far behind its checkpoint), scanned by `workers` processes (default: one per
    core, see tray.logs.parallel); nothing when little is left to read. Once the iteration ends,
    or is closed early, the follower goes on where the workers stopped: what was fed to
    `reader` is never fed again."""
    scan = ParallelScan(follower.path, reader.scanner, follower.max_line_bytes, workers,
                        follower.resume)
    segments = scan.events()
    try:
        for identity, end, located in segments:
            yield identity, reader.feed_events(identity, end, located)
    finally:
        segments.close()        # stops the workers when the read ends early
        hand_over(scan, follower)


def iter_whole_file(path: Path, secrets: Iterable[str] = (), max_line_bytes: int = 16 * 1024 * 1024,
                    reader: LogReader | None = None, follower: Follower | None = None,
                    workers: int | None = None) -> Iterator[RequestRecord]:
    """Every request in a file, oldest first, holding only the requests still being assembled:
    a record is released once every request that began before it has been released.
    A big file is scanned by `workers` processes (default: one per core, see
    tray.logs.parallel); the follower reads what is left, and what is added meanwhile."""
    reader = reader or LogReader(secrets, file_time_resolver(path))
    follower = follower or Follower(path, max_line_bytes=max_line_bytes, chunk_bytes=4 * 1024 * 1024)
    held: dict[str, RequestRecord] = {}

    def ready(records: list[RequestRecord]) -> list[RequestRecord]:
        for record in records:
            held[record.id] = record
        safe = reader.safe_offset()
        out = reader.in_log_order([r for r in held.values() if r.log_offset < safe])
        for record in out:
            del held[record.id]
        return out

    try:
        for _, records in read_ahead(reader, follower, workers):
            yield from ready(records)
        for chunk in follower.chunks():
            yield from ready(reader.feed(chunk))
        for record in reader.settle():
            held[record.id] = record
        yield from reader.in_log_order(held.values())
    finally:
        follower.close()


def read_whole_file(path: Path, secrets: Iterable[str] = (), max_line_bytes: int = 16 * 1024 * 1024
                    ) -> tuple[list[RequestRecord], LogReader, Follower]:
    """Parse a whole file once: every request in it, oldest first, as a list."""
    reader = LogReader(secrets, file_time_resolver(path))
    follower = Follower(path, max_line_bytes=max_line_bytes, chunk_bytes=4 * 1024 * 1024)
    records = list(iter_whole_file(path, secrets, max_line_bytes, reader, follower))
    return records, reader, follower
