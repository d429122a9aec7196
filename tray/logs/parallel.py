"""Read a big finished log on every core: worker processes scan segments, this one assembles.

Scanning (finding the lines that matter, decoding them, parsing and redacting bodies) is most
of a read's work and needs nothing from earlier in the file but the scanner's small state
(`ScanState`). So a big file is cut into segments at lines that begin a log record, and worker
processes scan them at the same time, each with a fresh scanner. Assembly stays here, in file
order. A worker's events are taken only when the state a sequential read carries into that
segment is fresh too; otherwise this process scans the segment itself, carrying the state on.
Either way the events, and so the records, are those of one sequential read.
"""

from __future__ import annotations

import gc
import logging
import multiprocessing
import os
import pickle
import re
import signal
import sys
import threading
from contextlib import contextmanager
from dataclasses import dataclass, fields
from datetime import datetime
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Callable, Iterator

from tray.logs import events
from tray.logs.events import Located
from tray.logs.follow import (
    FileIdentity, Follower, identity_of, open_for_reading, read_at, read_lines, resume_offset,
)
from tray.logs.parse import LineScanner, ScanState, TimeResolver

log = logging.getLogger(__name__)

#: Less than this left to read is read in this process: starting workers costs more than it saves.
MIN_BYTES = 32 * 1024 * 1024
#: How much of the file one worker scans at a time. On 524 MB, 2 MB segments took 3.2 s of
#: CPU in all (workers and this process), 4 MB ones 3.6 s and 8 MB ones 4.1 s; 1 MB, 3.3 s.
SEGMENT_BYTES = 2 * 1024 * 1024
#: Worker processes at most.
MAX_WORKERS = 4
#: A worker that has not answered in this long is taken for lost; its segment is read here.
WORKER_TIMEOUT = 300.0
#: What a pipe to a worker may hold (Linux's default ceiling for a user).
_PIPE_BYTES = 1024 * 1024
#: Allocations between two collections of the youngest generation while events come in.
_GC_YOUNGEST = 50_000
#: Bytes a worker reads at a time.
CHUNK_BYTES = 4 * 1024 * 1024
#: A segment begins this close after its nominal place, at a line that begins a log record
#: (a debug header, a JSON log line, an access line; not a request body's JSON line).
_BOUNDARY_WINDOW = 64 * 1024
_RECORD_START = re.compile(rb"\n(?=(?:\x1b\[[0-9;]*m)?\d\d:\d\d:\d\d |\{\"message\"|INFO: )")

_KINDS: tuple[type, ...] = (events.Start, events.Bind, events.Done, events.Failure, events.Access,
                            events.Cost, events.Response, events.Tokens, events.Restart)
_KIND_INDEX = {kind: index for index, kind in enumerate(_KINDS)}
_FIELD_NAMES = {kind: tuple(field.name for field in fields(kind)) for kind in _KINDS}


def worker_count() -> int:
    """Workers for this machine: none on one core (a worker would only queue behind us)."""
    cores = os.cpu_count() or 1
    return 0 if cores < 2 else min(cores, MAX_WORKERS)


def plan_segments(fd: int, size: int, segment_bytes: int | None = None, *, begin: int = 0) -> list[int]:
    """Offsets where segments begin: `begin` (a line start), then about every `segment_bytes`
    (SEGMENT_BYTES), each at a line that begins a log record (a body or a traceback never
    spans one), else at a line start."""
    segment_bytes = segment_bytes or SEGMENT_BYTES
    cuts = [begin]
    at = begin + segment_bytes
    while at < size:
        window = read_at(fd, _BOUNDARY_WINDOW, at - 1)
        match = _RECORD_START.search(window)
        newline = match.start() if match is not None else window.find(b"\n")
        cut = at + newline if newline >= 0 else -1
        if cuts[-1] < cut < size:
            cuts.append(cut)
        at = max(at, cut) + segment_bytes
    return cuts


@dataclass(frozen=True)
class _Job:
    path: str
    identity: FileIdentity
    start: int
    end: int
    max_line_bytes: int
    secrets: tuple[str, ...]
    clock: Callable[[], datetime]


@dataclass
class _Scanned:
    events: list[tuple]
    stats: dict[str, int]
    state: ScanState
    skipped: int


def _pack(item: Located) -> tuple:
    """An event as a plain tuple: unpickled 1.6x faster than the dataclasses."""
    event = item.event
    kind = type(event)
    return (_KIND_INDEX[kind], item.offset, item.time, item.source,
            *[getattr(event, name) for name in _FIELD_NAMES[kind]])


def _unpack(packed: tuple) -> Located:
    return Located(_KINDS[packed[0]](*packed[4:]), packed[1], packed[2], packed[3])


def _settle_worker() -> None:
    """Set a worker process up: it ignores Ctrl+C and collects garbage only between jobs."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)   # Ctrl+C is the reader's to handle
    # Collections mid-scan only walked the heap (11 % of a worker's CPU): _work collects once
    # per job instead, leaving out what the worker inherited.
    gc.disable()
    gc.freeze()


def _scan_segment(job: _Job) -> _Scanned:
    """In a worker: the events of one segment, read with a fresh scanner."""
    fd = open_for_reading(job.path)
    try:
        info = os.fstat(fd)
        if (info.st_dev, info.st_ino) != (job.identity.device, job.identity.inode):
            raise FileNotFoundError(f"{job.path} was replaced while it was read")
        scanner = LineScanner(TimeResolver(job.clock), job.secrets)
        located, skipped, _ = _scan_range(fd, job.start, job.end, scanner, job.max_line_bytes)
        stats = dict(scanner.stats.lines)
        return _Scanned([_pack(item) for item in located], stats, scanner.state, skipped)
    finally:
        os.close(fd)


def _scan_range(fd: int, start: int, end: int | None, scanner: LineScanner,
                max_line_bytes: int) -> tuple[list[Located], int, int]:
    """Events of the lines from `start` to `end` (None: as far as complete lines go), how many
    over-long lines were skipped, and where the lines handed out end."""
    located: list[Located] = []
    skipped = [0]
    chunks, lines_end = read_lines(fd, start, end, max_line_bytes=max_line_bytes,
                                   chunk_bytes=CHUNK_BYTES,
                                   on_skip=lambda: skipped.__setitem__(0, skipped[0] + 1))
    for chunk in chunks:
        located.extend(scanner.scan(chunk.data, chunk.offset))
    return located, skipped[0], lines_end()


@contextmanager
def _fewer_collections() -> Iterator[None]:
    """While the workers' events come in, the garbage collector's youngest generation runs
    every _GC_YOUNGEST allocations instead of every 700. What is built from the events is let
    go by reference counting; walking it again and again cost this process 0.15 s of 1 s."""
    threshold = gc.get_threshold()
    gc.set_threshold(max(threshold[0], _GC_YOUNGEST), *threshold[1:])
    try:
        yield
    finally:
        gc.set_threshold(*threshold)


def _context() -> multiprocessing.context.BaseContext:
    """fork where it is safe and cheap (Linux, no other threads), else spawn."""
    if sys.platform.startswith("linux") and threading.active_count() == 1:
        return multiprocessing.get_context("fork")
    return multiprocessing.get_context("spawn")


@dataclass
class ParallelScan:
    """The events of a file up to where its complete lines end, segment by segment, in order.

    `scanner` is the reader's own: it scans whatever is read here and is left in the state a
    sequential read would leave it. `resume` is where the reader's follower would begin (a
    checkpoint: the file and an offset in it); what comes before it is not read. Afterwards
    `identity`/`end` say where the follower goes on."""

    path: Path
    scanner: LineScanner
    max_line_bytes: int
    workers: int | None = None          # None: worker_count()
    resume: tuple[FileIdentity | None, int] = (None, 0)
    identity: FileIdentity | None = None
    end: int = 0
    skipped_long_lines: int = 0

    def events(self) -> Iterator[tuple[FileIdentity, int, list[Located]]]:
        """(file, offset scanned up to, events) per segment; nothing when little is left to read."""
        if self.workers is None:
            self.workers = worker_count()
        if self.workers < 2:
            return
        try:
            fd = open_for_reading(self.path)
        except OSError:
            return                  # the follower says what is wrong
        try:
            size = os.fstat(fd).st_size
            identity = identity_of(fd)
            begin = resume_offset(self.resume, identity, size)
            if identity is None or size - begin < MIN_BYTES:
                return
            self.identity, self.end = identity, begin
            with _fewer_collections():
                yield from self._segments(fd, identity, plan_segments(fd, size, begin=begin))
            located, skipped, end = _scan_range(fd, self.end, None, self.scanner, self.max_line_bytes)
            yield self._taken(self.identity, located, skipped, end)
        finally:
            os.close(fd)

    def _segments(self, fd: int, identity: FileIdentity, cuts: list[int]
                  ) -> Iterator[tuple[FileIdentity, int, list[Located]]]:
        """Every segment but the last (read with the rest of the file, as it may still grow).
        Worker i scans segments i, i + n, i + 2n...; each answer waits in its pipe until it is
        its turn, so at most one finished segment per worker is held."""
        jobs = [_Job(str(self.path), identity, start, end, self.max_line_bytes,
                     self.scanner.secrets, self.scanner.times.reference)
                for start, end in zip(cuts, cuts[1:])]
        if not jobs:
            return
        workers = _Workers.start(min(self.workers or 0, len(jobs)), jobs)
        if workers is None:
            return                  # no worker processes here: events() reads it all
        with workers:
            for index, job in enumerate(jobs):
                scanned = workers.answer(index)
                if scanned is not None and self.scanner.state.fresh:
                    self.scanner.carry_on(scanned.state, scanned.stats)
                    located = [_unpack(packed) for packed in scanned.events]
                    skipped = scanned.skipped
                else:
                    located, skipped, _ = _scan_range(fd, job.start, job.end, self.scanner,
                                                      self.max_line_bytes)
                yield self._taken(identity, located, skipped, job.end)

    def _taken(self, identity: FileIdentity, located: list[Located], skipped: int, end: int
               ) -> tuple[FileIdentity, int, list[Located]]:
        """Note how far the file is read, and hand the events on."""
        self.end = end
        self.skipped_long_lines += skipped
        return identity, end, located


def hand_over(scan: ParallelScan, follower: Follower) -> None:
    """After the workers: the follower goes on where they stopped (a file not read in
    parallel is left to it whole) and counts the long lines they skipped."""
    if scan.identity is not None:
        follower.start_at(scan.identity, scan.end)
        follower.skipped_long_lines += scan.skipped_long_lines


class _Workers:
    """Worker processes, each with its share of the jobs and a pipe for its answers."""

    def __init__(self, processes: list, pipes: list) -> None:
        self.processes, self.pipes = processes, pipes
        self.lost: set[int] = set()

    @classmethod
    def start(cls, count: int, jobs: list[_Job]) -> _Workers | None:
        context = _context()
        processes, pipes = [], []
        try:
            for index in range(count):
                receiver, sender = context.Pipe(duplex=False)
                _widen(receiver)
                process = context.Process(target=_work, args=(sender, jobs[index::count],
                                                              [*pipes, receiver]),
                                          name=f"litellm-tray-scan-{index}", daemon=True)
                process.start()
                sender.close()
                processes.append(process)
                pipes.append(receiver)
        except (OSError, ImportError) as exc:     # no process support here (some sandboxes)
            log.info("no worker processes (%s): reading the log in this process", exc)
            cls(processes, pipes).close()
            return None
        return cls(processes, pipes)

    def answer(self, index: int) -> _Scanned | None:
        """Job `index`'s events, or None if its worker failed (the caller reads it itself)."""
        worker = index % len(self.pipes)
        if worker in self.lost:
            return None
        pipe = self.pipes[worker]
        try:
            if not pipe.poll(WORKER_TIMEOUT):
                raise TimeoutError(f"no answer in {WORKER_TIMEOUT:.0f} s")
            status, value = pickle.loads(pipe.recv_bytes())
        except Exception as exc:  # noqa: BLE001 - died, hung or garbled: its part is read here
            log.info("a scanning worker is lost (%s); reading its part of the file here", exc)
            self.lost.add(worker)
            return None
        if status != "ok":
            log.info("a scanning worker failed (%s); reading its segment here", value)
            return None
        return value

    def __enter__(self) -> _Workers:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        for pipe in self.pipes:
            pipe.close()            # a worker still sending gets a broken pipe and ends
        for process in self.processes:
            process.join(timeout=1)
            if process.is_alive():
                process.terminate()
                process.join(timeout=1)


def _widen(pipe: Connection) -> None:
    """Let a pipe hold a segment's whole answer (about 0.5 MB for 2 MB of log), where the
    system allows: a worker then goes on with its next segment instead of waiting, with its
    answer half sent, until this process has assembled the one before."""
    try:
        import fcntl
        fcntl.fcntl(pipe.fileno(), fcntl.F_SETPIPE_SZ, _PIPE_BYTES)
    except (ImportError, AttributeError, OSError):
        pass                        # not Linux, or a lower limit: the answer waits in parts


def _work(pipe: Connection, jobs: list[_Job], readers: list[Connection]) -> None:
    """A worker process: scan each job, send its events (or why not) in order. `readers` are
    the reading ends a forked worker inherits: closed, so that a reader that stops reading
    breaks this worker's pipe instead of leaving it blocked on a pipe it reads itself."""
    for reader in readers:
        reader.close()
    _settle_worker()
    for job in jobs:
        try:
            answer: tuple[str, object] = ("ok", _scan_segment(job))
        except Exception as exc:  # noqa: BLE001 - the reader reads the segment itself instead
            answer = ("failed", f"{type(exc).__name__}: {exc}")
        try:
            pipe.send_bytes(pickle.dumps(answer, pickle.HIGHEST_PROTOCOL))
        except OSError:
            return                  # the reader stopped reading
        del answer
        gc.collect()                # whatever cycles the job left, once, while the heap is small
    pipe.close()

