"""A big file scanned by worker processes gives exactly the records of one sequential read.

Segments are made tiny here so that every recorded log is cut in many places, including (with
cuts at any line) inside multi-line request bodies, where a worker's fresh scanner cannot be
trusted and the reader must scan the segment itself.
"""

from __future__ import annotations

import random
import re
import sys
from pathlib import Path

import pytest

import tray.logs.parallel as parallel
from tray.logs import events
from tray.logs.events import Located
from tray.logs.follow import Follower
from tray.logs.reader import LogReader, file_time_resolver, iter_whole_file
from tray.model import RequestRecord

from tests.support.copies import many_copies

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
LOGS = sorted(FIXTURES.glob("litellm-*/*.log"))
SECRETS = ["sk-master-fixture-0000"]


def everything(record: RequestRecord) -> tuple:
    return (record.to_json(), record.log_offset, record.access_at)


def read(path: Path, workers: int) -> tuple[list[tuple], LogReader, Follower]:
    reader = LogReader(SECRETS, file_time_resolver(path))
    follower = Follower(path)
    records = [everything(r) for r in iter_whole_file(path, SECRETS, reader=reader, follower=follower,
                                                      workers=workers)]
    return records, reader, follower


@pytest.fixture
def tiny_segments(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(parallel, "MIN_BYTES", 0)
    monkeypatch.setattr(parallel, "SEGMENT_BYTES", 16 * 1024)


@pytest.mark.parametrize("log", LOGS, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_workers_read_every_recorded_log_exactly_as_one_sequential_read(
        log: Path, tmp_path: Path, tiny_segments: None) -> None:
    path = tmp_path / "litellm.log"
    path.write_bytes(many_copies(log, 3))
    sequential, seq_reader, _ = read(path, workers=0)
    split, par_reader, _ = read(path, workers=2)
    assert len(split) == len(sequential) > 0
    assert split == sequential
    assert par_reader.formats == seq_reader.formats
    assert par_reader.prompts_visible == seq_reader.prompts_visible


def test_cuts_inside_request_bodies_are_read_here_and_give_the_same_records(
        tmp_path: Path, tiny_segments: None, monkeypatch: pytest.MonkeyPatch) -> None:
    # LiteLLM 1.81 writes request bodies as indented JSON over many lines: cut at any line.
    monkeypatch.setattr(parallel, "_RECORD_START", re.compile(rb"\n"))
    monkeypatch.setattr(parallel, "SEGMENT_BYTES", 3001)
    path = tmp_path / "litellm.log"
    path.write_bytes(many_copies(FIXTURES / "litellm-1.81.3" / "debug.log", 2))
    scanned_here = []
    real = parallel._scan_range
    monkeypatch.setattr(parallel, "_scan_range", lambda *a: scanned_here.append(a[1]) or real(*a))
    assert read(path, workers=2)[0] == read(path, workers=0)[0]
    assert len(scanned_here) > 2        # some segments began inside a body


def test_a_failing_worker_costs_time_not_records(tmp_path: Path, tiny_segments: None,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(job: parallel._Job) -> None:
        raise MemoryError("worker out of memory")

    monkeypatch.setattr(parallel, "_scan_segment", broken)
    path = tmp_path / "litellm.log"
    path.write_bytes(many_copies(FIXTURES / "litellm-1.110.2" / "debug.log", 2))
    assert read(path, workers=2)[0] == read(path, workers=0)[0]


def test_lines_over_the_cap_are_skipped_and_counted_once(tmp_path: Path, tiny_segments: None) -> None:
    data = many_copies(FIXTURES / "litellm-1.110.2" / "debug.log", 2)
    cut = data.index(b"\n", len(data) // 2) + 1
    path = tmp_path / "litellm.log"
    path.write_bytes(data[:cut] + b"x" * 300_000 + b"\n" + data[cut:])
    reader = LogReader(SECRETS, file_time_resolver(path))
    follower = Follower(path, max_line_bytes=100_000)
    split = [everything(r) for r in iter_whole_file(path, SECRETS, 100_000, reader, follower, workers=2)]
    alone = Follower(path, max_line_bytes=100_000)
    sequential = [everything(r) for r in iter_whole_file(path, SECRETS, 100_000, follower=alone,
                                                         workers=0)]
    assert split == sequential
    assert follower.skipped_long_lines == alone.skipped_long_lines == 1


def test_a_small_file_or_a_single_core_reads_in_this_process(tmp_path: Path) -> None:
    path = tmp_path / "litellm.log"
    path.write_bytes((FIXTURES / "litellm-1.110.2" / "debug.log").read_bytes())
    scan = parallel.ParallelScan(path, LogReader().scanner, 16 * 1024 * 1024, workers=2)
    assert list(scan.events()) == [] and scan.identity is None      # under MIN_BYTES
    one_core = parallel.ParallelScan(path, LogReader().scanner, 16 * 1024 * 1024, workers=0)
    assert list(one_core.events()) == []


@pytest.mark.parametrize("release", ["litellm-1.81.3", "litellm-1.110.2"])
def test_segments_begin_at_lines_that_begin_a_log_record(tmp_path: Path, release: str) -> None:
    """Never at a request body on the line after its "Request received" line: the segment
    before would end inside a request, and this process would scan the next one itself."""
    path = tmp_path / "litellm.log"
    data = many_copies(FIXTURES / release / "debug.log", 2)
    path.write_bytes(data)
    import os
    fd = os.open(path, os.O_RDONLY)
    try:
        cuts = parallel.plan_segments(fd, len(data), 1_000)    # a cut after every record
    finally:
        os.close(fd)
    assert cuts[0] == 0 and len(cuts) > 100 and cuts == sorted(set(cuts))
    for cut in cuts[1:]:
        assert data[cut - 1:cut] == b"\n"
        assert re.match(rb"(\x1b\[[0-9;]*m)?\d\d:\d\d:\d\d |\{\"message\"|INFO: ", data[cut:cut + 20])
        assert not data[:cut - 1].endswith(b"Request received by LiteLLM:")


def test_every_kind_of_event_survives_the_trip_from_a_worker() -> None:
    samples = [
        events.Start({"model": "cheap"}, [{"role": "user", "content": "hi"}], "hi", "messages"),
        events.Bind("id-1", "line", "openai/gpt-4o", "acompletion"), events.Done("id-1", False),
        events.Failure("id-1", "boom", 500, "cheap"), events.Access("POST", "/v1/chat/completions", 200),
        events.Cost("id-1", 0.5), events.Response("text", 1, 2, 3, "gpt", "id-1", True),
        events.Tokens("id-1", 1, 2, 3), events.Restart(),
    ]
    assert {type(s) for s in samples} == set(parallel._KINDS)
    for sample in samples:
        item = Located(sample, 42, "2026-12-04T10:00:00")
        assert parallel._unpack(parallel._pack(item)) == item


def test_random_segment_sizes_agree(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(parallel, "MIN_BYTES", 0)
    path = tmp_path / "litellm.log"
    path.write_bytes(many_copies(FIXTURES / "litellm-1.74.15.post2" / "debug.log", 2))
    sequential = read(path, workers=0)[0]
    rng = random.Random(3)
    for _ in range(3):
        monkeypatch.setattr(parallel, "SEGMENT_BYTES", rng.randint(2_000, 60_000))
        assert read(path, workers=2)[0] == sequential


def test_no_worker_processes_at_all_means_one_process_reads_it_all(
        tmp_path: Path, tiny_segments: None, monkeypatch: pytest.MonkeyPatch) -> None:
    class NoProcesses:
        def Pipe(self, duplex: bool) -> None:                       # noqa: N802 - multiprocessing's name
            raise OSError(38, "Function not implemented")           # as in some sandboxes

    monkeypatch.setattr(parallel, "_context", NoProcesses)
    path = tmp_path / "litellm.log"
    path.write_bytes(many_copies(FIXTURES / "litellm-1.110.2" / "debug.log", 2))
    assert read(path, workers=2)[0] == read(path, workers=0)[0]


def test_a_reader_that_stops_early_leaves_no_worker_behind(tmp_path: Path, tiny_segments: None) -> None:
    import multiprocessing
    import time

    path = tmp_path / "litellm.log"
    path.write_bytes(many_copies(FIXTURES / "litellm-1.81.3" / "debug.log", 2))
    records = iter_whole_file(path, workers=2)
    assert next(records).id
    started = time.monotonic()
    records.close()                          # `prompts --json | head -1`
    assert time.monotonic() - started < 1.0, "workers were waited for, not stopped"
    assert multiprocessing.active_children() == []


def test_spawned_workers_as_on_macos_and_windows_read_the_same(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import multiprocessing

    monkeypatch.setattr(parallel, "MIN_BYTES", 0)
    monkeypatch.setattr(parallel, "SEGMENT_BYTES", 256 * 1024)
    monkeypatch.setattr(parallel, "_context", lambda: multiprocessing.get_context("spawn"))
    path = tmp_path / "litellm.log"
    path.write_bytes(many_copies(FIXTURES / "litellm-1.110.2" / "debug.log", 3))
    answered = []
    real = parallel._Workers.answer

    def spy(self: parallel._Workers, index: int) -> parallel._Scanned | None:
        value = real(self, index)
        answered.append(value is not None)
        return value

    monkeypatch.setattr(parallel._Workers, "answer", spy)
    split = read(path, workers=2)[0]
    monkeypatch.setattr(parallel._Workers, "answer", real)
    assert split == read(path, workers=0)[0]
    assert answered and all(answered)        # every segment came from a spawned worker


def test_lines_written_during_the_read_are_read_too(tmp_path: Path, tiny_segments: None) -> None:
    """`prompts --limit 0` on a log LiteLLM is still writing: the follower takes over where the
    workers stopped and reads what was added meanwhile."""
    data = many_copies(FIXTURES / "litellm-1.110.2" / "debug.log", 3)
    cut = data.index(b"\n", 2 * len(data) // 3) + 1
    path = tmp_path / "litellm.log"
    path.write_bytes(data[:cut])
    records = iter_whole_file(path, workers=2)
    first = [everything(next(records))]
    with open(path, "ab") as log:
        log.write(data[cut:])
    whole = tmp_path / "whole.log"
    whole.write_bytes(data)
    expected = read(whole, workers=0)[0]
    got = first + [everything(r) for r in records]

    def same_file_or_not(record: tuple) -> tuple:
        # ids of requests LiteLLM names no call id for carry the file's key: compare the offset
        data, offset, _ = record
        return {**data, "id": data["id"].rpartition("-")[2] if "." in data["id"] else data["id"]}, offset

    assert len(got) == len(expected) > 100
    assert [same_file_or_not(r) for r in got] == [same_file_or_not(r) for r in expected]


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="pipe sizes are set on Linux only")
def test_a_workers_pipe_holds_a_whole_answer(tmp_path: Path, tiny_segments: None,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    """A worker sends a segment's answer (about 0.5 MB per 2 MB) and goes on scanning, instead
    of waiting with it half sent until the assembling process takes it."""
    import fcntl

    capacities = []
    real_start = parallel._Workers.start.__func__

    def start(cls, count: int, jobs: list) -> parallel._Workers | None:
        workers = real_start(cls, count, jobs)
        assert workers is not None
        capacities.extend(fcntl.fcntl(pipe.fileno(), fcntl.F_GETPIPE_SZ) for pipe in workers.pipes)
        return workers

    monkeypatch.setattr(parallel._Workers, "start", classmethod(start))
    path = tmp_path / "litellm.log"
    path.write_bytes(many_copies(FIXTURES / "litellm-1.110.2" / "debug.log", 2))
    assert read(path, workers=2)[0] == read(path, workers=0)[0]
    assert capacities == [parallel._PIPE_BYTES] * 2


def test_collections_are_as_before_once_a_read_ends_or_is_abandoned(
        tmp_path: Path, tiny_segments: None) -> None:
    import gc

    before = gc.get_threshold()
    path = tmp_path / "litellm.log"
    path.write_bytes(many_copies(FIXTURES / "litellm-1.110.2" / "debug.log", 2))
    records = iter_whole_file(path, workers=2)
    next(records)
    assert gc.get_threshold()[0] == parallel._GC_YOUNGEST      # while events come in
    records.close()                                             # `prompts --json | head`
    assert gc.get_threshold() == before
    assert sum(1 for _ in iter_whole_file(path, workers=2)) > 0
    assert gc.get_threshold() == before
