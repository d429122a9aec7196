"""`litellm-tray prompts`: the JSON contract of DESIGN.md, the table, the store fallback."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tray.cli import main
from tray.config import load_settings
from tray.logs.ingest import ingest_file
from tray.model import RECORD_KEYS
from tray.store import Store

FIXTURES = Path(__file__).resolve().parent / "fixtures"
DEBUG_LOG = FIXTURES / "litellm-1.110.2" / "debug.log"


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_json_lines_follow_the_contract_oldest_first(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "prompts", "--log", str(DEBUG_LOG), "--limit", "0", "--json")
    rows = [json.loads(line) for line in out.splitlines()]
    assert code == 0 and len(rows) == 43
    assert all(tuple(row) == RECORD_KEYS for row in rows)
    assert all(row["status"] in ("ok", "error") and isinstance(row["stream"], bool) for row in rows)
    times = [row["time"] for row in rows if row["time"]]
    assert times == sorted(times)
    assert {row["model"] for row in rows} >= {"cheap", "balanced", "frontier", "broken"}


def test_last_n_reads_backwards_and_agrees_with_a_full_parse(capsys: pytest.CaptureFixture[str]) -> None:
    _, everything, _ = run(capsys, "prompts", "--log", str(DEBUG_LOG), "--limit", "0", "--json")
    _, last, _ = run(capsys, "prompts", "--log", str(DEBUG_LOG), "--limit", "5", "--json")
    full = [json.loads(line) for line in everything.splitlines()]
    tail = [json.loads(line) for line in last.splitlines()]
    assert len(tail) == 5
    assert tail == full[-5:]


def test_table_is_readable_and_says_when_prompts_are_not_in_the_log(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "prompts", "--log", str(DEBUG_LOG), "--limit", "3")
    assert code == 0 and out.splitlines()[0].split()[:3] == ["TIME", "MODEL", "STATUS"]
    assert len(out.splitlines()) == 4 and "[req-0" in out
    _, out, err = run(capsys, "prompts", "--log", str(DEBUG_LOG.with_name("plain.log")), "--limit", "3")
    assert "--detailed_debug" in err


def test_without_log_it_prints_what_the_store_holds(capsys: pytest.CaptureFixture[str]) -> None:
    settings = load_settings()
    store = Store(settings.store_path)
    assert ingest_file(DEBUG_LOG, store) == 43
    store.close()
    code, out, _ = run(capsys, "prompts", "--limit", "2", "--json")
    rows = [json.loads(line) for line in out.splitlines()]
    assert code == 0 and len(rows) == 2 and tuple(rows[0]) == RECORD_KEYS


def test_a_missing_log_is_a_clear_usage_error(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, _, err = run(capsys, "prompts", "--log", str(tmp_path / "nope.log"))
    assert code == 2 and "no log file" in err


def test_a_big_log_read_on_every_core_prints_what_one_process_prints(
        capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    import tray.logs.parallel as parallel

    monkeypatch.setattr(parallel, "worker_count", lambda: 0)
    _, alone, _ = run(capsys, "prompts", "--log", str(DEBUG_LOG), "--limit", "0", "--json")
    monkeypatch.setattr(parallel, "worker_count", lambda: 2)
    monkeypatch.setattr(parallel, "MIN_BYTES", 0)             # the fixture stands in for a big log
    monkeypatch.setattr(parallel, "SEGMENT_BYTES", 64 * 1024)
    started = []
    real = parallel.ParallelScan._segments
    monkeypatch.setattr(parallel.ParallelScan, "_segments",
                        lambda self, *a: started.append(self.workers) or real(self, *a))
    _, split, _ = run(capsys, "prompts", "--log", str(DEBUG_LOG), "--limit", "0", "--json")
    assert started == [2]
    assert split == alone and len(split.splitlines()) == 43
