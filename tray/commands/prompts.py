"""`litellm-tray prompts`: the last N requests, from a log file or from the store."""

from __future__ import annotations

import json
import sys
from typing import TextIO

from tray.config import Settings, master_key
from tray.logs.reader import PROMPTS_HIDDEN_HINT, LogReader, file_time_resolver, iter_whole_file
from tray.logs.tail import last_requests
from tray.model import RequestRecord
from tray.store import Store


def run_prompts(settings: Settings, *, limit: int, as_json: bool, from_log: bool,
                out: TextIO | None = None) -> int:
    out = out or sys.stdout
    if limit < 0:
        print("litellm-tray: --limit must be 0 (all) or more", file=sys.stderr)
        return 2
    secrets = [key for key in (master_key(settings),) if key]
    hint = None
    under_way: list[RequestRecord] = []
    if from_log:
        path = settings.log_path
        if not path.is_file():
            print(f"litellm-tray: no log file at {path}", file=sys.stderr)
            return 2
        if limit > 0:
            records, reader = last_requests(path, limit, secrets)
        elif as_json:   # every request: streamed, so memory does not grow with the file
            reader = LogReader(secrets, file_time_resolver(path))
            for record in iter_whole_file(path, secrets, settings.max_line_bytes, reader):
                out.write(_json_line(record))
            return 0
        else:
            reader = LogReader(secrets, file_time_resolver(path))
            records = list(iter_whole_file(path, secrets, settings.max_line_bytes, reader))
        if records and not reader.prompts_visible:
            hint = PROMPTS_HIDDEN_HINT
        if not as_json:      # the JSON holds finished requests only
            under_way = reader.under_way()
    else:
        if not settings.store_path.exists():
            print(f"litellm-tray: nothing stored yet ({settings.store_path}); "
                  "run the app, or pass --log PATH", file=sys.stderr)
            return 0
        store = Store(settings.store_path, readonly=True)
        records = store.recent(limit)
        store.close()
    if as_json:
        for record in records:
            out.write(_json_line(record))
    else:
        out.write(format_table(records) if records or not under_way else "")
        out.write(format_under_way(under_way))
        if hint:
            print(f"note: {hint}", file=sys.stderr)
    return 0


#: One encoder for every line: `json.dumps` with ensure_ascii=False builds a new one per call.
_ENCODER = json.JSONEncoder(ensure_ascii=False)


def _json_line(record: RequestRecord) -> str:
    """The DESIGN.md contract object, one line."""
    return _ENCODER.encode(record.to_json()) + "\n"


def _cell(text: str | None, width: int) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= width else text[: width - 1] + "…"


#: Requests under way listed below the table at most (the newest; the rest are counted).
UNDER_WAY_SHOWN = 10


def format_table(records: list[RequestRecord]) -> str:
    """A readable table: one line per request, newest last, like `tail`."""
    if not records:
        return "no requests\n"
    lines = [f"{'TIME':8}  {'MODEL':14}  {'STATUS':6}  {'TOKENS':>6}  {'COST':>9}  PROMPT"]
    for r in records:
        status = "ok" if r.status == "ok" else str(r.status_code or "error")
        if r.status == "ok" and r.status_code not in (None, 200):
            status = str(r.status_code)
        tokens = "" if r.total_tokens is None else f"{r.total_tokens}"
        cost = "" if r.cost is None else f"${r.cost:.6f}".rstrip("0").rstrip(".")
        prompt = r.last_user_text or (r.error or "")
        lines.append(_row(r, status, tokens, cost, prompt))
    return "\n".join(lines) + "\n"


def format_under_way(requests: list[RequestRecord]) -> str:
    """The requests begun whose outcome is not in the log yet, below the table (the JSON
    output holds only requests with an outcome: its status is ok or error)."""
    if not requests:
        return ""
    count = len(requests)
    title = f"{count} request{'s' if count != 1 else ''} under way (no outcome in the log yet)"
    shown = requests[-UNDER_WAY_SHOWN:]
    if len(shown) < count:
        title += f", the last {len(shown)}"
    return "\n".join([title + ":"] + [_row(r, "...", "", "", r.last_user_text) for r in shown]) + "\n"


def _row(r: RequestRecord, status: str, tokens: str, cost: str, prompt: str) -> str:
    clock = r.time[11:19] if r.time and len(r.time) >= 19 else "--:--:--"
    return f"{clock:8}  {_cell(r.model or '-', 14):14}  {status:6}  {tokens:>6}  {cost:>9}  {_cell(prompt, 60)}"
