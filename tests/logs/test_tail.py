"""`prompts --limit N` reads backwards from the end: its N must be the last N of a full read."""

from __future__ import annotations

from pathlib import Path

import pytest

from tray.logs.reader import read_whole_file
from tray.logs.tail import last_requests

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
LOGS = sorted(FIXTURES.glob("litellm-*/*.log"))


@pytest.mark.parametrize("log", LOGS, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_the_last_n_are_those_of_a_full_read(log: Path) -> None:
    """Every recorded log (three formats, the same prompts to every model at once, the other
    endpoints): a window that begins among requests in flight holds outcome lines without
    their bodies; none may pass for a request, or push a real one out of the last N."""
    everything = [record.to_json() for record in read_whole_file(log)[0]]
    for limit in (1, 5, 17):
        assert [record.to_json() for record in last_requests(log, limit)[0]] == everything[-limit:], limit
