"""`litellm-tray prompts`: the JSON contract of DESIGN.md, the table, the store fallback."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tray.cli import main
from tray.config import load_settings
from tray.logs.ingest import ingest_file
from tray.model import RECORD_KEYS, RequestRecord
from tray.redact import redact
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


def cut_before(log: Path, needle: str, occurrence: int, to: Path) -> list[str]:
    """`log` up to the line holding its `occurrence`-th `needle`, written to `to`; the last
    user prompt of each request whose body it holds, read from the bodies themselves (and
    redacted, as everything shown is)."""
    lines = log.read_text(encoding="utf-8").splitlines(keepends=True)
    hits = [n for n, line in enumerate(lines) if needle in line]
    kept = lines[:hits[occurrence - 1]]
    to.write_text("".join(kept), encoding="utf-8")
    return [redact(json.loads(kept[n + 1])["messages"][-1]["content"]) for n, line in enumerate(kept)
            if "Request received by LiteLLM" in line]


def listed_prompts(rows: list[str], prompts: list[str]) -> bool:
    """Whether the table rows show these prompts, in this order (cut to the prompt column)."""
    cells = [row[53:].rstrip("…") for row in rows]
    return len(cells) == len(prompts) and all(
        " ".join(prompt.split()).startswith(cell) and cell for cell, prompt in zip(cells, prompts))


def test_requests_under_way_are_listed_below_the_table_not_in_the_json(
        capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """`grep "Request received"` shows a request as soon as it arrives: the table lists the
    requests whose outcome is not in the log yet, below the finished ones; the JSON contract
    (status ok or error) holds only the finished."""
    log = tmp_path / "litellm.log"
    begun = cut_before(DEBUG_LOG, "model mismatch", 1, log)     # the first burst, none answered
    assert len(begun) == 8
    for limit in ("0", "5"):
        code, out, _ = run(capsys, "prompts", "--log", str(log), "--limit", limit)
        assert code == 0 and out.splitlines()[0] == "8 requests under way (no outcome in the log yet):"
        assert listed_prompts(out.splitlines()[1:], begun)
        assert all(row.split()[2] == "..." for row in out.splitlines()[1:])
        _, out, _ = run(capsys, "prompts", "--log", str(log), "--limit", limit, "--json")
        assert out == ""

    begun = cut_before(DEBUG_LOG, "Request received by LiteLLM", 17, log)   # 16 begun
    _, out, _ = run(capsys, "prompts", "--log", str(log), "--limit", "0", "--json")
    finished = [json.loads(line)["messages"][-1]["content"] for line in out.splitlines()
                if json.loads(line)["messages"]]
    waiting = [prompt for prompt in begun if prompt not in finished]
    assert finished and waiting
    _, out, _ = run(capsys, "prompts", "--log", str(log), "--limit", "0")
    table, _, below = out.partition(f"{len(waiting)} request{'s' if len(waiting) > 1 else ''} under way")
    assert table.startswith("TIME") and len(table.splitlines()) == len(out.splitlines()) - 1 - len(waiting)
    assert [row for row in table.splitlines()[1:] if "HTTP 4" not in row] and \
        listed_prompts([row for row in table.splitlines()[1:] if "HTTP 4" not in row], finished)
    assert listed_prompts(below.splitlines()[1:], waiting)


def test_only_the_last_requests_under_way_are_listed() -> None:
    from tray.commands.prompts import UNDER_WAY_SHOWN, format_under_way
    many = [RequestRecord(id=f"r{n}", time=None, model="cheap",
                          messages=[{"role": "user", "content": f"prompt {n}"}]) for n in range(25)]
    lines = format_under_way(many).splitlines()
    assert lines[0] == f"25 requests under way (no outcome in the log yet), the last {UNDER_WAY_SHOWN}:"
    assert [line.split()[-1] for line in lines[1:]] == [str(n) for n in range(15, 25)]
    assert format_under_way([]) == ""
