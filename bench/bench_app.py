"""The running app's costs: idle CPU, memory after 100 000 requests, log line -> menu latency.

    .venv/bin/python bench/bench_app.py [--idle-seconds 60] [--requests 100000] [--copies 5]

- idle: the engine with all its threads (log follower, proxy poll every 10 s, core, notify)
  on a quiet log, against the demo proxy in a process of its own (so its threads are not
  counted). CPU = the process's user+system time over the window (getrusage), as a fraction
  of one core; `tail -f` on the same file over the same window is the reference.
- memory: a fresh process starts the engine on an empty log, then the recorded
  `--detailed_debug` fixture is appended, replicated with distinct ids (bench_ingest's
  `fixture_copies`), until it holds --requests requests; peak RSS once the engine has counted
  them all. Reference: a bare interpreter with the app imported.
- latency: the engine in-process follows a log; one request's line group at a time is
  appended (bench_follow_latency's `pieces`), and the time until `on_state` shows the new
  count is one sample.
- restart: a fresh process starts the engine with its checkpoint at the start of
  bench_ingest's 524 MB log, as after a night of logging; the time until the engine has
  counted every request in it, with worker processes and in one process (--restart-runs each).
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_follow_latency import pieces  # noqa: E402
from bench_ingest import FIXTURE, REPO, fixture_copies  # noqa: E402

sys.path.insert(0, str(REPO))
from tray.config import Settings  # noqa: E402

FIXTURE_REQUESTS = 43          # requests in one copy of the fixture (its truth file)
PROXY_CHILD = """
import sys, time
from pathlib import Path
from tray.demo import DemoProxy
proxy = DemoProxy(Path(sys.argv[1]), rate=0).start(traffic=False)
print(proxy.url, flush=True)
sys.stdin.read()
proxy.stop()
"""


def settings(folder: Path, log: Path, proxy: str = "http://127.0.0.1:9") -> Settings:
    return Settings(log_path=log, proxy_url=proxy, data_dir=folder / "data", log_dir=folder / "logs",
                    litellm_config=folder / "none.yaml", env_file=folder / "none.env", poll_seconds=10.0)


def cpu_seconds_of(pid: int) -> float:
    """utime + stime of another process, from /proc/PID/stat."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def own_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def idle(seconds: float) -> dict[str, float]:
    """The engine idle on a quiet log, and `tail -f` on the same file, over the same window."""
    from tray.engine import Engine

    with tempfile.TemporaryDirectory(prefix="bench-app-") as tmp:
        folder = Path(tmp)
        log = folder / "litellm.log"
        log.write_bytes(b"")
        proxy = subprocess.Popen([sys.executable, "-c", PROXY_CHILD, str(folder / "demo.log")],
                                 stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
                                 env=dict(os.environ, PYTHONPATH=str(REPO)))
        tail = subprocess.Popen(["tail", "-f", str(log)], stdout=subprocess.DEVNULL)
        engine = Engine(settings(folder, log, proxy.stdout.readline().strip()), environ={}).start()  # type: ignore[union-attr]
        try:
            time.sleep(5)   # first poll, first ticks
            assert engine.state is not None and engine.state.proxy_up, "the engine did not reach the demo proxy"
            start, tail_start, wall = own_cpu(), cpu_seconds_of(tail.pid), time.monotonic()
            time.sleep(seconds)
            wall = time.monotonic() - wall
            app_cpu, tail_cpu = own_cpu() - start, cpu_seconds_of(tail.pid) - tail_start
            polls = engine.polls
        finally:
            engine.stop(2.0)
            tail.terminate()
            tail.wait()
            proxy.stdin.close()  # type: ignore[union-attr]
            proxy.wait(10)
    return {"wall": wall, "app": app_cpu / wall, "tail": tail_cpu / wall, "polls": polls}


def rss_kb() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def memory_child(requests: int) -> None:
    """In its own process: the engine ingests `requests` requests appended to its log."""
    from tray.engine import Engine

    copies = -(-requests // FIXTURE_REQUESTS)
    copy = fixture_copies(FIXTURE)
    with tempfile.TemporaryDirectory(prefix="bench-app-") as tmp:
        folder = Path(tmp)
        log = folder / "litellm.log"
        log.write_bytes(b"")
        engine = Engine(settings(folder, log), environ={}).start()
        started = time.monotonic()
        try:
            with open(log, "ab") as out:
                for n in range(copies):
                    out.write(copy(n))
                    out.flush()
            total = copies * FIXTURE_REQUESTS
            while engine.tally.since_start < total and time.monotonic() - started < 1800:
                time.sleep(0.5)
            took = time.monotonic() - started
            counted = engine.tally.since_start
            current = rss_kb()
        finally:
            engine.stop(5.0)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss   # KB on Linux
    print(f"{counted} {peak} {current} {took:.1f} {copies * FIXTURE.stat().st_size}")


def memory(requests: int) -> dict[str, float]:
    env = dict(os.environ, PYTHONPATH=str(REPO))
    out = subprocess.run([sys.executable, __file__, "--memory-child", str(requests)], env=env,
                         capture_output=True, text=True, check=True).stdout.split()
    counted, peak, current, took, size = int(out[0]), int(out[1]), int(out[2]), float(out[3]), int(out[4])
    bare = subprocess.run([sys.executable, "-c", "import resource, tray.engine, tray.desktop.app, tray.desktop.menu;"
                           "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)"],
                          env=env, capture_output=True, text=True, check=True).stdout
    return {"counted": counted, "peak_mb": peak / 1024, "current_mb": current / 1024, "seconds": took,
            "log_mb": size / 1e6, "bare_mb": int(bare) / 1024}


def latency(copies: int) -> list[float]:
    """Seconds from appending a request's lines until `on_state` shows it counted."""
    from tray.engine import Engine
    from tray.state import TrayState

    shown = threading.Condition()
    seen = {"count": 0}

    def on_state(state: TrayState) -> None:
        with shown:
            seen["count"] = state.requests_since_start
            shown.notify_all()

    samples: list[float] = []     # only pieces that make the count grow
    with tempfile.TemporaryDirectory(prefix="bench-app-") as tmp:
        folder = Path(tmp)
        log = folder / "litellm.log"
        log.write_bytes(b"")
        engine = Engine(settings(folder, log), on_state=on_state, environ={}).start()
        try:
            time.sleep(1.0)
            fd = os.open(log, os.O_WRONLY | os.O_APPEND)
            for i, piece in enumerate(pieces(copies)):
                with shown:
                    already = seen["count"] >= i + 1   # counted from an earlier piece: no sample
                written = time.monotonic()
                os.write(fd, piece)
                with shown:
                    shown.wait_for(lambda: seen["count"] >= i + 1, timeout=10)
                if not already:
                    samples.append(time.monotonic() - written)
                time.sleep(0.05)
            os.close(fd)
        finally:
            engine.stop(2.0)
    return samples


def restart_child(how: str) -> None:
    """In its own process: the app restarted far behind (see the module docstring); prints
    the requests counted and the seconds it took. `how`: "workers" or "one" (process)."""
    from bench_ingest import build_log, checkpoint_at_start
    from tray.engine import Engine
    from tray.logs import parallel
    from tray.store import Store

    if how == "one":
        parallel.worker_count = lambda: 0
    log, copies = build_log(500)
    total = copies * FIXTURE_REQUESTS
    with tempfile.TemporaryDirectory(prefix="bench-app-") as tmp:
        chosen = settings(Path(tmp), log)
        chosen.data_dir.mkdir(parents=True)
        store = Store(chosen.store_path, chosen.retention)
        checkpoint_at_start(store, log)
        store.close()
        started = time.monotonic()
        engine = Engine(chosen, environ={}).start()
        try:
            while engine.tally.since_start < total and time.monotonic() - started < 600:
                time.sleep(0.05)
            took, counted = time.monotonic() - started, engine.tally.since_start
        finally:
            engine.stop(5.0)
    print(f"{counted} {took:.3f}")


def restart(runs: int) -> dict[str, tuple[int, float]]:
    """Median seconds (and requests counted) of `runs` restarts each way."""
    env = dict(os.environ, PYTHONPATH=str(REPO))
    results = {}
    for how in ("workers", "one"):
        outs = [subprocess.run([sys.executable, __file__, "--restart-child", how], env=env,
                               capture_output=True, text=True, check=True).stdout.split()
                for _ in range(runs)]
        results[how] = (int(outs[0][0]), statistics.median(float(out[1]) for out in outs))
    return results


def pct(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--idle-seconds", type=float, default=60.0)
    parser.add_argument("--requests", type=int, default=100_000)
    parser.add_argument("--copies", type=int, default=10, help="fixture copies for the latency samples")
    parser.add_argument("--restart-runs", type=int, default=3)
    parser.add_argument("--only-restart", action="store_true", help="run the restart part alone")
    parser.add_argument("--memory-child", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--restart-child", choices=("workers", "one"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.memory_child:
        memory_child(args.memory_child)
        return 0
    if args.restart_child:
        restart_child(args.restart_child)
        return 0
    if args.only_restart:
        print_restart(restart(args.restart_runs))
        return 0
    print(f"machine: {platform.platform()}, Python {platform.python_version()}, {os.cpu_count()} cores")
    lat = latency(args.copies)
    print(f"log line -> menu: {len(lat)} samples of {len(pieces(args.copies))} pieces, p50 {statistics.median(lat) * 1000:.1f} ms, "
          f"p95 {pct(lat, 95) * 1000:.1f} ms, max {max(lat) * 1000:.1f} ms (target p95 < 1000 ms)")
    cpu = idle(args.idle_seconds)
    print(f"idle CPU over {cpu['wall']:.0f} s ({cpu['polls']} polls): app {cpu['app'] * 100:.3f} % of a core, "
          f"tail -f {cpu['tail'] * 100:.3f} %" + (f", ratio {cpu['app'] / cpu['tail']:.1f}x" if cpu["tail"] else "")
          + " (target <= 1 %)")
    mem = memory(args.requests)
    print(f"memory: {mem['counted']} requests ({mem['log_mb']:.0f} MB of log) counted in {mem['seconds']:.0f} s; "
          f"peak RSS {mem['peak_mb']:.1f} MB, RSS after {mem['current_mb']:.1f} MB, bare interpreter with the app "
          f"imported {mem['bare_mb']:.1f} MB, ratio {mem['peak_mb'] / mem['bare_mb']:.1f}x (target <= 80 MB)")
    print_restart(restart(args.restart_runs))
    return 0


def print_restart(results: dict[str, tuple[int, float]]) -> None:
    (counted, workers), (_, one) = results["workers"], results["one"]
    print(f"restart 524 MB behind: {counted} requests counted in {workers:.2f} s with workers, "
          f"{one:.2f} s in one process (ratio {one / workers:.2f})")


if __name__ == "__main__":
    sys.exit(main())
