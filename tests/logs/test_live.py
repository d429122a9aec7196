"""A real LiteLLM proxy under concurrent traffic, its log rotated every way while it is followed.

The proxy writes through the helper's relay (`log_via_pipe=True`), so the test can rename the
log and reopen it as logrotate's `postrotate` would signal a daemon. Every request the client
sent must end up in the store exactly once, with the status the client got.

Destructive rotations (copytruncate, truncation in place, an in-place same-size replacement)
destroy whatever the follower had not read yet: no follower of the path can get those lines
back. For those, the test pauses the writer and lets the follower reach the end of the file
first; what is tested is that nothing is lost or stored twice *after* that point.
"""

from __future__ import annotations

import json
import os
import shutil
import threading
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

import pytest

from tests.support.litellm_proxy import MASTER_KEY, LiteLLMProxy, free_port, litellm_available, write_config
from tests.support.traffic import run_traffic
from tray.logs.ingest import LogIngestor
from tray.model import RequestRecord
from tray.store import Store

pytestmark = [
    pytest.mark.litellm,
    pytest.mark.timeout(240),
    pytest.mark.skipif(not litellm_available(),
                       reason="LiteLLM is not installed in .venv-litellm: run .ci/install-litellm.sh VERSION .venv-litellm"),
]

ROTATIONS = ("rename", "copytruncate", "truncate", "delete", "replace_same_size")
TRAFFIC_RUNS = 3          # each run_traffic(n_rounds=2) sends 43 requests, 8 at a time
ROTATE_EVERY = 1.5        # seconds between rotations while traffic flows


@contextmanager
def writer_paused(proxy: LiteLLMProxy) -> Iterator[None]:
    """Hold the relay's lock: it writes each line under it, so no line lands while we hold it."""
    with proxy._lock:
        yield


def wait_until_read(ingestor: LogIngestor, log: Path, timeout: float = 10.0) -> None:
    """Wait until the follower has read every complete line of the file now at `log`."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        info = os.stat(log)
        if info.st_size == 0:
            return
        identity = ingestor.follower.identity
        if identity is not None and identity.inode == info.st_ino and ingestor.follower.offset >= info.st_size:
            return
        time.sleep(0.01)
    raise AssertionError(f"the follower did not reach the end of {log} within {timeout}s "
                         f"(at {ingestor.follower.offset} of {os.stat(log).st_size} bytes)")


def last_line(log: Path) -> bytes:
    with open(log, "rb") as handle:
        handle.seek(max(0, os.fstat(handle.fileno()).st_size - 4096))
        return handle.read().rstrip(b"\n").rsplit(b"\n", 1)[-1]


def filler(size: int) -> bytes:
    """`size` bytes of log lines that are about no request (the last one padded to fit)."""
    line = b"00:00:00 - LiteLLM Proxy:DEBUG: filler.py:1 - this file was replaced in place\n"
    count, rest = divmod(size, len(line))
    if rest and count:
        count -= 1
        rest += len(line)
    tail = line[:-1] + b"x" * (rest - len(line)) + b"\n" if rest else b""
    return line * count + tail


def rotate(kind: str, proxy: LiteLLMProxy, ingestor: LogIngestor, number: int) -> None:
    log = proxy.log_path
    kept = log.with_name(f"{log.name}.{number}")
    if kind == "rename":                         # logrotate `create`, then the daemon reopens
        log.rename(kept)
        proxy.reopen()
    elif kind == "delete":                       # deleted, then the daemon writes a new file
        log.unlink()
        proxy.reopen()
    elif kind == "copytruncate":
        with writer_paused(proxy):
            wait_until_read(ingestor, log)
            shutil.copyfile(log, kept)
            os.truncate(log, 0)
    elif kind == "truncate":
        with writer_paused(proxy):
            wait_until_read(ingestor, log)
            os.truncate(log, 0)
    elif kind == "replace_same_size":
        # Another file's bytes, exactly as many, written over the log (same inode, same size).
        # Not in the middle of a request body: the relay writes its header and body as two lines.
        for _ in range(200):
            with writer_paused(proxy):
                if not last_line(log).endswith(b"Request received by LiteLLM:"):
                    wait_until_read(ingestor, log)
                    data = filler(log.stat().st_size)
                    with open(log, "r+b") as handle:   # the head last, so the change shows at once
                        os.pwrite(handle.fileno(), data[4096:], 4096)
                        os.pwrite(handle.fileno(), data[:4096], 0)
                    return
            time.sleep(0.005)
        raise AssertionError("never found the log between two requests")
    else:
        raise ValueError(kind)


def find_record(truth: dict[str, Any], stored: list[RequestRecord]) -> list[RequestRecord]:
    """The stored records for one client request: by call id, else by its marker in the prompt."""
    by_id = [r for r in stored if truth["litellm_call_id"] and r.id == truth["litellm_call_id"]]
    if by_id:
        return by_id
    return [r for r in stored if truth["marker"] in json.dumps(r.messages, ensure_ascii=False)]


def settle(reader: Store, expected: int, timeout: float = 30.0, quiet: float = 2.0) -> int:
    """Wait until the store holds `expected` rows and has stopped changing (bounded)."""
    deadline = time.monotonic() + timeout
    last, since = -1, time.monotonic()
    while time.monotonic() < deadline:
        count = reader.count()
        if count != last:
            last, since = count, time.monotonic()
        elif count >= expected and time.monotonic() - since >= quiet:
            break
        time.sleep(0.1)
    return last


def test_every_request_is_stored_once_across_every_kind_of_rotation(tmp_path: Path) -> None:
    port = free_port()
    config = write_config(tmp_path, port)
    log = tmp_path / "litellm.log"
    store = Store(tmp_path / "tray.sqlite3")
    reader = Store(tmp_path / "tray.sqlite3", readonly=True)
    stop = threading.Event()
    truth: list[dict[str, Any]] = []
    done: list[str] = []

    with LiteLLMProxy(config, port, log, detailed_debug=True, log_via_pipe=True) as proxy:
        ingestor = LogIngestor(log, store)
        follower_thread = threading.Thread(target=ingestor.run, args=(stop,), kwargs={"poll_seconds": 0.1},
                                           name="test-log-ingest", daemon=True)
        follower_thread.start()

        def send() -> None:
            for run in range(TRAFFIC_RUNS):
                truth.extend(run_traffic(proxy.base_url, MASTER_KEY, n_rounds=2, concurrency=8,
                                         start=1 + 43 * run))
        traffic = threading.Thread(target=send, name="test-traffic", daemon=True)
        try:
            traffic.start()
            number = 0
            while traffic.is_alive():
                time.sleep(ROTATE_EVERY)
                kind = ROTATIONS[number % len(ROTATIONS)]
                number += 1
                rotate(kind, proxy, ingestor, number)
                if traffic.is_alive():
                    done.append(kind)
            traffic.join(timeout=180)
            answered = sum(1 for t in truth if t["status_code"] is not None)
            stored_count = settle(reader, expected=answered)
        finally:
            stop.set()
            follower_thread.join(timeout=10)
    stored = reader.recent(0)
    reader.close()
    store.close()

    assert not traffic.is_alive()
    assert set(done) == set(ROTATIONS), f"rotations done while requests were in flight: {done}"
    assert len(truth) == 43 * TRAFFIC_RUNS
    assert stored_count == len(stored)

    # A request the client got no answer to (a transport error, e.g. a kept-alive connection
    # the server closed as it was reused) may never have reached the proxy: at most once.
    unanswered = [t for t in truth if t["status_code"] is None]
    assert len(unanswered) <= 2, f"too many requests without an answer: {unanswered}"
    problems = []
    matched: set[str] = set()
    found = 0
    for sent in truth:
        if sent["wrong_key"]:
            continue                               # no body in the log: counted below
        records = find_record(sent, stored)
        if len(records) != 1 and not (sent in unanswered and not records):
            problems.append(f"{sent['marker']} ({sent['model']}, {sent['status_code']}): "
                            f"stored {len(records)} times")
        if len(records) != 1:
            continue
        record = records[0]
        matched.add(record.id)
        found += 1
        if sent in unanswered:
            continue
        expected_status = "ok" if sent["status_code"] == 200 else "error"
        if (record.status, record.status_code) != (expected_status, sent["status_code"]):
            problems.append(f"{sent['marker']}: stored {record.status}/{record.status_code}, "
                            f"the client got {sent['status_code']}")
    assert problems == []
    # Wrong-key requests leave only an access line: one body-less error record each.
    access_only = [r for r in stored if r.id not in matched and not r.messages]
    wrong_keys = [t for t in truth if t["wrong_key"]]
    assert sorted(r.status_code for r in access_only) == sorted(t["status_code"] for t in wrong_keys), \
        f"{len(wrong_keys)} requests with a wrong key, {len(access_only)} stored: {access_only}"
    assert all(r.status == "error" for r in access_only)
    unexplained = [r for r in stored if r.id not in matched and r.messages]
    assert [(r.id, r.model, r.status_code) for r in unexplained] == []
    assert found == len(matched), "two requests were stored as one"
    assert len(stored) == len(matched) + len(wrong_keys)
