"""Benchmark: one `/metrics` poll by the app vs fetching the whole exposition and parsing it with
prometheus_client, against a real-shaped exposition of 8-10 MB, in the same run.

The exposition is the one a real LiteLLM 1.110.2 served (tests/fixtures), its per-key series
replicated over many `hashed_api_key` values, as a deployment with many keys serves it. It is
served by prometheus_client's own WSGI app (a registry holding those families), which honours
`name[]` and gzip exactly as LiteLLM's `/metrics` does.

CPU is this thread's CPU time (`time.thread_time`): the server runs in another thread of the
same process and is not counted. Medians of several runs.

    .venv/bin/python bench/bench_metrics.py [--target-mb 9] [--runs 7] [--readme]
"""

from __future__ import annotations

import argparse
import hashlib
import re
import statistics
import sys
import time
from pathlib import Path
from typing import Callable, Iterable

import httpx
from prometheus_client import CollectorRegistry
from prometheus_client.exposition import start_wsgi_server
from prometheus_client.parser import text_string_to_metric_families

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tray.proxy.client import ProxyClient  # noqa: E402
from tray.proxy.metrics import fetch_metrics, metrics_params  # noqa: E402

FIXTURE = ROOT / "tests" / "fixtures" / "litellm-1.110.2" / "metrics.txt"
SMALL_FIXTURES = [ROOT / "tests" / "fixtures" / f"litellm-{v}" / "metrics.txt" for v in ("1.110.2", "1.81.3")]
README = Path(__file__).with_name("README.md")
SECTION = "## Metrics poll"
_KEY_LABEL = re.compile(r'hashed_api_key="[^"]*"')


def families(text: str) -> list[list[str]]:
    """The exposition split into families: each its comment lines, then its sample lines."""
    groups: list[list[str]] = []
    for line in text.splitlines():
        if line.startswith("# HELP") or not groups:
            groups.append([])
        groups[-1].append(line)
    return groups


def replicate(text: str, target_bytes: int) -> str:
    """Per-key series copied for as many extra hashed keys as it takes to reach `target_bytes`."""
    groups = families(text)
    keyed = sum(len(line) + 1 for group in groups for line in group if "hashed_api_key=" in line)
    copies = max(1, round((target_bytes - (len(text) - keyed)) / max(keyed, 1)))
    keys = [hashlib.sha256(str(i).encode()).hexdigest() for i in range(copies)]
    out: list[str] = []
    for group in groups:
        for line in group:
            out.append(line)
        samples = [line for line in group if "hashed_api_key=" in line and not line.startswith("#")]
        for key in keys[1:]:
            out.extend(_KEY_LABEL.sub(f'hashed_api_key="{key}"', line) for line in samples)
    return "\n".join(out) + "\n"


class _Families:
    """A collector that serves fixed, already-parsed families."""

    def __init__(self, text: str):
        self._families = list(text_string_to_metric_families(text))

    def collect(self) -> Iterable[object]:
        return self._families


def serve(text: str) -> tuple[str, Callable[[], None]]:
    registry = CollectorRegistry(auto_describe=True)   # so `name[]` finds the families
    registry.register(_Families(text))  # type: ignore[arg-type]
    server, thread = start_wsgi_server(0, addr="127.0.0.1", registry=registry)
    url = f"http://127.0.0.1:{server.server_port}"

    def stop() -> None:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)

    return url, stop


def cpu(run: Callable[[], object], runs: int) -> list[float]:
    times = []
    for _ in range(runs):
        started = time.thread_time()
        run()
        times.append(time.thread_time() - started)
    return times


def wire_bytes(url: str, params: object, headers: dict[str, str]) -> int:
    with httpx.Client() as http:
        response = http.get(url + "/metrics", params=params, headers=headers)  # type: ignore[arg-type]
        response.read()
        return response.num_bytes_downloaded


def parse_all(url: str, params: object = None, encoding: str = "identity") -> float:
    """Fetch, parse every sample with prometheus_client; returns the total-requests counter's sum."""
    text = httpx.get(url + "/metrics", params=params, headers={"Accept-Encoding": encoding}).text  # type: ignore[arg-type]
    return sum(s.value for family in text_string_to_metric_families(text) for s in family.samples
               if s.name == "litellm_proxy_total_requests_metric_total")


def bench_big(target_mb: float, runs: int) -> dict[str, float]:
    text = replicate(FIXTURE.read_text(encoding="utf-8"), int(target_mb * 1e6))
    url, stop = serve(text)
    try:
        with ProxyClient(url, timeout=60, max_bytes=64 * 1024 * 1024) as client:
            snap = fetch_metrics(client)                            # warm up both paths once
            ours = cpu(lambda: fetch_metrics(client), runs)
        expected = parse_all(url)
        assert snap.requests_total == expected, (snap.requests_total, expected)    # same answer
        theirs = cpu(lambda: parse_all(url), max(3, runs // 2))
        filtered = cpu(lambda: parse_all(url, metrics_params(), "gzip"), max(3, runs // 2))
        ours_bytes = wire_bytes(url, metrics_params(), {"Accept-Encoding": "gzip"})
        whole_bytes = wire_bytes(url, None, {"Accept-Encoding": "identity"})
    finally:
        stop()
    return {"size": len(text.encode()), "ours": statistics.median(ours), "theirs": statistics.median(theirs),
            "filtered": statistics.median(filtered), "ours_bytes": ours_bytes, "whole_bytes": whole_bytes}


def bench_small(path: Path, runs: int) -> dict[str, float]:
    text = path.read_text(encoding="utf-8")
    url, stop = serve(text)
    try:
        with ProxyClient(url, timeout=10) as client:
            fetch_metrics(client)
            ours = cpu(lambda: fetch_metrics(client), runs)
    finally:
        stop()
    return {"size": len(text.encode()), "ours": statistics.median(ours)}


def table(big: dict[str, float], small: list[tuple[str, dict[str, float]]]) -> str:
    ratio = big["ours"] / big["theirs"]
    share = big["ours_bytes"] / big["whole_bytes"]
    rows = [
        "| what | figure | target |",
        "| --- | --- | --- |",
        f"| exposition served | {big['size'] / 1e6:.1f} MB | 8-10 MB |",
        f"| whole fetch + prometheus_client parse, CPU (median) | {big['theirs'] * 1000:.0f} ms | |",
        f"| same `name[]` + gzip answer parsed by prometheus_client, CPU (median) | {big['filtered'] * 1000:.0f} ms | |",
        f"| app's poll (`name[]`, gzip, own sample reader), CPU (median) | {big['ours'] * 1000:.1f} ms | |",
        f"| CPU ratio, app / whole | {ratio:.3f} | <= 0.5 |",
        f"| bytes on the wire, app / whole | {big['ours_bytes'] / 1e3:.1f} KB / {big['whole_bytes'] / 1e6:.1f} MB"
        f" = {share * 100:.2f} % | <= 10 % |",
    ]
    for name, result in small:
        rows.append(f"| app's poll of a real {result['size'] / 1e3:.0f} KB exposition ({name}), CPU (median)"
                    f" | {result['ours'] * 1000:.1f} ms | < 20 ms |")
    return "\n".join(rows)


def write_readme(body: str) -> None:
    """Replace (or add) only the "## Metrics poll" section of bench/README.md."""
    text = README.read_text(encoding="utf-8") if README.exists() else "# Benchmarks\n"
    section = f"{SECTION}\n\n{body}\n"
    pattern = re.compile(rf"^{re.escape(SECTION)}\n.*?(?=^## |\Z)", re.MULTILINE | re.DOTALL)
    if pattern.search(text):
        text = pattern.sub(lambda _: section + "\n", text).rstrip("\n") + "\n"
    else:
        text = text.rstrip("\n") + "\n\n" + section
    README.write_text(text, encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--target-mb", type=float, default=9.0, help="size of the big exposition (MB)")
    parser.add_argument("--runs", type=int, default=7, help="runs per measurement (median taken)")
    parser.add_argument("--readme", action="store_true", help="write the results into bench/README.md")
    args = parser.parse_args(argv)
    big = bench_big(args.target_mb, args.runs)
    small = [(path.parent.name, bench_small(path, args.runs * 3)) for path in SMALL_FIXTURES]
    result = table(big, small)
    print(result)
    if args.readme:
        write_readme(NOTES + "\n" + result + "\n\n" + f"Run: `{' '.join(['.venv/bin/python', 'bench/bench_metrics.py', *sys.argv[1:]])}`"
                     f" on {time.strftime('%Y-%m-%d')}, Python {sys.version.split()[0]}.")
    return 0


NOTES = """\
`bench/bench_metrics.py`: one `/metrics` poll by the app against a real-shaped exposition
(LiteLLM 1.110.2's recorded `/metrics`, its per-key series replicated over many
`hashed_api_key` values), served by prometheus_client's own WSGI app, against fetching it whole
and parsing it with prometheus_client, in the same run. CPU is the polling thread's CPU time.

Why the app reads samples itself: prometheus_client's parser costs ~70 µs a sample line. Even on
the `name[]`-filtered answer it takes a large share of a whole parse (third row), because the
families the app needs are the per-key ones that make an exposition big; and a server that
ignores `name[]` (or a proxy in front that drops the query) would cost it about 1.7 s a poll.
The app keeps lines by sample name (one set lookup a line), splits them, and reads labels with
one regex; label strings with escapes go to prometheus_client's own `parse_labels`. A test
checks both give the same samples on every recorded exposition.
"""


if __name__ == "__main__":
    raise SystemExit(main())
