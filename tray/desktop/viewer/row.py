"""One line of the viewer's list: a light record (no bodies), its preview and its store seq."""

from __future__ import annotations

from dataclasses import dataclass

from tray.model import RequestRecord


@dataclass(frozen=True)
class Row:
    """`seq` orders arrivals and drives live polling; `preview` is the last user message's first line."""

    seq: int
    preview: str
    record: RequestRecord

    @property
    def id(self) -> str:
        return self.record.id

    @property
    def failed(self) -> bool:
        return self.record.status != "ok"
