"""How fast prompts are redacted, next to `grep -P` looking for the same secrets in the same text.

    .venv/bin/python bench/bench_redact.py [--size-mb 20] [--runs 5]

Every prompt and response passes through `tray.redact.redact` before it is stored or shown, so
on a log of real conversations its speed on prose sets the pace of a parse. The text is English
prose and code from Python's own documentation (`pydoc_data.topics`, shipped with CPython), cut
into prompts of 0.2-50 KB, with a key pasted into one prompt in fifty. Written once to
bench/data/ (not in git) and reused.

Each figure is the median of --runs runs, in this process:
  grep -P        `grep -c -i -P` with the app's own pattern over the same text, as a file
                 (one line a prompt): the floor, one pass of a compiled regex engine
  redact         `redact` on every prompt: the regex tried only where a match can begin
  whole regex    the same pattern's `sub` at every character (how `redact` worked before)
"""

from __future__ import annotations

import argparse
import random
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tray.redact import _PATTERN, _replace, redact  # noqa: E402

DATA = REPO / "bench" / "data"
KEYS = ("sk-proj-Abc123Def456Ghi789Jkl0", "Authorization: Bearer eyJhbGciOi.eyJzdWIiOi.SflKxwRJSMe",
        "api_key=hunter2hunter2", "ghp_abcdefghijklmnopqrstuvwx12")


def prompts_file(size_mb: int) -> Path:
    """bench/data/prose-<size>mb.txt: one prompt a line (newlines inside a prompt become spaces,
    so that grep's lines are the prompts), built once."""
    path = DATA / f"prose-{size_mb}mb.txt"
    if path.exists():
        return path
    import pydoc_data.topics

    corpus = " ".join(" ".join(text.split()) for text in pydoc_data.topics.topics.values())
    rng = random.Random(1205)
    prompts, total = [], 0
    while total < size_mb * 1024 * 1024:
        size = int(rng.choice((200, 500, 1000, 2000, 5000, 10_000, 50_000)) * rng.uniform(0.5, 1.5))
        start = rng.randrange(0, len(corpus) - size)
        prompt = corpus[start:start + size]
        if len(prompts) % 50 == 0:
            prompt = f"{prompt} {rng.choice(KEYS)} thanks"
        prompts.append(prompt)
        total += len(prompt) + 1
    DATA.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(prompts) + "\n", encoding="utf-8")
    return path


def timed(job) -> float:
    started = time.perf_counter()
    job()
    return time.perf_counter() - started


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mb", type=int, default=20)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args(argv)

    path = prompts_file(args.size_mb)
    prompts = path.read_text(encoding="utf-8").splitlines()
    megabytes = path.stat().st_size / 1e6
    redacted = sum(redact(p) != p for p in prompts)
    assert redacted == sum(_PATTERN.sub(_replace, p) != p for p in prompts)

    def grep() -> None:
        subprocess.run(["grep", "-c", "-i", "-P", _PATTERN.pattern, str(path)], check=True,
                       capture_output=True)

    jobs = {
        "grep -P": grep,
        "redact": lambda: [redact(p) for p in prompts],
        "whole regex": lambda: [_PATTERN.sub(_replace, p) for p in prompts],
    }
    seconds = {name: statistics.median(timed(job) for _ in range(args.runs if name != "whole regex"
                                                                   else max(1, args.runs // 2)))
               for name, job in jobs.items()}
    print(f"{path.name}: {megabytes:.1f} MB in {len(prompts)} prompts, {redacted} with a secret")
    print(f"median of {args.runs} runs, Python {sys.version.split()[0]}")
    print(f"{'':14}{'seconds':>9}{'MB/s':>9}{'x grep':>8}")
    for name, value in seconds.items():
        print(f"{name:14}{value:9.3f}{megabytes / value:9.1f}{value / seconds['grep -P']:8.1f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
