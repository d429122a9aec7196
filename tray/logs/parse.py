"""Turn chunks of a LiteLLM log into located events, fast, whatever the format.

A debug log is ~99 % lines that say nothing about requests. Instead of looking at every line,
the scanner asks `bytes.find` (a C loop) for a handful of marker substrings and decodes only the
lines that hold one. Formats are recognised per line, so mixed files work:
`--detailed_debug` text, `JSON_LOGS=True` JSON lines, plain uvicorn access lines, and the
"Log Format" of LiteLLM's user guide (multi-line `Body: {...}` / `Response: {...}` blocks).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Callable, Iterator

from tray.logs.events import (
    MARKERS, REQUEST_RECEIVED, Located, Start, events_from_message, is_llm_path,
    response_from_json,
)

_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
_TEXT_HEADER = re.compile(
    r"^(?P<time>\d\d:\d\d:\d\d)(?:[.,]\d+)? - [^:]{1,60}:\s*(?P<level>[A-Z]+)\s*: "
    r"(?:[\w.<>-]+:\d+ - )?(?P<message>.*)$", re.S
)
_GUIDE_REQUEST = re.compile(r"^(?:\S+ )?(?P<method>POST|GET|PUT|DELETE) (?P<path>/\S+)\s*$")
#: The guide format's request body; its other lines are looked for once a body was seen.
_GUIDE_BODY = b"Body: {"
_GUIDE_MORE = (b"Response: {", b"\nPOST /")
#: A multi-line block (the guide's JSON bodies) larger than this is abandoned.
BLOCK_LIMIT = 16 * 1024 * 1024


@dataclass
class FormatStats:
    """Which formats a file holds, by the lines that mattered; `prompts_visible` follows."""

    lines: dict[str, int] = field(default_factory=dict)

    def saw(self, name: str) -> None:
        self.lines[name] = self.lines.get(name, 0) + 1

    @property
    def formats(self) -> list[str]:
        return sorted(self.lines)


def local_now() -> datetime:
    return datetime.now(timezone.utc).astimezone()


class TimeResolver:
    """Debug lines carry only HH:MM:SS. The date comes from a reference time (the file's mtime,
    or now while following): the latest moment at or before the reference with that clock time."""

    def __init__(self, reference: Callable[[], datetime] = local_now) -> None:
        self.reference = reference
        self._last: tuple[str, str] = ("", "")

    def resolve(self, clock: str) -> str:
        """Lines come in bursts within one second: the last answer is reused for 1 s."""
        last_clock, last_iso = self._last
        if clock == last_clock:
            return last_iso
        iso = self._resolve(clock)
        self._last = (clock, iso)
        return iso

    def _resolve(self, clock: str) -> str:
        ref = self.reference()
        hour, minute, second = (int(x) for x in clock.split(":"))
        moment = ref.replace(hour=hour, minute=minute, second=second, microsecond=0)
        if moment > ref + timedelta(minutes=5):
            moment -= timedelta(days=1)
        return moment.isoformat()


def _iso_from_json(stamp: object) -> str | None:
    if not isinstance(stamp, str):
        return None
    try:
        moment = datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.astimezone()   # LiteLLM writes local time without an offset
    return moment.isoformat()


def _decode(raw: bytes) -> str:
    text = raw.decode("utf-8", errors="replace")
    if "\x1b" in text:
        text = _ANSI.sub("", text)
    return text.rstrip("\r")


class LineScanner:
    """Stateful: a request body or a guide block may continue in the next chunk."""

    def __init__(self, times: TimeResolver | None = None) -> None:
        self.times = times or TimeResolver()
        self.stats = FormatStats()
        self._block: dict | None = None                            # a guide block in progress
        self._guide_start: tuple[int, str | None] | None = None

    @property
    def carry_offset(self) -> int | None:
        """Offset of a request whose lines are still being collected, if any."""
        if self._block is not None:
            return self._block["offset"]
        return None

    # -- chunk level -------------------------------------------------------------------------
    def scan(self, data: bytes, base: int) -> Iterator[Located]:
        """Events in `data` (complete lines starting at file offset `base`), in file order."""
        pos = 0
        if self._block is not None:
            pos = yield from self._collect_block(data, 0, base)
        for start in self._interesting_lines(data, pos):
            if start < pos:
                continue            # inside a block already consumed line by line
            end = data.find(b"\n", start)
            end = len(data) if end < 0 else end
            yield from self._line(data, start, end, base)
            pos = end + 1
            if self._block is not None:
                pos = yield from self._collect_block(data, pos, base)

    def _interesting_lines(self, data: bytes, pos: int) -> list[int]:
        starts: set[int] = set()
        guide = (_GUIDE_BODY, *_GUIDE_MORE) if "guide" in self.stats.lines or _GUIDE_BODY in data \
            else ()
        for marker in MARKERS + guide:
            at = data.find(marker, pos)
            while at >= 0:
                line_start = data.rfind(b"\n", pos, at) + 1 if at > pos else pos
                if marker == b"\nPOST /":
                    line_start = at + 1
                starts.add(max(line_start, pos))
                nl = data.find(b"\n", at + len(marker))
                if nl < 0:
                    break
                at = data.find(marker, nl + 1)
        return sorted(starts)

    # -- line level --------------------------------------------------------------------------
    def _line(self, data: bytes, start: int, end: int, base: int) -> Iterator[Located]:
        raw = data[start:end]
        offset = base + start
        if raw[:2] == b'{"':
            yield from self._json_line(raw, offset)
            return
        text = _decode(raw)
        header = _TEXT_HEADER.match(text)
        if header is not None:
            self.stats.saw("debug")
            time = self.times.resolve(header["time"])
            message = header["message"]
            if message.rstrip() == REQUEST_RECEIVED:
                # the body follows on the next line(s): one JSON line, or indented JSON
                self._block = {"kind": "Body", "offset": offset, "time": time, "parts": [], "size": 0}
                return
            for event in events_from_message(message):
                yield Located(event, offset, time)
            return
        if text.startswith(("INFO:", "WARNING:", "ERROR:")) and " HTTP/" in text:
            self.stats.saw("plain")
            for event in events_from_message(text):
                yield Located(event, offset, None)   # uvicorn access lines carry no time
            return
        yield from self._guide_line(text, offset)

    def _json_line(self, raw: bytes, offset: int) -> Iterator[Located]:
        try:
            record = json.loads(raw)
        except ValueError:
            return
        if not isinstance(record, dict) or not isinstance(record.get("message"), str):
            return
        self.stats.saw("json")
        time = _iso_from_json(record.get("timestamp"))
        message = _ANSI.sub("", record["message"]) if "\x1b" in record["message"] else record["message"]
        for event in events_from_message(message):
            yield Located(event, offset, time)

    # -- the user guide's format ---------------------------------------------------------------
    def _guide_line(self, text: str, offset: int) -> Iterator[Located]:
        request_line = _GUIDE_REQUEST.match(text)
        if request_line is not None:
            if is_llm_path(request_line["path"]):
                self._guide_start = (offset, None)
            return
        for kind in ("Body", "Response"):
            if text.startswith(f"{kind}: {{"):
                self.stats.saw("guide")
                self._block = {"kind": kind, "offset": offset, "time": None,
                               "parts": [text[len(kind) + 2:]], "size": len(text)}
                yield from self._try_finish_block()
                return

    def _collect_block(self, data: bytes, pos: int, base: int) -> Iterator[Located]:
        """Append following lines to the open block until its JSON is complete."""
        while self._block is not None and pos < len(data):
            end = data.find(b"\n", pos)
            end = len(data) if end < 0 else end
            line = _decode(data[pos:end])
            if _TEXT_HEADER.match(line) or line.startswith(("INFO:", '{"message"')):
                self._block = None          # a new log line: the body never completed
                return pos
            self._block["parts"].append(line)
            self._block["size"] += len(line)
            pos = end + 1
            first = len(self._block["parts"]) == 1
            if line.startswith("}") or (first and line.rstrip().endswith("}")) \
                    or self._block["size"] > BLOCK_LIMIT:
                yield from self._try_finish_block()
        return pos

    def _try_finish_block(self) -> Iterator[Located]:
        block = self._block
        assert block is not None
        try:
            value = json.loads("\n".join(block["parts"]))
        except ValueError:
            if block["size"] > BLOCK_LIMIT:
                self._block = None
            return
        self._block = None
        if not isinstance(value, dict):
            return
        if block["kind"] == "Body":
            offset = self._guide_start[0] if self._guide_start else block["offset"]
            self._guide_start = None
            yield Located(Start(value), offset, block["time"])
        else:
            response = response_from_json(value)
            response.finishes = True
            yield Located(response, block["offset"], None)

