"""The list's rows: newest N, merged live without duplicates, sorted by any column."""

from __future__ import annotations

import pytest

from tray.desktop.viewer.listing import Listing
from tray.desktop.viewer.row import Row
from tray.model import RequestRecord


def row(seq: int, **fields: object) -> Row:
    return Row(seq, f"prompt {seq}", RequestRecord(f"r{seq}", **fields))  # type: ignore[arg-type]


def ids(listing: Listing) -> list[str]:
    return [r.id for r in listing.rows()]


def test_newest_first_and_trimmed_to_limit() -> None:
    listing = Listing(limit=3)
    listing.replace(row(n, time=f"2026-12-04T19:0{n}:00+00:00") for n in range(1, 6))
    assert ids(listing) == ["r5", "r4", "r3"]


def test_merge_adds_new_rows_once_and_keeps_the_limit() -> None:
    listing = Listing(limit=3)
    listing.replace([row(1, time="t1"), row(2, time="t2")])
    added = listing.merge([row(3, time="t3"), row(2, time="t2")])  # r2 again: a racing poll
    assert [r.id for r in added] == ["r3"]
    added = listing.merge([row(4, time="t4")])
    assert [r.id for r in added] == ["r4"] and ids(listing) == ["r4", "r3", "r2"]


def test_limit_zero_keeps_everything() -> None:
    listing = Listing(limit=0)
    listing.replace(row(n, time=str(n)) for n in range(1, 501))
    assert len(listing) == 500


def test_sort_by_column_toggles_and_puts_missing_values_last() -> None:
    listing = Listing()
    listing.replace([row(1, cost=0.5), row(2, cost=None), row(3, cost=0.1), row(4, cost=0.9)])
    listing.sort_by("cost")
    assert (listing.sort, listing.descending) == ("cost", True)
    assert ids(listing) == ["r4", "r1", "r3", "r2"]
    listing.sort_by("cost")
    assert ids(listing) == ["r3", "r1", "r4", "r2"]


def test_text_columns_sort_a_to_z_first_and_ties_stay_newest_first() -> None:
    listing = Listing()
    listing.replace([row(1, model="b"), row(2, model="a"), row(3, model="b")])
    listing.sort_by("model")
    assert ids(listing) == ["r2", "r3", "r1"]


def test_status_sort_groups_failures() -> None:
    listing = Listing()
    listing.replace([row(1), row(2, status="error", status_code=500), row(3),
                     row(4, status="error", status_code=429)])
    listing.sort_by("status")
    assert ids(listing)[:2] == ["r2", "r4"]


def test_unknown_column() -> None:
    with pytest.raises(KeyError):
        Listing().sort_by("nope")
