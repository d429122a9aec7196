"""The log part of `status`: counts and whether prompts are visible, from real recorded logs."""

from __future__ import annotations

import json
from pathlib import Path

from tray.config import Settings
from tray.logs.summary import summarize_log

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


def truth(release: str, fmt: str) -> list[dict]:
    return [json.loads(line) for line in (FIXTURES / release / f"truth-{fmt}.jsonl").read_text().splitlines()]


def test_debug_log_counts_every_request_and_failure() -> None:
    summary = summarize_log(FIXTURES / "litellm-1.110.2" / "debug.log", Settings())
    expected = truth("litellm-1.110.2", "debug")
    assert summary is not None and summary.prompts_visible
    assert summary.requests == len(expected)
    assert summary.failed == sum(t["expected_status"] == "error" for t in expected)
    assert summary.last_time is not None


def test_plain_log_counts_but_says_prompts_are_not_visible() -> None:
    summary = summarize_log(FIXTURES / "litellm-1.81.3" / "plain.log", Settings())
    assert summary is not None and not summary.prompts_visible
    assert summary.requests == len(truth("litellm-1.81.3", "plain"))


def test_no_file_is_none(tmp_path: Path) -> None:
    assert summarize_log(tmp_path / "missing.log", Settings()) is None
