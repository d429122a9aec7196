"""Export the viewer's filtered list as JSON Lines or CSV, into files only the owner can read.

JSON Lines is exactly `RequestRecord.to_json()` per line (the `prompts --json` contract), so an
export can be read back by anything that reads that. Exports hold prompts: mode 0600, written
to a private temporary file and renamed, so no other user ever sees a partial or open file.
"""

from __future__ import annotations

import csv
import io
import json
import os
import tempfile
from pathlib import Path
from typing import Any, Iterable

from tray.desktop.viewer.shown import redacted
from tray.model import RECORD_KEYS, RequestRecord

FORMATS = ("jsonl", "csv")
#: A cell starting with one of these is a formula to a spreadsheet; it is written with a leading '.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def format_for(path: Path) -> str:
    """'csv' for a .csv file, otherwise 'jsonl'."""
    return "csv" if path.suffix.lower() == ".csv" else "jsonl"


def jsonl_text(records: Iterable[RequestRecord]) -> str:
    return "".join(
        json.dumps(redacted(record).to_json(), ensure_ascii=False) + "\n" for record in records
    )


def csv_text(records: Iterable[RequestRecord]) -> str:
    """One row per record, the JSON keys as the header; lists as JSON, booleans as true/false."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(RECORD_KEYS)
    for record in records:
        data = redacted(record).to_json()
        writer.writerow([_csv_cell(data[key]) for key in RECORD_KEYS])
    return out.getvalue()


def _csv_cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, dict)):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, str) and value.startswith(_FORMULA_STARTS):
        return "'" + value
    return value


def export(path: Path, records: Iterable[RequestRecord], fmt: str | None = None) -> int:
    """Write `records` to `path` (format from `fmt` or the suffix); returns how many."""
    records = list(records)
    fmt = fmt or format_for(path)
    if fmt not in FORMATS:
        raise ValueError(f"unknown export format {fmt!r}; use one of {', '.join(FORMATS)}")
    text = csv_text(records) if fmt == "csv" else jsonl_text(records)
    write_private(path, text)
    return len(records)


def write_private(path: Path, text: str) -> None:
    """Replace `path` with `text`, mode 0600 from the first byte (mkstemp creates it so)."""
    path = Path(path)
    fd, temp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            handle.write(text)
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
