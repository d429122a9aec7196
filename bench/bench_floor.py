"""The least work any reader in Python must do on a `--detailed_debug` log, next to the budget
that "within 8x of grep" leaves, on the same file, in the same run.

    .venv/bin/python bench/bench_floor.py [--release litellm-1.110.2] [--size-mb 100] [--runs 5]

The log is bench_ingest's (the recorded fixture repeated, each copy with its own ids). Each
step below is only the bare library call the product cannot do without, timed alone in this
process (CPU time, garbage collector off, as the scanning workers run), median of --runs:
  find lines     one `bytes.rfind` pass per marker the formats need (tray.logs.events.MARKERS):
                 the lines that say anything about a request, found at C speed
  decode lines   those lines cut out and decoded: a line must be text to be read
  parse bodies   `json.loads` of every request body ("Request received by LiteLLM:")
  redact         every request's messages redacted (tray.logs.bodies.stored_messages): keys
                 and tokens must never be stored or shown
  make records   one RequestRecord per request
  to a 2nd core  half the decoded lines and parsed bodies pickled and unpickled: CPython runs
                 Python code on one core at a time per process, so sharing the work between
                 two processes means moving at least what one of them found to the other
Nothing else is counted: not how a line is recognised, not the assembly of lines into requests,
not the store. Beside the floor: the app's assembler alone (tray.logs.assemble, fed the events
of the same file) and the app's whole one-process parse (bench_ingest's `parse`).
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import pickle
import resource
import statistics
import sys
import time
from pathlib import Path
from typing import Callable

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench_ingest import FIXTURES, build_log, run_grep, run_python  # noqa: E402
from tray.logs.bodies import stored_messages  # noqa: E402
from tray.logs.events import MARKERS, REQUEST_RECEIVED  # noqa: E402
from tray.model import RequestRecord  # noqa: E402


def cpu_median(step: Callable[[], object], runs: int) -> float:
    """Median CPU seconds of `step`, with the garbage collector off."""
    times = []
    for _ in range(runs):
        gc.disable()
        started = time.process_time()
        step()
        times.append(time.process_time() - started)
        gc.enable()
    return statistics.median(times)


def grep_seconds(path: Path, runs: int) -> float:
    """Median wall seconds of bench_ingest's `grep -c` over the file (page cache warmed first)."""
    run_grep(path)
    return statistics.median(run_grep(path)["seconds"] for _ in range(runs))


def find_lines(data: bytes) -> None:
    for marker in MARKERS:
        at = data.rfind(marker)
        while at >= 0:
            at = data.rfind(marker, 0, at)


def marker_lines(data: bytes) -> list[tuple[int, int]]:
    """(start, end) of each line holding a marker, once each."""
    spans: dict[int, int] = {}
    for marker in MARKERS:
        at = data.rfind(marker)
        while at >= 0:
            start = data.rfind(b"\n", 0, at) + 1
            end = data.find(b"\n", at)
            spans[start] = len(data) if end < 0 else end
            at = data.rfind(marker, 0, start)
    return sorted(spans.items())


def body_lines(data: bytes) -> list[bytes]:
    """The JSON after each "Request received by LiteLLM:": one line (1.108 and later), or
    indented over many lines up to a line "}" (1.74, 1.81)."""
    marker = REQUEST_RECEIVED.encode() + b"\n"
    bodies, at = [], data.find(marker)
    while at >= 0:
        start = at + len(marker)
        if data.startswith(b"{\n", start):
            end = data.find(b"\n}", start) + 2
        else:
            end = data.find(b"\n", start)
        bodies.append(data[start:end])
        at = data.find(marker, end)
    return bodies


def record(index: int, body: dict, messages: list) -> RequestRecord:
    return RequestRecord(id=str(index), time=None, model=body.get("model"), messages=messages,
                         response=None, status="ok", status_code=200, error=None,
                         prompt_tokens=None, completion_tokens=None, total_tokens=None, cost=None,
                         latency_ms=None, stream=bool(body.get("stream")), tags=[], source="debug",
                         log_offset=index, access_at=None)


def assembler_cpu(data: bytes, runs: int) -> float:
    """CPU seconds of the app's assembler over the events of `data` (scanned beforehand)."""
    from tray.logs.assemble import Assembler
    from tray.logs.parse import LineScanner

    located = LineScanner().scan(data, 0)
    return cpu_median(lambda: Assembler("bench").feed_all(located), runs)


def app_parse_cpu(path: Path, runs: int) -> float:
    """CPU seconds of the app's one-process parse of `path` (bench_ingest's `parse`)."""
    return statistics.median(run_python(path, "parse")["cpu_seconds"] for _ in range(runs))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--release", default="litellm-1.110.2")
    parser.add_argument("--size-mb", type=int, default=100)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args(argv)

    path, _ = build_log(args.size_mb, FIXTURES / args.release / "debug.log")
    data = path.read_bytes()
    per_100mb = 100 / (len(data) / 1e6)
    spans = marker_lines(data)
    lines = [data[start:end].decode("utf-8", "replace") for start, end in spans]
    raw_bodies = body_lines(data)
    bodies = [json.loads(line) for line in raw_bodies]
    messages = [stored_messages(body) for body in bodies]

    steps: dict[str, Callable[[], object]] = {
        "find lines": lambda: find_lines(data),
        "decode lines": lambda: [data[start:end].decode("utf-8", "replace") for start, end in spans],
        "parse bodies": lambda: [json.loads(line) for line in raw_bodies],
        "redact": lambda: [stored_messages(body) for body in bodies],
        "make records": lambda: [record(i, body, kept) for i, (body, kept) in enumerate(zip(bodies, messages))],
    }
    cpu = {name: cpu_median(step, args.runs) * per_100mb for name, step in steps.items()}
    one_process = sum(cpu.values())
    half = (lines[: len(lines) // 2], bodies[: len(bodies) // 2])
    crossing = cpu_median(lambda: pickle.loads(pickle.dumps(half, pickle.HIGHEST_PROTOCOL)),
                          args.runs) * per_100mb
    assembler = assembler_cpu(data, args.runs) * per_100mb
    grep = grep_seconds(path, args.runs) * per_100mb
    cores = os.cpu_count() or 1
    app = app_parse_cpu(path, min(args.runs, 3)) * per_100mb

    print(f"{path.relative_to(REPO)}: {len(data) / 1e6:.0f} MB, {len(bodies)} requests, "
          f"{len(spans)} marker lines; {cores} CPUs, Python {sys.version.split()[0]}; "
          f"CPU s per 100 MB, medians of {args.runs}")
    for name, seconds in cpu.items():
        print(f"  {name:26} {seconds:6.3f}")
    print(f"  {'floor, one process':26} {one_process:6.3f}")
    print(f"  {'to a 2nd core':26} {crossing:6.3f}")
    print(f"  {'floor, every core':26} {one_process + crossing:6.3f}")
    print(f"  {'app: its assembler alone':26} {assembler:6.3f}")
    print(f"  {'app: parse, one process':26} {app:6.3f}   {app / one_process:.1f}x the floor")
    print(f"grep -c: {grep:.3f} s per 100 MB. 8x grep allows {8 * grep:.3f} CPU s per 100 MB in one "
          f"process, {8 * grep * cores:.3f} on all {cores} cores (each busy all the time)")
    print(f"floor / budget: one process {one_process / (8 * grep):.2f}, "
          f"every core {(one_process + crossing) / (8 * grep * cores):.2f}")
    print(f"max RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
