"""The viewer's read-only window on the store.

The viewer may open before the app has ever written a store (or while `--log` is being read
into it), so the store is opened on first use once its file exists, and never written.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Iterable

from tray.desktop.viewer.row import Row
from tray.model import RequestRecord
from tray.store import Store


class ViewerSource:
    """Queries the list and the detail need, over a read-only `Store`."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self._store: Store | None = None

    @property
    def ready(self) -> bool:
        """Whether the store exists and is open (opening it if it has appeared)."""
        return self._open() is not None

    def _open(self) -> Store | None:
        if self._store is None and self.path.exists():
            self._store = Store(self.path, readonly=True)
        return self._store

    def rows(self, query: dict[str, Any], limit: int, after_seq: int = 0) -> tuple[list[Row], int]:
        """Matching rows newest first, and the store's last seq before they were read.

        The next live poll passes that seq as `after_seq`; a row written between the two reads
        comes back twice, which the listing absorbs (it keys rows by id).
        """
        store = self._open()
        if store is None:
            return [], after_seq
        last = store.last_seq()
        found = store.viewer_rows(**query, after_seq=after_seq, limit=limit)
        return [Row(seq, preview, record) for seq, preview, record in found], max(last, after_seq)

    def record(self, request_id: str) -> RequestRecord | None:
        store = self._open()
        return store.get(request_id) if store else None

    def records(self, request_ids: Iterable[str]) -> list[RequestRecord]:
        """Full records in the given order; rows removed by retention meanwhile are left out."""
        found = (self.record(request_id) for request_id in request_ids)
        return [record for record in found if record is not None]

    def count(self) -> int:
        store = self._open()
        return store.count() if store else 0

    def models(self) -> list[str]:
        store = self._open()
        return store.models() if store else []

    def tags(self) -> list[str]:
        store = self._open()
        return store.tags() if store else []

    def close(self) -> None:
        if self._store is not None:
            self._store.close()
            self._store = None
