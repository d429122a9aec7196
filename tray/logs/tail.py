"""The last N requests of a log without reading the whole file.

It parses a window at the end of the file and doubles the window until it holds N complete
requests, and until those N come out the same from the window twice as large, so the cost
follows N and the size of a request, never the size of the file.

Why twice: a window begins among requests in flight. Their outcome lines (an access line, a
Done) are in the window without their bodies, and may be taken for requests of their own or
given to the wrong request; the last N are right once a larger window no longer changes them.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Iterable

from tray.logs.follow import (
    Chunk, FileIdentity, identity_of, line_start_at_or_before, open_for_reading, read_at,
)
from tray.logs.lookback import runs_workers
from tray.logs.reader import LogReader, file_time_resolver
from tray.model import RequestRecord

FIRST_WINDOW = 512 * 1024
#: A window never grows past this many times the first that held N requests, even if the last
#: N still change (a log whose call ids repeat): the cost stays bounded.
MAX_GROWTH = 8
READ_BLOCK = 4 * 1024 * 1024


def last_requests(path: Path, limit: int, secrets: Iterable[str] = ()) -> tuple[list[RequestRecord], LogReader]:
    """The last `limit` requests in `path`, oldest first (limit > 0)."""
    fd = open_for_reading(path)
    try:
        size = os.fstat(fd).st_size
        identity = identity_of(fd) or FileIdentity(0, 0, "")
        window = FIRST_WINDOW
        seen: list[dict] | None = None        # the last N of the smaller window
        enough_at: int | None = None          # the first window that held N
        supervised: bool | None = None        # as the lines before the first window say
        while True:
            start = line_start_at_or_before(fd, max(0, size - window))
            if supervised is None:            # a larger window begins earlier: it reads the rest
                supervised = runs_workers(fd, start)
            records, reader = _parse_window(fd, path, identity, start, size, secrets, supervised)
            last = records[-limit:]
            if start == 0:
                return last, reader
            if len(records) >= limit:
                enough_at = enough_at or window
                these = [record.to_json() for record in last]
                if these == seen or window >= MAX_GROWTH * enough_at:
                    return last, reader
                seen = these
            window *= 2
    finally:
        os.close(fd)


def read_range(fd: int, reader: LogReader, identity: FileIdentity, start: int, end: int
               ) -> dict[str, RequestRecord]:
    """Feed bytes [start, end) of an open file (start at a line boundary) through `reader`."""
    records: dict[str, RequestRecord] = {}
    pos = start
    carry = b""
    while pos < end:
        data = carry + read_at(fd, min(READ_BLOCK, end - pos), pos)
        base = pos - len(carry)
        pos += len(data) - len(carry)
        cut = data.rfind(b"\n") + 1
        carry = data[cut:]
        if cut:
            for record in reader.feed(Chunk(data[:cut], base, identity)):
                records[record.id] = record
    for record in reader.settle():
        records[record.id] = record
    return records


def _parse_window(fd: int, path: Path, identity: FileIdentity, start: int, end: int,
                  secrets: Iterable[str], supervised: bool) -> tuple[list[RequestRecord], LogReader]:
    reader = LogReader(secrets, file_time_resolver(path))
    reader.assembler.mid_file = start > 0
    reader.assembler.supervised = supervised
    records = read_range(fd, reader, identity, start, end)
    assembler = reader.assembler
    kept = [r for r in records.values() if not assembler.started_before_window(r, start)]
    return reader.in_log_order(kept), reader
