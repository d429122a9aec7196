"""Killed with SIGKILL while following a growing log, restarted: the store ends as one clean read.

The ingestor runs in its own process on a copy of a recorded `--detailed_debug` log that the test
appends in pieces (cut anywhere, mid-line included) while it runs. It is killed twice with
`kill -9` part-way through, each time after it has stored some requests, and restarted on the
same store. In the end the store must hold exactly what one uninterrupted import of the finished
file stores: the same requests under the same ids, none twice, none lost.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from tray.logs.ingest import LogIngestor, ingest_file
from tray.model import RequestRecord
from tray.store import Store

REPO = Path(__file__).resolve().parents[2]
FIXTURE = REPO / "tests" / "fixtures" / "litellm-1.110.2" / "debug.log"
PIECE = 9_973                     # bytes per append: cuts lines anywhere

FOLLOW = """
import sys, time
from pathlib import Path
from tray.logs.ingest import LogIngestor
from tray.store import Store
log, db, stop = (Path(arg) for arg in sys.argv[1:4])
ingestor = LogIngestor(log, Store(db))
while not stop.exists():
    ingestor.step()
    time.sleep(0.01)
ingestor.step()
ingestor.finish()
"""


def start_follower(log: Path, db: Path, stop: Path) -> subprocess.Popen:
    env = dict(os.environ, PYTHONPATH=str(REPO))
    return subprocess.Popen([sys.executable, "-c", FOLLOW, str(log), str(db), str(stop)], env=env)


def stored(db: Path) -> int:
    if not db.exists():
        return 0
    store = Store(db, readonly=True)
    try:
        return store.count()
    except Exception:             # noqa: BLE001 - the schema may not exist yet
        return 0
    finally:
        store.close()


def comparable(record: RequestRecord) -> dict:
    """What a user sees of a request, but its time and latency (from the clock while following)."""
    seen = record.to_json()
    del seen["time"], seen["latency_ms"]
    return seen


def differences(got: list[RequestRecord], expected: list[RequestRecord]) -> dict[str, object]:
    """Ids lost or added, and per id the fields whose value differs from the clean read."""
    mine = {r.id: comparable(r) for r in got}
    clean = {r.id: comparable(r) for r in expected}
    changed = {key: sorted(f for f in clean[key] if clean[key][f] != mine[key][f])
               for key in clean.keys() & mine.keys() if clean[key] != mine[key]}
    found = {"lost": sorted(clean.keys() - mine.keys()), "extra": sorted(mine.keys() - clean.keys()),
             "changed": changed}
    return {name: value for name, value in found.items() if value}


def test_kill_9_and_restart_store_the_same_requests_as_one_clean_read(tmp_path: Path) -> None:
    data = FIXTURE.read_bytes()
    pieces = [data[at:at + PIECE] for at in range(0, len(data), PIECE)]
    log, db, stop = tmp_path / "litellm.log", tmp_path / "tray.sqlite3", tmp_path / "stop"
    log.touch()

    kills = []
    process = start_follower(log, db, stop)
    try:
        for piece in pieces:
            with open(log, "ab") as handle:
                handle.write(piece)
            time.sleep(0.01)
            count = stored(db)
            # kill -9 twice part-way: once with a few requests stored, once with about half
            if (not kills and count >= 5) or (len(kills) == 1 and count >= 20):
                process.send_signal(signal.SIGKILL)
                process.wait(timeout=10)
                kills.append((count, log.stat().st_size))
                process = start_follower(log, db, stop)
        deadline = time.monotonic() + 30
        while stored(db) < 43 and time.monotonic() < deadline:
            time.sleep(0.05)
        stop.touch()
        assert process.wait(timeout=30) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()

    assert len(kills) == 2, "the follower was not killed part-way through (it read too slowly?)"
    assert all(size < len(data) for _, size in kills)

    clean = Store(tmp_path / "clean.sqlite3")
    ingest_file(log, clean)
    expected = clean.recent(0)
    after_restarts = Store(db, readonly=True).recent(0)

    assert len(expected) == 43
    assert differences(after_restarts, expected) == {}
    assert len(after_restarts) == len(expected)


def test_a_crash_after_any_step_changes_nothing(tmp_path: Path) -> None:
    """The same, without processes: the ingestor is dropped after each possible step in turn.

    A commit is one transaction, so a kill -9 at any moment leaves the store as it was after
    some step; this tries every such moment of a log written piece by piece.
    """
    data = FIXTURE.read_bytes()
    pieces = [data[at:at + PIECE] for at in range(0, len(data), PIECE)]
    whole = tmp_path / "whole.log"
    whole.write_bytes(data)
    clean = Store(tmp_path / "clean.sqlite3")
    ingest_file(whole, clean)
    expected = clean.recent(0)

    found = {}
    for crash_after in range(1, len(pieces)):
        whole.write_bytes(b"")                # the same file each time: same identity, same ids
        store = Store(tmp_path / f"crash-{crash_after}.sqlite3")
        ingestor = LogIngestor(whole, store)
        for number, piece in enumerate(pieces, start=1):
            with open(whole, "ab") as handle:
                handle.write(piece)
            ingestor.step()
            if number == crash_after:         # lost: everything the process held in memory
                ingestor.follower.close()
                ingestor = LogIngestor(whole, store)
        ingestor.step()
        ingestor.finish()
        ingestor.follower.close()
        difference = differences(store.recent(0), expected)
        store.close()
        if difference:
            found[f"crash after piece {crash_after} of {len(pieces)}"] = difference
    assert not found, "\n".join(f"{when}: {what}" for when, what in found.items())
