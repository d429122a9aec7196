"""The viewer's read-only access: waits for a store to appear, never writes it."""

from __future__ import annotations

import stat
from pathlib import Path
from types import ModuleType

from tray.desktop.viewer.source import ViewerSource
from tray.model import RequestRecord
from tray.store import Store

QUERY = {"text": "", "model": None, "status": None, "status_code": None, "tag": None,
         "since": None, "until": None}


def test_missing_store_is_empty_until_it_appears(tmp_path: Path, samples: ModuleType,
                                                 records: list[RequestRecord]) -> None:
    source = ViewerSource(tmp_path / "store.sqlite3")
    assert not source.ready and source.rows(QUERY, 200) == ([], 0) and source.count() == 0
    assert source.record("chatcmpl-001") is None and source.models() == [] and source.tags() == []
    assert not (tmp_path / "store.sqlite3").exists()  # the viewer creates nothing
    samples.fill_store(tmp_path / "store.sqlite3", records).close()
    rows, last = source.rows(QUERY, 200)
    assert source.ready and len(rows) == 15 and last == 15
    source.close()


def test_rows_records_and_polling(store_path: Path) -> None:
    source = ViewerSource(store_path)
    rows, last = source.rows(QUERY, 5)
    assert [r.seq for r in rows] == [15, 14, 13, 12, 11]
    assert rows[2].preview == "Summarise this long document:"
    full = source.records(["chatcmpl-013", "gone", "chatcmpl-001"])
    assert [r.id for r in full] == ["chatcmpl-013", "chatcmpl-001"]
    assert len(full[0].messages[0]["content"]) > 50_000
    assert source.rows(QUERY, 5, after_seq=last) == ([], last)
    source.close()


def test_opening_read_only_does_not_change_the_file(store_path: Path) -> None:
    before = (store_path.read_bytes(), stat.S_IMODE(store_path.stat().st_mode))
    source = ViewerSource(store_path)
    source.rows(QUERY, 0)
    source.close()
    assert (store_path.read_bytes(), stat.S_IMODE(store_path.stat().st_mode)) == before
    assert Store(store_path, readonly=True).count() == 15
