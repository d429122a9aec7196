"""Following into the store: first start takes only the end of a big log; starts are reported."""

from __future__ import annotations

import json
import shutil
import threading
from pathlib import Path

from tray.logs.ingest import LogIngestor
from tray.logs.reader import read_whole_file
from tray.model import StartedRequest
from tray.store import Store

from tests.support.copies import many_copies, renumbered

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "litellm-1.110.2" / "debug.log"
CALL_ID = "0badc0de-1111-2222-3333-444455556666"


def request_lines(step: str) -> str:
    """One request as LiteLLM 1.110 writes it, cut at `step` (start, done or access)."""
    body = {"model": "cheap", "messages": [{"role": "user", "content": "fresh request [req-900]"}]}
    lines = [
        "20:00:00 - LiteLLM Proxy:DEBUG: common_request_processing.py:3121 - Request received by LiteLLM:",
        json.dumps(body),
        "20:00:00 - LiteLLM:DEBUG: utils.py:600 - litellm.acompletion(REDACTED', model='openai/gpt-4o-mini', "
        f"messages=[{{'role': 'user', 'content': 'fresh request [req-900]'}}], litellm_call_id='{CALL_ID}')",
    ]
    if step in ("done", "access"):
        lines.append(f"20:00:01 - LiteLLM Proxy:DEBUG: common_request_processing.py:1884 - litellm_call_id={CALL_ID}: "
                     "response model mismatch - requested='cheap' downstream='gpt-4o-mini'.")
    if step == "access":
        lines.append('INFO:     127.0.0.1:40000 - "POST /v1/chat/completions HTTP/1.1" 200 OK')
    return "\n".join(lines) + "\n"


def test_first_start_stores_the_last_requests_then_follows(tmp_path: Path) -> None:
    log = tmp_path / "litellm.log"
    shutil.copy(FIXTURE, log)
    everything, _, _ = read_whole_file(log)
    store = Store()
    started: list[StartedRequest] = []
    ingestor = LogIngestor(log, store, backfill=5, on_started=started.extend)
    assert [r.id for r in store.recent()] == [r.id for r in everything[-5:]]
    with open(log, "a") as handle:
        handle.write(request_lines("start"))
    assert ingestor.step() == [] and started == [(CALL_ID, "cheap", "fresh request [req-900]")]
    with open(log, "a") as handle:
        handle.write(request_lines("access")[len(request_lines("start")):])
    done = ingestor.step()
    assert [(r.id, r.status, r.status_code) for r in done][-1] == (CALL_ID, "ok", 200)
    assert store.count() == 6


def test_a_restart_resumes_from_the_checkpoint_not_the_start(tmp_path: Path) -> None:
    log = tmp_path / "litellm.log"
    shutil.copy(FIXTURE, log)
    store = Store()
    LogIngestor(log, store, backfill=3)
    with open(log, "a") as handle:
        handle.write(request_lines("access"))
    again = LogIngestor(log, store, backfill=3)     # a checkpoint exists: no second backfill
    again.step()
    assert store.count() == 4 and store.get(CALL_ID) is not None


def test_prompts_stay_visible_after_a_backfill_and_a_restart(tmp_path: Path) -> None:
    """The menu must not say "prompts not visible" just because the new lines have none yet."""
    log = tmp_path / "litellm.log"
    shutil.copy(FIXTURE, log)
    store = Store(tmp_path / "store.sqlite3")
    first = LogIngestor(log, store, backfill=5)
    assert first.prompts_visible and first.reader.prompts_visible is False
    first.follower.close()
    again = LogIngestor(log, store, backfill=5)
    assert again.prompts_visible
    plain = tmp_path / "plain.log"
    shutil.copy(FIXTURE.with_name("plain.log"), plain)
    assert not LogIngestor(plain, store, backfill=5).prompts_visible


def test_importing_a_big_log_on_every_core_stores_what_one_process_stores(
        tmp_path: Path, monkeypatch) -> None:
    """`viewer --log PATH` imports with ingest_file: workers scan, the store gets the same rows."""

    import tray.logs.parallel as parallel
    from tray.logs.ingest import ingest_file

    log = tmp_path / "litellm.log"
    log.write_bytes(many_copies(FIXTURE, 3))

    def stored(workers: int) -> tuple[list[dict], object]:
        monkeypatch.setattr(parallel, "worker_count", lambda: workers)
        store = Store()
        ingest_file(log, store)
        # rows by id: their order in the store is the order requests completed in a batch
        rows = sorted((r.to_json() for r in store.recent(0)), key=lambda row: row["id"])
        return rows, store.checkpoint(str(log))

    monkeypatch.setattr(parallel, "MIN_BYTES", 0)
    monkeypatch.setattr(parallel, "SEGMENT_BYTES", 32 * 1024)
    scanned = []
    real = parallel._Workers.start
    monkeypatch.setattr(parallel._Workers, "start",
                        classmethod(lambda cls, count, jobs: scanned.append(len(jobs)) or real(count, jobs)))
    alone, alone_end = stored(0)
    split, split_end = stored(2)
    assert scanned and scanned[0] > 10            # the second import used workers
    assert len(split) == len(alone) == 3 * 43
    assert split == alone and split_end == alone_end


def test_a_restart_far_behind_reads_the_rest_on_every_core_as_one_process_would(
        tmp_path: Path, monkeypatch) -> None:
    """The app restarted after a night of logging, or `viewer --log PATH` run again on a log
    that grew: from its checkpoint on, workers scan, and the store ends as after one process."""

    import tray.logs.parallel as parallel
    from tray.logs.ingest import ingest_file

    copies = renumbered(FIXTURE, 4)
    log = tmp_path / "litellm.log"
    monkeypatch.setattr(parallel, "MIN_BYTES", 0)
    monkeypatch.setattr(parallel, "SEGMENT_BYTES", 32 * 1024)
    begins = []
    real = parallel.plan_segments
    monkeypatch.setattr(parallel, "plan_segments",
                        lambda fd, size, begin=0: begins.append(begin) or real(fd, size, begin=begin))

    def resumed(workers: int, stop_after_one: bool = False) -> tuple[list[dict], object, set]:
        log.write_bytes(copies[0])
        store = Store()
        monkeypatch.setattr(parallel, "worker_count", lambda: 0)
        ingest_file(log, store)                            # the first import, up to a checkpoint
        first = {r.id for r in store.recent(0)}
        with log.open("ab") as handle:
            handle.write(b"".join(copies[1:]))               # what came after it
        monkeypatch.setattr(parallel, "worker_count", lambda: workers)
        published = []
        ingestor = LogIngestor(log, store, live=False, on_records=published.extend)
        stop = threading.Event()
        if stop_after_one:
            stop.set()                                       # quit during the catch-up
        ingestor.read_on_every_core(stop)
        ingestor.step(collect=False)
        ingestor.finish()
        ingestor.follower.close()
        rows = sorted((r.to_json() for r in store.recent(0)), key=lambda row: row["id"])
        return rows, store.checkpoint(str(log)), {row["id"] for row in rows} - first - {r.id for r in published}

    alone, alone_end, _ = resumed(0)
    begins.clear()
    split, split_end, not_handed_on = resumed(2)
    assert begins and begins[0] > 0                  # began at the checkpoint, not at 0
    assert len(split) == len(alone) == 4 * 43
    assert split == alone and split_end == alone_end
    assert not_handed_on == set()                    # every new request reached the app
    stopped, stopped_end, _ = resumed(2, stop_after_one=True)
    assert stopped == alone and stopped_end == alone_end   # the follower read the rest


def test_the_apps_log_thread_catches_up_on_every_core_then_follows(tmp_path: Path, monkeypatch) -> None:
    """`run` (the engine's log thread) reads a big backlog with workers, started by spawn as
    the app has other threads, then follows the file as before."""
    import time

    import tray.logs.parallel as parallel

    log = tmp_path / "litellm.log"
    log.write_bytes(many_copies(FIXTURE, 3))
    monkeypatch.setattr(parallel, "MIN_BYTES", 0)
    monkeypatch.setattr(parallel, "SEGMENT_BYTES", 64 * 1024)
    contexts = []
    real_context = parallel._context
    monkeypatch.setattr(parallel, "_context", lambda: contexts.append(real_context()) or contexts[-1])
    store = Store()
    ingestor = LogIngestor(log, store, live=False)
    stop = threading.Event()
    thread = threading.Thread(target=ingestor.run, args=(stop, 0.05), daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 60
        while store.count() < 3 * 43 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert store.count() == 3 * 43
        with log.open("a") as handle:                 # and then it follows
            handle.write(request_lines("access"))
        while store.count() < 3 * 43 + 1 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert store.count() == 3 * 43 + 1
    finally:
        stop.set()
        thread.join(10)
    assert [context.get_start_method() for context in contexts] == ["spawn"]
    assert not thread.is_alive()
