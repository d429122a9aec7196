"""The rows the list holds: the newest N that match, merged as new requests arrive, sorted.

Kept apart from Tk so that live merging, the limit and the sort order are tested directly.
"""

from __future__ import annotations

from typing import Iterable

from tray.desktop.viewer.columns import COLUMN_KEYS, column
from tray.desktop.viewer.row import Row

DEFAULT_LIMIT = 200
#: Columns whose first click sorts largest/newest first; the rest sort A to Z first.
_DESCENDING_FIRST = ("time", "status", "tokens", "cost", "latency")


class Listing:
    """Newest-first by default; `limit` 0 keeps every matching row."""

    def __init__(self, limit: int = DEFAULT_LIMIT, sort: str = "time", descending: bool = True):
        self.limit = max(0, limit)
        self.sort = sort
        self.descending = descending
        self._rows: dict[str, Row] = {}

    def __len__(self) -> int:
        return len(self._rows)

    def replace(self, rows: Iterable[Row]) -> None:
        """Hold exactly `rows` (a fresh query's result), trimmed to the limit."""
        self._rows = {row.id: row for row in rows}
        self._trim()

    def merge(self, rows: Iterable[Row]) -> list[Row]:
        """Add rows from a live poll; returns the ones not held before that survived the limit."""
        rows = list(rows)
        added = [row for row in rows if row.id not in self._rows]
        for row in rows:
            self._rows[row.id] = row
        self._trim()
        return [row for row in added if row.id in self._rows]

    def sort_by(self, key: str) -> None:
        """A click on a column heading: the same column flips direction, another starts fresh."""
        if key not in COLUMN_KEYS:
            raise KeyError(key)
        if key == self.sort:
            self.descending = not self.descending
        else:
            self.sort, self.descending = key, key in _DESCENDING_FIRST

    def rows(self) -> list[Row]:
        """The held rows in display order; rows without a value for the sort column go last."""
        sort_key = column(self.sort).sort_key
        by_arrival = sorted(self._rows.values(), key=lambda row: row.seq, reverse=True)
        present = [row for row in by_arrival if sort_key(row) is not None]
        missing = [row for row in by_arrival if sort_key(row) is None]
        present.sort(key=sort_key, reverse=self.descending)  # stable: ties stay newest first
        return present + missing

    def get(self, request_id: str) -> Row | None:
        return self._rows.get(request_id)

    def _trim(self) -> None:
        if self.limit and len(self._rows) > self.limit:
            newest = sorted(self._rows.values(), key=lambda row: row.seq, reverse=True)
            self._rows = {row.id: row for row in newest[: self.limit]}
