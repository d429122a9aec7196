"""What a log file says in total, for `status`: requests, failures, spend, whether prompts show.

A debug log grows by gigabytes a day, so the summary reads at most the last `WINDOW` bytes
(from a line boundary): the recent past is what `status` is about, and its cost stays bounded.
"""

from __future__ import annotations

import os
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from tray.config import Settings, master_key
from tray.logs.follow import FileIdentity, identity_of, line_start_at_or_before, open_for_reading
from tray.logs.reader import LogReader, file_time_resolver
from tray.logs.tail import read_range

WINDOW = 512 * 1024 * 1024


@dataclass
class LogSummary:
    path: str
    requests: int = 0
    failed: int = 0
    prompts_visible: bool = False
    last_time: str | None = None
    cost_total: float = 0.0
    cost_by_model: dict[str, float] = field(default_factory=dict)


def summarize_log(path: Path, settings: Settings) -> LogSummary | None:
    """Counts over the file (its last 512 MiB at most); None when there is no such file."""
    if not path.is_file():
        return None
    secrets = [key for key in (master_key(settings),) if key]
    reader = LogReader(secrets, file_time_resolver(path))
    fd = open_for_reading(path)
    try:
        size = os.fstat(fd).st_size
        identity = identity_of(fd) or FileIdentity(0, 0, "")
        start = line_start_at_or_before(fd, max(0, size - WINDOW))
        records = read_range(fd, reader, identity, start, size)
    finally:
        os.close(fd)
    summary = LogSummary(path=str(path), prompts_visible=reader.prompts_visible)
    by_model: dict[str, float] = defaultdict(float)
    for record in records.values():
        summary.requests += 1
        summary.failed += record.status == "error"
        if record.time and (summary.last_time is None or record.time > summary.last_time):
            summary.last_time = record.time
        if record.cost:
            summary.cost_total += record.cost
            by_model[record.model or "unknown"] += record.cost
    summary.cost_by_model = dict(by_model)
    return summary
