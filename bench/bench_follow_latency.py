"""How long after LiteLLM writes a request's last line the app has it in its store.

    .venv/bin/python bench/bench_follow_latency.py [--copies 5] [--rate 10]

A writer process appends the recorded `--detailed_debug` fixture (43 requests, 8 at a time; ids
made distinct per copy, see bench_ingest.py) to a log, one piece per request: each piece ends
with an access line (`"POST /v1/chat/completions HTTP/1.1" 200`), at --rate pieces a second.
Meanwhile a LogIngestor follows the log as the app does (`run()`: file events wake it, polling
every 0.25 s as a fallback) into a SQLite store; its `on_records` hook notes when each request
is committed with its status code.

Latency of an access line = when the store first holds as many requests with a status code as
a clean read of the log up to that line knows (the app has caught up with it) - when the writer
wrote it. `tail -F` follows the same file in the same run, as the floor any follower can reach:
its latency is when the access line came out of tail - when it was written.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_ingest import REPO, fixture_copies  # noqa: E402

sys.path.insert(0, str(REPO))
from tray.logs.follow import Chunk, identity_of  # noqa: E402
from tray.logs.ingest import LogIngestor  # noqa: E402
from tray.logs.reader import LogReader  # noqa: E402
from tray.model import RequestRecord  # noqa: E402
from tray.store import Store  # noqa: E402

ACCESS = b'"POST /v1/chat/completions HTTP/1.1"'


def pieces(copies: int) -> list[bytes]:
    """The repeated fixture cut just after each access line: one piece per request."""
    copy = fixture_copies()
    data = b"".join(copy(n) for n in range(copies))
    out, last, at = [], 0, data.find(ACCESS)
    while at >= 0:
        end = data.find(b"\n", at) + 1
        out.append(data[last:end])
        last, at = end, data.find(ACCESS, end)
    out[-1] += data[last:]
    return out


def write(log: Path, copies: int, rate: float) -> None:
    """The writer process: append each piece on schedule, print when each write returned."""
    fd = os.open(log, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    written = []
    start = time.monotonic() + 0.2
    for number, piece in enumerate(pieces(copies)):
        delay = start + number / rate - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        os.write(fd, piece)
        written.append(time.monotonic())
    os.close(fd)
    print(json.dumps(written))


def follow_with_tail(log: Path, seen: list[float]) -> subprocess.Popen:
    tail = subprocess.Popen(["tail", "-F", "-n", "+1", "-s", "0.05", str(log)],
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)

    def read() -> None:
        assert tail.stdout is not None
        for line in tail.stdout:
            if ACCESS in line:
                seen.append(time.monotonic())
    threading.Thread(target=read, name="bench-tail-reader", daemon=True).start()
    return tail


def caught_up(log: Path, parts: list[bytes]) -> list[int]:
    """For each piece k: how many requests a clean read of pieces 1..k knows the status of
    (settling, at the end, access lines still waiting for their request)."""
    with open(log, "rb") as handle:
        identity = identity_of(handle.fileno())
    assert identity is not None
    counts = []
    for count in range(1, len(parts) + 1):
        reader, known, offset = LogReader(), set(), 0
        for piece in parts[:count]:
            known.update(r.id for r in reader.feed(Chunk(piece, offset, identity)) if r.status_code is not None)
            offset += len(piece)
        known.update(r.id for r in reader.settle() if r.status_code is not None)
        counts.append(len(known))
    return counts


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def summary(name: str, values: list[float]) -> str:
    ms = [v * 1000 for v in values]
    return (f"{name:28} {len(ms):5d} {statistics.median(ms):8.1f} {percentile(ms, 0.95):8.1f} "
            f"{max(ms):8.1f}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--copies", type=int, default=5, help="fixture copies (43 requests each)")
    parser.add_argument("--rate", type=float, default=10.0, help="requests written per second")
    parser.add_argument("--writer", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.writer is not None:
        write(args.writer, args.copies, args.rate)
        return 0

    parts = pieces(args.copies)
    with tempfile.TemporaryDirectory(prefix="bench-follow-") as tmp:
        log = Path(tmp) / "litellm.log"
        log.touch()
        with_status: set[str] = set()
        progress: list[tuple[float, int]] = []      # (when, requests with a status code so far)

        def on_records(records: list[RequestRecord]) -> None:
            now = time.monotonic()
            with_status.update(r.id for r in records if r.status_code is not None)
            progress.append((now, len(with_status)))

        store = Store(Path(tmp) / "tray.sqlite3")
        ingestor = LogIngestor(log, store, on_records=on_records)
        stop = threading.Event()
        follower = threading.Thread(target=ingestor.run, args=(stop,), name="bench-ingest")
        follower.start()
        tail_seen: list[float] = []
        tail = follow_with_tail(log, tail_seen)
        time.sleep(0.5)
        writer = subprocess.run([sys.executable, __file__, "--writer", str(log), "--copies",
                                 str(args.copies), "--rate", str(args.rate)],
                                check=True, capture_output=True, text=True)
        written = json.loads(writer.stdout)
        time.sleep(2.0)
        stop.set()
        follower.join(timeout=10)
        tail.terminate()
        tail.wait()
        store.close()
        needed = caught_up(log, parts)

    latency, never = [], 0
    for wrote, count in zip(written, needed):
        when = next((at for at, have in progress if have >= count), None)
        if when is None:
            never += 1
        else:
            latency.append(when - wrote)
    tail_latency = [seen - wrote for seen, wrote in zip(tail_seen, written)]
    print(f"{len(parts)} requests written at {args.rate:g}/s; {len(with_status)} stored with a status "
          f"code, {needed[-1]} in a clean read; {os.cpu_count()} CPUs")
    print(f"{'':28} {'n':>5} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8}")
    print(summary("LogIngestor -> store", latency))
    print(summary("tail -F (access line out)", tail_latency))
    slow = sum(1 for value in latency if value > 0.05)
    print(f"over 50 ms: {slow} (the access line came before its request's last line, e.g. a stream's)")
    if never:
        print(f"access lines the store never caught up with: {never}")
    early = sum(1 for value in latency if value < 0)
    if early:
        print(f"caught up before the line was written (a request assigned early): {early}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
