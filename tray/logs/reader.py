"""Chunks in, request records out: the scanner and the assembler, plus the checkpoint rule."""

from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path
from typing import Iterable, Iterator

from tray.logs.assemble import Assembler
from tray.logs.follow import Chunk, Follower
from tray.logs.parse import LineScanner, TimeResolver
from tray.model import RequestRecord

PROMPTS_HIDDEN_HINT = (
    "prompts are not in this log: start LiteLLM with --detailed_debug (or JSON_LOGS=True "
    "with --detailed_debug) to see them"
)


class LogReader:
    """Feeds chunks of one followed path through the scanner and the assembler."""

    def __init__(self, secrets: Iterable[str] = (), times: TimeResolver | None = None) -> None:
        self.scanner = LineScanner(times)
        self.assembler = Assembler(file_key="", secrets=secrets)
        self._end = 0

    def feed(self, chunk: Chunk) -> list[RequestRecord]:
        if chunk.identity.key != self.assembler.file_key:
            self.assembler.file_key = chunk.identity.key
        self._end = chunk.end
        records = self.assembler.feed_all(self.scanner.scan(chunk.data, chunk.offset))
        self.assembler.source = _source_of(self.scanner)
        for record in records:
            record.source = self.assembler.source
        return records

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

    @property
    def prompts_visible(self) -> bool:
        return self.assembler.prompts_seen

    @property
    def formats(self) -> list[str]:
        return self.scanner.stats.formats


def _source_of(scanner: LineScanner) -> str:
    """Name the file's format: the one most of its request lines were in."""
    stats = scanner.stats.lines
    return max(stats, key=stats.get) if stats else "debug"


def file_time_resolver(path: Path) -> TimeResolver:
    """Dates for a finished file come from its mtime (its last line was written then)."""
    try:
        mtime = os.stat(path).st_mtime
    except OSError:
        return TimeResolver()
    reference = datetime.fromtimestamp(mtime).astimezone()
    return TimeResolver(lambda: reference)


def iter_whole_file(path: Path, secrets: Iterable[str] = (), max_line_bytes: int = 16 * 1024 * 1024,
                    reader: LogReader | None = None, follower: Follower | None = None
                    ) -> Iterator[RequestRecord]:
    """Every request in a file, oldest first, holding only the requests still being assembled:
    a record is released once every request that began before it has been released."""
    reader = reader or LogReader(secrets, file_time_resolver(path))
    follower = follower or Follower(path, max_line_bytes=max_line_bytes, chunk_bytes=4 * 1024 * 1024)
    held: dict[str, RequestRecord] = {}
    try:
        for chunk in follower.chunks():
            for record in reader.feed(chunk):
                held[record.id] = record
            safe = reader.safe_offset()
            ready = [r for r in held.values() if r.log_offset < safe]
            for record in reader.in_log_order(ready):
                del held[record.id]
                yield record
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
