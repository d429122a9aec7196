"""The store's viewer queries: search, filters, live polling by seq, light rows only."""

from __future__ import annotations

from pathlib import Path
from types import ModuleType

import pytest

from tray.model import RequestRecord
from tray.store import Store


def ids(found: list) -> list[str]:
    return [record.id for _, _, record in found]


def test_newest_first_with_seq_preview_and_no_bodies(store: Store) -> None:
    found = store.viewer_rows(limit=3)
    assert ids(found) == ["chatcmpl-015", "chatcmpl-014", "chatcmpl-013"]
    seq, preview, record = found[2]
    assert seq == 13 and preview == "Summarise this long document:"
    assert record.messages == [] and record.response is None  # light: bodies stay on disk
    assert record.error is None and found[1][2].error.startswith("Authentication Error")


@pytest.mark.parametrize("text, expected", [
    ("dead upstream", ["chatcmpl-010"]),                  # prompt
    ("HELLO FROM CHEAP", ["chatcmpl-013", "chatcmpl-001"]),  # response, ASCII case-insensitive
    ("你好世界", ["chatcmpl-004"]),                          # unicode in the JSON messages
    ("Line two:\n\tindented", ["chatcmpl-005"]),          # newline and tab, JSON-escaped in storage
    ('{"city": "Łódź"}', ["chatcmpl-012"]),               # quotes inside a tool call
    ("Sentence 00700", ["chatcmpl-013"]),                 # deep inside the 50 KB prompt
    ("All connection attempts failed", ["chatcmpl-010"]),  # the error text
    ("100%", []), ("fro_", []),                           # LIKE wildcards are literal
])
def test_text_search(store: Store, text: str, expected: list[str]) -> None:
    assert ids(store.viewer_rows(text=text, limit=0)) == expected


def test_like_wildcards_and_backslashes_match_literally(tmp_path: Path) -> None:
    writer = Store(tmp_path / "s.sqlite3")
    writer.commit([RequestRecord("a", messages=[{"role": "user", "content": "100% of C:\\temp_dir"}]),
                   RequestRecord("b", messages=[{"role": "user", "content": "1000 of C:/tempXdir"}])])
    assert ids(writer.viewer_rows(text="100%")) == ["a"]
    assert ids(writer.viewer_rows(text="C:\\temp_")) == ["a"]
    writer.close()


def test_filters_combine(store: Store) -> None:
    assert ids(store.viewer_rows(model="cheap", status="error")) == ["chatcmpl-014"]
    assert ids(store.viewer_rows(status_code=400)) == ["chatcmpl-011"]
    assert ids(store.viewer_rows(tag="batch")) == ["chatcmpl-008"]
    assert ids(store.viewer_rows(tag="job")) == []  # whole tags only
    assert ids(store.viewer_rows(since="2026-12-04T19:12:00+00:00", until="2026-12-04T19:14:00+00:00")) == [
        "chatcmpl-014", "chatcmpl-013"]
    assert ids(store.viewer_rows(text="job", tag="jobA")) == ["chatcmpl-007"]


def test_live_poll_sees_only_newer_rows(store_path: Path, samples: ModuleType) -> None:
    reader = Store(store_path, readonly=True)
    last = reader.last_seq()
    assert last == 15 and reader.viewer_rows(after_seq=last) == []
    writer = Store(store_path)
    writer.commit([RequestRecord("new-1", model="cheap", messages=[{"role": "user", "content": "fresh"}])])
    found = reader.viewer_rows(after_seq=last)
    assert ids(found) == ["new-1"] and found[0][0] == 16
    assert reader.viewer_rows(after_seq=last, text="stale") == []
    writer.close()
    reader.close()


def test_choices_for_the_filter_boxes(store: Store) -> None:
    assert store.models() == ["balanced", "broken", "cheap", "does-not-exist", "frontier"]
    assert store.tags() == ["batch", "jobA", "jobB", "vision", "weather"]


def test_limit_zero_is_all(store: Store) -> None:
    assert len(store.viewer_rows(limit=0)) == store.count() == 15
