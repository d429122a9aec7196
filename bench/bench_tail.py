"""Last 50 requests of a 2 GB log vs of a 5 MB log: the cost must follow N, not the file.

Both files are real recorded `--detailed_debug` output (tests/fixtures), repeated. Prints the
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

from tray.logs.tail import last_requests  # noqa: E402

FIXTURE = REPO / "tests/fixtures/litellm-1.110.2/debug.log"
DATA = REPO / "bench/data"


def build(path: Path, size: int) -> Path:
    if path.exists() and path.stat().st_size >= size:
        return path
    block = FIXTURE.read_bytes()
    with open(path, "wb") as out:
        written = 0
        while written < size:
            out.write(block)
            written += len(block)
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
