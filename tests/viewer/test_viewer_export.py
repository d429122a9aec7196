"""Exports: JSON Lines is exactly `to_json()` per line, CSV is spreadsheet-safe, files are 0600."""

from __future__ import annotations

import csv
import json
import stat
from pathlib import Path

import pytest

from tray.desktop.viewer.export import csv_text, export, format_for
from tray.model import RECORD_KEYS, RequestRecord
from tray.store import Store


def test_jsonl_round_trips_the_shown_records(tmp_path: Path, store: Store) -> None:
    shown = [store.get(r.id) for _, _, r in store.viewer_rows(limit=0)]
    target = tmp_path / "out.jsonl"
    assert export(target, shown) == 15
    lines = target.read_text(encoding="utf-8").splitlines()
    assert [json.loads(line) for line in lines] == [r.to_json() for r in shown]
    assert [RequestRecord.from_json(json.loads(line)) for line in lines] == shown
    assert all(list(json.loads(line)) == list(RECORD_KEYS) for line in lines)


def test_files_are_private_even_when_replacing(tmp_path: Path, records: list[RequestRecord]) -> None:
    target = tmp_path / "out.csv"
    target.write_text("old")
    target.chmod(0o644)
    export(target, records)
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]


def test_csv_columns_values_and_formula_guard(records: list[RequestRecord]) -> None:
    risky = RequestRecord("=HYPERLINK(\"x\")", model="-cheap", tags=["a"], stream=True, cost=None)
    rows = list(csv.DictReader(csv_text([records[0], risky]).splitlines()))
    assert list(rows[0]) == list(RECORD_KEYS)
    assert json.loads(rows[0]["messages"]) == records[0].messages
    assert rows[0]["cost"] == "1.35e-05" and rows[0]["stream"] == "false"
    assert rows[1]["id"] == "'=HYPERLINK(\"x\")" and rows[1]["model"] == "'-cheap"
    assert rows[1]["cost"] == "" and rows[1]["stream"] == "true" and rows[1]["tags"] == '["a"]'


def test_format_by_suffix_and_unknown_format(tmp_path: Path) -> None:
    assert format_for(Path("a.CSV")) == "csv" and format_for(Path("a.json")) == "jsonl"
    with pytest.raises(ValueError):
        export(tmp_path / "x", [], fmt="xml")
