"""A reader beginning mid-file learns from the lines before it whether the proxy runs workers."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tray.logs import lookback
from tray.logs.lookback import runs_workers

PARENT = b"INFO:     Started parent process [41]\n"
WORKER = b"INFO:     Started server process [42]\n"
FILLER = b'INFO:     127.0.0.1:50000 - "GET /health/liveliness HTTP/1.1" 200 OK\n'


@pytest.fixture(autouse=True)
def small_regions(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(lookback, "HEAD_BYTES", 1000)
    monkeypatch.setattr(lookback, "LOOKBACK_BYTES", 2000)


def answer(tmp_path: Path, data: bytes, before: int) -> bool:
    path = tmp_path / "litellm.log"
    path.write_bytes(data)
    fd = os.open(path, os.O_RDONLY)
    try:
        return runs_workers(fd, before)
    finally:
        os.close(fd)


def test_a_parent_in_the_head_or_just_before_counts(tmp_path: Path) -> None:
    far = FILLER * 100                                          # 6.9 KB: past head and look-back
    head = PARENT + WORKER + far
    assert answer(tmp_path, head, len(head)) is True
    recent = far + PARENT + WORKER + FILLER * 10
    assert answer(tmp_path, recent, len(recent)) is True


def test_a_parent_after_the_offset_or_out_of_reach_does_not(tmp_path: Path) -> None:
    far = FILLER * 100
    assert answer(tmp_path, far + PARENT, len(far)) is False                  # after it
    out_of_reach = far + PARENT + far
    assert answer(tmp_path, out_of_reach, len(out_of_reach)) is False
    single = WORKER + far
    assert answer(tmp_path, single, len(single)) is False
    assert answer(tmp_path, PARENT, 0) is False


def test_a_parent_across_the_head_s_end_is_found(tmp_path: Path) -> None:
    data = b"#" * 979 + b"\n" + PARENT + FILLER * 20    # "Started parent..." spans byte 1000
    marker = data.index(b"Started parent process [")
    assert marker < 1000 < marker + len(b"Started parent process [")
    assert answer(tmp_path, data, len(data)) is True
