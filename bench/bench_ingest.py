"""How fast a large real `--detailed_debug` log is parsed, next to `grep -c`, and in how much memory.

    .venv/bin/python bench/bench_ingest.py [--size-mb 500] [--runs 3] [--profile]

The log is the recorded fixture (tests/fixtures/litellm-1.110.2/debug.log, 43 requests, 8 at a
time) repeated until it reaches --size-mb, each copy with its own ids: the first 8 hex digits of
every uuid in it (call ids, response ids) become the copy's number, so no two requests collide.
It is written once to bench/data/ (not in git) and reused.

Each figure is the median of --runs runs, every run in a fresh process (peak RSS is that
process's ru_maxrss, Python and the app's imports included; with worker processes, plus the
largest worker's, times the number of workers: an upper bound, as forked pages are shared).
Peak PSS comes from one more run per mode, its process tree sampled every 20 ms (Linux):
shared pages counted once, it is the memory the machine spends.
  grep            `grep -c "Request received by LiteLLM"` over the file (the floor: one scan)
  parse           one process: LogReader over Follower.chunks, every request assembled, none
                  kept (what the app's follower runs when it catches up)
  parse_workers   what `prompts --log PATH --limit 0 --json` runs: iter_whole_file, scanned by
                  one worker process per core (tray.logs.parallel), records streamed and dropped
  read_whole_file the same, keeping every record in a list
  ingest_file     the import into a fresh SQLite store that `viewer --log PATH` runs
                  (retention 10 000 rows), scanned by the same workers
  resumed         the same import resumed from a checkpoint at the file's start: what
                  `viewer --log PATH` on a log that grew, or the app restarted far behind, runs
  resumed_one     the same in one process (as every resumed read was before)
CPU s/100MB is the CPU time of the run's process and its workers (the job alone, not Python's
start), per 100 MB of log: next to the budget 8x grep leaves on this machine's cores.
--release picks the recorded fixture (default litellm-1.110.2, 12 KB a request; 1.81.3 writes
81 KB a request). --prose puts English prose before its users' prompts (see prose_fixture).
--profile writes the top functions of a cProfile of `parse` over 50 MB.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
FIXTURES = REPO / "tests" / "fixtures"
FIXTURE = FIXTURES / "litellm-1.110.2" / "debug.log"
DATA = REPO / "bench" / "data"
GREP_PATTERN = "Request received by LiteLLM"
_UUID_HEAD = re.compile(rb"[0-9a-f]{8}(?=-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})")


def fixture_copies(fixture: Path = FIXTURE):
    """copy(n) -> the fixture's bytes with every uuid's first 8 hex digits set to n (one join)."""
    data = fixture.read_bytes()
    parts, last = [], 0
    for match in _UUID_HEAD.finditer(data):
        parts.append(data[last:match.start()])
        last = match.end()
    parts.append(data[last:])

    def copy(n: int) -> bytes:
        return (b"%08x" % n).join(parts)
    return copy


#: A prompt written the same in a JSON body and in Python's repr of it (no quotes, escapes).
_PLAIN_PROMPT = re.compile(r"[A-Za-z0-9 .,;:?!()\[\]-]{1,200}")


def prose_fixture(fixture: Path) -> Path:
    """`fixture` with a slice of English prose (0.5-3 KB of Python's own documentation,
    `pydoc_data.topics`) put before each of its users' prompts (the plain ones tagged `[req-N]`)
    and each of its models' plain answers (as truth-debug.jsonl has them), everywhere they
    appear (request bodies, responses, the lines that repeat them), so requests are still told
    apart and matched as before.
    Real conversations are prose, unlike the recorded ones: work that is slow on prose (as
    redaction was) shows here. Written once to bench/data/<release>-prose/debug.log."""
    import pydoc_data.topics
    import random

    target = DATA / f"{fixture.parent.name}-prose" / "debug.log"
    if target.exists():
        return target
    data = fixture.read_bytes()
    texts: set[str] = set()
    for line in (fixture.parent / "truth-debug.jsonl").read_text("utf-8").splitlines():
        request = json.loads(line)
        texts.update(message["content"] for message in request["messages"]
                     if "[req-" in str(message["content"]))
        texts.add(request["response"] or "")
    prompts = {text for text in texts if _PLAIN_PROMPT.fullmatch(text)}
    corpus = re.sub(r"[^A-Za-z0-9 .,;:?!()-]+", " ", " ".join(pydoc_data.topics.topics.values()))
    corpus = " ".join(corpus.split())
    rng = random.Random(1205)
    prose = {}
    for prompt in sorted(prompts):
        size = rng.randint(500, 3000)
        start = rng.randrange(0, len(corpus) - size)
        prose[prompt.encode()] = f"{corpus[start:start + size]} {prompt}".encode()
    alternatives = b"|".join(re.escape(p) for p in sorted(prose, key=len, reverse=True))
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(re.sub(alternatives, lambda m: prose[m.group()], data))
    return target


def checkpoint_at_start(store, path: Path) -> None:
    """Save a checkpoint at the start of `path` in `store`, as a run that read none of it yet
    would have left: what follows reads it as a restart far behind."""
    from tray.logs.follow import identity_of, open_for_reading
    from tray.store import Checkpoint

    fd = open_for_reading(path)
    try:
        identity = identity_of(fd)
    finally:
        os.close(fd)
    assert identity is not None, f"{path} is empty"
    store.commit([], Checkpoint(str(path), identity.device, identity.inode, identity.fingerprint, 0))


def build_log(size_mb: int, fixture: Path = FIXTURE) -> tuple[Path, int]:
    """bench/data/debug-[release-]<size>mb.log, built once; returns it and its copy count."""
    one = fixture.stat().st_size
    copies = -(-size_mb * 1024 * 1024 // one)
    release = "" if fixture == FIXTURE else f"{fixture.parent.name}-"
    path = DATA / f"debug-{release}{size_mb}mb.log"
    if path.exists() and path.stat().st_size == copies * one:
        return path, copies
    DATA.mkdir(parents=True, exist_ok=True)
    copy = fixture_copies(fixture)
    partial = path.with_suffix(".partial")
    with open(partial, "wb") as handle:
        for n in range(copies):
            handle.write(copy(n))
    partial.replace(path)
    return path, copies


# Each measured run is a fresh interpreter, so its peak RSS is its own.
_RUN = r"""
import json, resource, sys, time
from pathlib import Path
sys.path.insert(0, sys.argv[3])
path, mode = Path(sys.argv[1]), sys.argv[2]
from tray.logs.follow import Follower
from tray.logs.parallel import worker_count
from tray.logs.reader import LogReader, iter_whole_file, read_whole_file
from tray.logs.ingest import ingest_file
from tray.store import Store

def cpu_seconds(who):
    usage = resource.getrusage(who)
    return usage.ru_utime + usage.ru_stime

started, cpu_before = time.perf_counter(), cpu_seconds(resource.RUSAGE_SELF)
if mode == "parse":
    reader, follower, ids = LogReader(), Follower(path, chunk_bytes=4 * 1024 * 1024), set()
    for chunk in follower.chunks():
        ids.update(record.id for record in reader.feed(chunk))
    ids.update(record.id for record in reader.settle())
    follower.close()
    requests = len(ids)
elif mode == "parse_workers":
    requests = sum(1 for record in iter_whole_file(path))
elif mode == "read_whole_file":
    requests = len(read_whole_file(path)[0])
elif mode == "ingest_file":
    store = Store(sys.argv[4])
    ingest_file(path, store)
    requests = store.count()      # rows kept: retention keeps the last 10 000
else:                             # resumed: a checkpoint at the start of this very file
    sys.path.insert(0, sys.argv[3] + "/bench")
    from bench_ingest import checkpoint_at_start
    from tray.logs import parallel
    if mode == "resumed_one":
        parallel.worker_count = lambda: 0
    store = Store(sys.argv[4])
    checkpoint_at_start(store, path)
    started = time.perf_counter()
    ingest_file(path, store)
    requests = store.count()
seconds = time.perf_counter() - started
cpu = cpu_seconds(resource.RUSAGE_SELF) - cpu_before + cpu_seconds(resource.RUSAGE_CHILDREN)
workers = worker_count() if mode not in ("parse", "resumed_one") else 0
rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
worker_rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
print(json.dumps({"seconds": seconds, "cpu_seconds": cpu, "requests": requests, "rss_mb": rss + workers * worker_rss,
                  "main_rss_mb": rss, "worker_rss_mb": worker_rss, "workers": workers}))
"""


def tree_pss_mb(root: int) -> float:
    """Proportional set size of a process and its children (Linux): shared pages counted
    once, so a forked worker adds only what it holds itself."""
    pids, total = [root], 0
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == root:
                pids.append(int(entry))
    for pid in pids:
        try:
            rollup = Path(f"/proc/{pid}/smaps_rollup").read_text()
        except OSError:
            continue
        total += sum(int(line.split()[1]) for line in rollup.splitlines() if line.startswith("Pss:"))
    return total / 1024


def run_python(path: Path, mode: str, sample_memory: bool = False) -> dict:
    """One fresh process; `sample_memory` polls its process tree's PSS (it costs CPU, so the
    timed runs do not)."""
    db = DATA / "bench-ingest.sqlite3"
    for leftover in (db, db.with_name(db.name + "-wal"), db.with_name(db.name + "-shm")):
        leftover.unlink(missing_ok=True)
    process = subprocess.Popen([sys.executable, "-c", _RUN, str(path), mode, str(REPO), str(db)],
                               stdout=subprocess.PIPE, text=True)
    peak_pss = 0.0
    if sample_memory and Path("/proc/self/smaps_rollup").exists():
        while process.poll() is None:       # sampled every 20 ms: a peak may fall between
            peak_pss = max(peak_pss, tree_pss_mb(process.pid))
            time.sleep(0.02)
    out, _ = process.communicate()
    if process.returncode:
        raise SystemExit(f"{mode} run failed ({process.returncode})")
    result = json.loads(out.strip().splitlines()[-1])
    return {**result, "pss_mb": peak_pss} if sample_memory else result


def run_grep(path: Path) -> dict:
    started = time.perf_counter()
    out = subprocess.run(["grep", "-c", GREP_PATTERN, str(path)], capture_output=True, text=True)
    return {"seconds": time.perf_counter() - started, "requests": int(out.stdout.strip() or 0)}


def median_of(runs: list[dict]) -> dict:
    return {key: statistics.median(run[key] for run in runs) for key in runs[0]}


def profile(path: Path, megabytes: int = 50, top: int = 15) -> None:
    import cProfile
    import pstats

    sys.path.insert(0, str(REPO))
    from tray.logs.follow import Follower
    from tray.logs.reader import LogReader

    sample = DATA / f"sample-{megabytes}mb.log"
    with open(path, "rb") as source, open(sample, "wb") as target:
        data = source.read(megabytes * 1024 * 1024)
        target.write(data[: data.rfind(b"\n") + 1])
    reader, follower = LogReader(), Follower(sample, chunk_bytes=4 * 1024 * 1024)
    profiler = cProfile.Profile()
    profiler.enable()
    for chunk in follower.chunks():
        reader.feed(chunk)
    profiler.disable()
    follower.close()
    stats = pstats.Stats(profiler)
    print(f"\ncProfile of parse over the first {megabytes} MB (sorted by own time):")
    stats.sort_stats("tottime").print_stats(top)
    stats.sort_stats("cumulative").print_stats(top)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mb", type=int, default=500)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--modes",
                        default="parse,parse_workers,read_whole_file,ingest_file,resumed,resumed_one")
    parser.add_argument("--release", default="litellm-1.110.2")
    parser.add_argument("--prose", action="store_true",
                        help="each user's prompt after 0.5-3 KB of English prose (see prose_fixture)")
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args(argv)

    started = time.perf_counter()
    fixture = FIXTURES / args.release / "debug.log"
    if args.prose:
        fixture = prose_fixture(fixture)
    path, copies = build_log(args.size_mb, fixture)
    size_mb = path.stat().st_size / 1e6
    prose = " (prose prompts)" if args.prose else ""
    print(f"{path.relative_to(REPO)}: {size_mb:.0f} MB, {copies} copies of {args.release}'s "
          f"debug.log{prose}, ready in {time.perf_counter() - started:.1f}s")
    run_grep(path)                                      # warm the page cache
    results = {"grep": median_of([run_grep(path) for _ in range(args.runs)])}
    for mode in args.modes.split(","):
        results[mode] = median_of([run_python(path, mode) for _ in range(args.runs)])
        results[mode]["pss_mb"] = run_python(path, mode, sample_memory=True)["pss_mb"]
    baseline = median_of([run_python(fixture, "parse") for _ in range(args.runs)])
    baseline["pss_mb"] = run_python(fixture, "parse", sample_memory=True)["pss_mb"]

    grep_seconds = results["grep"]["seconds"]
    print(f"\nmedian of {args.runs} runs, {os.cpu_count()} CPUs, Python {sys.version.split()[0]}")
    print(f"{'':16} {'seconds':>8} {'MB/s':>7} {'x grep':>7} {'CPU s/100MB':>12} {'peak PSS':>9} "
          f"{'peak RSS MB':>20} {'requests':>9}")
    for name, result in results.items():
        rss = f"{result['rss_mb']:.0f}" if "rss_mb" in result else "-"
        if result.get("workers"):
            rss += f" ({result['main_rss_mb']:.0f} + {result['workers']:.0f}x{result['worker_rss_mb']:.0f})"
        pss = f"{result['pss_mb']:.0f}" if result.get("pss_mb") else "-"
        cpu = f"{result['cpu_seconds'] * 100 / size_mb:.2f}" if "cpu_seconds" in result else "-"
        print(f"{name:16} {result['seconds']:8.2f} {size_mb / result['seconds']:7.0f} "
              f"{result['seconds'] / grep_seconds:7.1f} {cpu:>12} {pss:>9} {rss:>20} "
              f"{result['requests']:>9.0f}")
    print(f"{'(same, 0.5 MB)':16} {baseline['seconds']:8.3f} {'':>7} {'':>7} {baseline['pss_mb']:9.0f} "
          f"{baseline['rss_mb']:20.0f} {baseline['requests']:>9.0f}   <- a tiny file")
    budget = 8 * grep_seconds * (os.cpu_count() or 1) * 100 / size_mb
    print(f"8x grep is {size_mb / (8 * grep_seconds):.0f} MB/s: at most {budget:.2f} CPU s per 100 MB, "
          f"all {os.cpu_count()} cores busy all the time")
    if args.profile:
        profile(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
