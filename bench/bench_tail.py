"""Last 50 requests of a 2 GB log vs of a 5 MB log: the cost must follow N, not the file.

Both files are real recorded `--detailed_debug` output (tests/fixtures), repeated, every copy
with its own call ids (a log whose ids repeat makes every window look different). Prints the
median of 5 runs for each and their ratio (target: at most 2).
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

from tray.logs.tail import last_requests  # noqa: E402

FIXTURE = REPO / "tests/fixtures/litellm-1.110.2/debug.log"
DATA = REPO / "bench/data"


def build(path: Path, size: int) -> Path:
    """`path`, at least `size` bytes of the fixture repeated, each copy with its own ids (as
    a real log has: see bench_ingest.fixture_copies); built once."""
    from bench_ingest import fixture_copies

    marker = path.with_suffix(".ids")          # built by this version, with ids renumbered
    if path.exists() and path.stat().st_size >= size and marker.exists():
        return path
    copy = fixture_copies(FIXTURE)
    with open(path, "wb") as out:
        written, n = 0, 0
        while written < size:
            written += out.write(copy(n))
            n += 1
    marker.touch()
    return path


def median_seconds(path: Path, limit: int, runs: int = 5) -> tuple[float, int]:
    times, count = [], 0
    for _ in range(runs):
        start = time.perf_counter()
        records, _ = last_requests(path, limit)
        times.append(time.perf_counter() - start)
        count = len(records)
    return statistics.median(times), count


def main() -> None:
    DATA.mkdir(parents=True, exist_ok=True)
    small = build(DATA / "tail-5mb.log", 5 * 1024 * 1024)
    large = build(DATA / "tail-2gb.log", 2 * 1024 * 1024 * 1024)
    t_small, n_small = median_seconds(small, 50)
    t_large, n_large = median_seconds(large, 50)
    print(f"5 MB log: last {n_small} requests in {t_small * 1000:.1f} ms (median of 5)")
    print(f"{os.path.getsize(large) / 2**30:.1f} GB log: last {n_large} requests in {t_large * 1000:.1f} ms")
    print(f"ratio 2 GB / 5 MB: {t_large / t_small:.2f} (target <= 2)")


if __name__ == "__main__":
    main()
