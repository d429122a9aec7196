"""Garbage in the log: nothing crashes, every good request around it is kept, memory stays bounded.

The good requests come from a recorded `--detailed_debug` (or `JSON_LOGS`) log; the garbage is
put between its lines. What comes out is compared with a clean read of the same lines. Requests
LiteLLM names by call id keep their id; the few named by their place in the file (no call id)
move with the garbage, so they are compared by what they hold.
"""

from __future__ import annotations

import random
import re
import time
import tracemalloc
from pathlib import Path

from tray.logs.follow import Follower
from tray.logs.ingest import LogIngestor
from tray.logs.reader import LogReader, read_whole_file
from tray.model import RequestRecord
from tray.store import Store

from tests.support.copies import many_copies

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "litellm-1.110.2"
DEBUG_LOG = (FIXTURES / "debug.log").read_bytes()
JSON_LOG = (FIXTURES / "json.log").read_bytes()
CALL_ID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
MB = 1024 * 1024


def seen(records: list[RequestRecord]) -> list[tuple]:
    """What a user sees of each request (a positional id only as 'no call id')."""
    return sorted(
        (r.id if CALL_ID.match(r.id) else "(no call id)", r.model, r.status, r.status_code,
         r.last_user_text, r.response, r.total_tokens, r.cost, r.stream, tuple(r.tags))
        for r in records
    )


def parse(data: bytes, tmp_path: Path, name: str = "litellm.log") -> list[RequestRecord]:
    path = tmp_path / name
    path.write_bytes(data)
    records, _, _ = read_whole_file(path)
    return records


def safe_cuts(data: bytes) -> list[int]:
    """Line starts where a foreign line can go: not between a request header and its body."""
    cuts = []
    at = data.find(b"\n") + 1
    while 0 < at < len(data):
        previous = data[data.rfind(b"\n", 0, at - 1) + 1:at]
        if not previous.rstrip().endswith(b"Request received by LiteLLM:"):
            cuts.append(at)
        at = data.find(b"\n", at) + 1
    return cuts


def insert_between_lines(data: bytes, junk: list[bytes], seed: int = 7) -> bytes:
    """`data` with each piece of `junk` (made a line of its own) at a random safe line start."""
    cuts = sorted(random.Random(seed).sample(safe_cuts(data), len(junk)))
    out, last = [], 0
    for cut, piece in zip(cuts, junk):
        out += [data[last:cut], piece if piece.endswith(b"\n") else piece + b"\n"]
        last = cut
    return b"".join(out + [data[last:]])


def test_the_fixture_reads_cleanly(tmp_path: Path) -> None:
    # The reference the other tests compare with: 42 requests with a body, 1 refused before it.
    records = parse(DEBUG_LOG, tmp_path)
    assert len(records) == 43
    assert sum(1 for r in records if r.messages) == 42


def test_random_bytes_make_no_requests(tmp_path: Path) -> None:
    noise = random.Random(1).randbytes(4 * MB)
    assert parse(noise, tmp_path) == []
    store = Store()
    ingestor = LogIngestor(tmp_path / "litellm.log", store, live=False)
    ingestor.step()
    ingestor.finish()
    assert store.count() == 0


def test_binary_junk_and_invalid_utf8_between_requests_lose_nothing(tmp_path: Path) -> None:
    rng = random.Random(2)
    junk = [rng.randbytes(rng.randint(1, 3000)) for _ in range(30)]          # may hold newlines
    junk += [b"\xff\xfe\xfd", b"\xc3\x28 invalid continuation", b"\x00" * 100, b"\xed\xa0\x80 surrogate",
             b"\x1b[31m\x1b[0m", b"\r", b'{"message": "\xff\xff", "level": "DEBUG"}', b"{" * 1000]
    dirty = insert_between_lines(DEBUG_LOG, junk)
    assert seen(parse(dirty, tmp_path)) == seen(parse(DEBUG_LOG, tmp_path, "clean.log"))


def test_invalid_utf8_inside_a_prompt_keeps_the_request(tmp_path: Path) -> None:
    # A corrupted byte in a prompt, everywhere LiteLLM repeats that prompt.
    dirty = DEBUG_LOG.replace(b"Say hello (round 0).", b"Say hello\xff (round 0).")
    assert dirty != DEBUG_LOG
    records = parse(dirty, tmp_path)
    assert len(records) == 43
    [record] = [r for r in records if "[req-001]" in r.last_user_text]
    assert record.last_user_text == "Say hello\ufffd (round 0). [req-001]"
    assert (record.model, record.status, record.status_code) == ("cheap", "ok", 200)


def test_truncated_json_lines_are_skipped_and_the_rest_kept(tmp_path: Path) -> None:
    lines = JSON_LOG.splitlines(keepends=True)
    dirty = []
    for number, line in enumerate(lines):
        dirty.append(line)
        if number % 7 == 0:               # a cut-off copy: a writer killed mid-line, then restarted
            dirty.append(line[: len(line) // 2].rstrip(b"\n") + b"\n")
    records = parse(b"".join(dirty), tmp_path)
    assert len(records) == 43
    assert seen(records) == seen(parse(JSON_LOG, tmp_path, "clean.log"))


def test_a_truncated_last_line_waits_and_is_not_misread(tmp_path: Path) -> None:
    records = parse(JSON_LOG + JSON_LOG.splitlines(keepends=True)[100][:300], tmp_path)
    assert seen(records) == seen(parse(JSON_LOG, tmp_path, "clean.log"))


def write_with_huge_line(path: Path, before: bytes, after: bytes, size: int) -> None:
    """A request whose body line is `size` bytes (a 50 MB prompt), written without holding it."""
    with open(path, "wb") as handle:
        handle.write(before)
        handle.write(b"19:55:50 - LiteLLM Proxy:DEBUG: common_request_processing.py:3121 - "
                     b"Request received by LiteLLM:\n")
        handle.write(b'{"model": "cheap", "messages": [{"role": "user", "content": "')
        block = b"all work and no play " * (MB // 21)
        written = 0
        while written < size:
            handle.write(block)
            written += len(block)
        handle.write(b'"}]}\n')
        handle.write(after)


def test_a_50_mb_line_is_skipped_counted_and_never_held_whole(tmp_path: Path) -> None:
    cut = safe_cuts(DEBUG_LOG)[len(safe_cuts(DEBUG_LOG)) // 2]
    before, after = DEBUG_LOG[:cut], DEBUG_LOG[cut:]
    path = tmp_path / "litellm.log"
    write_with_huge_line(path, before, after, 50 * MB)
    expected = seen(parse(before + after, tmp_path, "clean.log"))

    tracemalloc.start()
    try:
        records, _, follower = read_whole_file(path)
        _, read_peak = tracemalloc.get_traced_memory()
        tracemalloc.reset_peak()
        store = Store()
        ingestor = LogIngestor(path, store, live=False)
        ingestor.step()
        ingestor.finish()
        _, ingest_peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert follower.skipped_long_lines == 1
    assert ingestor.follower.skipped_long_lines == 1
    assert seen(records) == expected
    assert seen(store.recent(0)) == expected
    # Up to max_line_bytes (16 MiB) of a line may be held, since it may turn out short enough;
    # held once, plus a couple of 4 MiB reads, that is well under the 50 MB of the line.
    limit = 26 * MB
    peaks = {"read_whole_file": round(read_peak / MB, 1), "LogIngestor": round(ingest_peak / MB, 1)}
    assert max(peaks.values()) < limit / MB, f"peak MiB while skipping a 50 MB line: {peaks}"


def test_a_file_deleted_while_open_keeps_what_was_read_and_follows_the_new_one(tmp_path: Path) -> None:
    # Cut just after the access line of the request refused for its key: that line waits for an
    # outcome line that never comes, while the proxy's log is deleted and a new empty one begun.
    clean = parse(DEBUG_LOG, tmp_path, "clean.log")
    [alone] = [r for r in clean if not r.messages]
    cut = DEBUG_LOG.index(b"\n", int(alone.id.rpartition("-")[2], 16)) + 1
    path = tmp_path / "litellm.log"
    path.write_bytes(DEBUG_LOG[:cut])
    store = Store()
    ingestor = LogIngestor(path, store)
    ingestor.step()
    before = store.count()
    assert before > 0

    path.unlink()
    ingestor.step()
    assert "gone" in (ingestor.error or "")
    assert store.count() == before

    path.touch()                                # the proxy starts a new file...
    ingestor.step()
    time.sleep(0.5)                             # ...and writes nothing for a moment
    ingestor.step()
    with open(path, "ab") as handle:
        handle.write(DEBUG_LOG[cut:])
    ingestor.step()
    ingestor.finish()
    assert ingestor.error is None
    assert seen(store.recent(0)) == seen(clean)


def held_after_reading(path: Path) -> int:
    """Bytes the reader still holds once it has read the whole file (its records dropped)."""
    tracemalloc.start()
    try:
        reader, follower = LogReader(), Follower(path)
        for chunk in follower.chunks():
            reader.feed(chunk)
        follower.close()
        held = tracemalloc.get_traced_memory()[0]
        del reader
    finally:
        tracemalloc.stop()
    return held


def test_memory_held_does_not_grow_with_the_number_of_requests(tmp_path: Path) -> None:
    # The app follows one log for days: what the reader keeps must not grow with it.
    def copies(count: int) -> Path:
        path = tmp_path / f"{count}.log"
        path.write_bytes(many_copies(FIXTURES / "debug.log", count))
        return path

    short, long = held_after_reading(copies(8)), held_after_reading(copies(32))   # 344, 1376 requests
    assert (long - short) / MB < 0.5, f"held {short / MB:.1f} MiB after 344 requests, {long / MB:.1f} after 1376"
