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
from typing import Callable, Iterable

from tray.logs.anchored import Anchored
from tray.logs.bodies import TEXT_KEYS, message_hint, stored_messages, text_key
from tray.logs.events import (
    CALL_ID_MARKER, MARKERS, RAW_RESPONSE, REQUEST_MARKER, REQUEST_RECEIVED, Event, Located,
    Start, events_from_message, is_llm_path, raw_response, response_from_json, starts_proxy,
)

_ANSI = Anchored("\x1b", r"\[[0-9;]*[A-Za-z]")
_TEXT_HEADER = re.compile(
    r"^(?P<time>\d\d:\d\d:\d\d)(?:[.,]\d+)? - [^:]{1,60}:\s*(?P<level>[A-Z]+)\s*: "
    r"(?:[\w.<>-]+:\d+ - )?(?P<message>.*)$", re.S
)
_GUIDE_REQUEST = re.compile(r"^(?:\S+ )?(?P<method>POST|GET|PUT|DELETE) (?P<path>/\S+)\s*$")
#: The guide format's request body; its other lines are looked for once a body was seen.
_GUIDE_BODY = b"Body: {"
_GUIDE_REQUEST_LINE = b"\nPOST /"
_GUIDE_MARKERS = (_GUIDE_BODY, b"Response: {", _GUIDE_REQUEST_LINE)
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


@dataclass(frozen=True)
class FixedClock:
    """A reference time that does not move (a finished file's mtime); picklable, unlike a
    lambda, so worker processes resolve times exactly as the reader does."""

    moment: datetime

    def __call__(self) -> datetime:
        return self.moment


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
    return _without_colour(raw.decode("utf-8", errors="replace")).rstrip("\r")


def _without_colour(text: str) -> str:
    """`text` without ANSI colour codes. LiteLLM closes a colour at the end of a line that may
    run to 80 KB: each code is found from its ESC (see tray.logs.anchored)."""
    if "\x1b" not in text:
        return text
    kept: list[str] = []
    done = 0
    for code in _ANSI.finditer(text):
        kept.append(text[done:code.start()])
        done = code.end()
    kept.append(text[done:])
    return "".join(kept)


@dataclass(frozen=True)
class ScanState:
    """The scanner's memory between chunks: an open block, a guide request line waiting for
    its body, and whether the guide format was seen (which widens the markers looked for)."""

    block: dict | None = None
    guide_start: tuple[int, str | None] | None = None
    guide_seen: bool = False

    @property
    def fresh(self) -> bool:
        """A new scanner starting here would read exactly as this one does."""
        return self.block is None and self.guide_start is None and not self.guide_seen


class LineScanner:
    """Stateful: a request body or a guide block may continue in the next chunk.

    `secrets` (the master key) are redacted from request messages here, where bodies are parsed.
    """

    def __init__(self, times: TimeResolver | None = None, secrets: Iterable[str] = ()) -> None:
        self.times = times or TimeResolver()
        self.secrets = tuple(s for s in secrets if s)
        self.stats = FormatStats()
        self._block: dict | None = None                            # a guide block in progress
        self._guide_start: tuple[int, str | None] | None = None

    @property
    def state(self) -> ScanState:
        """What the scanner carries from one chunk to the next (see tray.logs.parallel)."""
        return ScanState(self._block, self._guide_start, "guide" in self.stats.lines)

    def carry_on(self, state: ScanState, stats: dict[str, int]) -> None:
        """Continue as if this scanner had read what left `state` and saw `stats` more lines."""
        self._block, self._guide_start = state.block, state.guide_start
        for name, count in stats.items():
            self.stats.lines[name] = self.stats.lines.get(name, 0) + count

    @property
    def carry_offset(self) -> int | None:
        """Offset of a request whose lines are still being collected, if any."""
        if self._block is not None:
            return self._block["offset"]
        return None

    # -- chunk level -------------------------------------------------------------------------
    def scan(self, data: bytes, base: int) -> list[Located]:
        """Events in `data` (complete lines starting at file offset `base`), in file order."""
        out: list[Located] = []
        pos = 0
        if self._block is not None:
            pos = self._collect_block(data, 0, base, out)
        for start, end in self._interesting_lines(data, pos):
            if start < pos:
                continue            # inside a block already consumed line by line
            self._line(data, start, end, base, out)
            pos = end + 1
            if self._block is not None:
                pos = self._collect_block(data, pos, base, out)
        return out

    def _interesting_lines(self, data: bytes, pos: int) -> list[tuple[int, int]]:
        """(start, end) of every line holding a marker, in file order.

        Markers are looked for from the end backwards: on CPython 3.10-3.13 `bytes.rfind` goes
        through log text 2-3x as fast as `find` (see "Log parsing" in bench/README.md). A line
        is taken once whatever it holds, and a request body's line is read with the line
        announcing it whatever it holds: so once the requests and the lines naming a call id
        are found, the other markers are looked for only around the long lines among them
        (10-80 KB kwargs dumps, bodies with a whole conversation: half of a verbose log)."""
        lines: dict[int, int] = {}
        bodies: dict[int, int] = {}
        guide_seen = "guide" in self.stats.lines or data.rfind(_GUIDE_BODY, pos) >= 0
        size = len(data)
        spans = [(pos, size)]
        for marker in _FIRST_MARKERS + _LATER_MARKERS + (_GUIDE_MARKERS if guide_seen else ()):
            for low, high in spans:
                _find_lines(data, marker, low, high, lines)
            if marker is REQUEST_MARKER:
                bodies = _long_bodies(data, lines)
            if marker in _FIRST_MARKERS:
                spans = _around({**lines, **bodies}, pos, size)
        return sorted(lines.items())

    # -- line level --------------------------------------------------------------------------
    def _line(self, data: bytes, start: int, end: int, base: int, out: list[Located]) -> None:
        raw = data[start:end]
        offset = base + start
        if raw.startswith(b'{"'):
            self._json_line(raw, offset, out)
            return
        text = _decode(raw)
        header = _TEXT_HEADER.match(text)
        if header is not None:
            self.stats.saw("debug")
            time = self.times.resolve(header["time"])
            message = header["message"]
            for kind, title in (("Body", REQUEST_RECEIVED), ("Raw", RAW_RESPONSE)):
                if _announces(message, title):
                    # the JSON follows on the next line(s): one line, or indented (a raw
                    # response's line is read only with JSON after it: _raw_json_follows)
                    self._block = {"kind": kind, "offset": offset, "time": time, "parts": [], "size": 0,
                                   "source": "debug"}
                    return
            self._emit(events_from_message(message), offset, time, "debug", out)
            return
        if text.startswith(("INFO:", "WARNING:", "ERROR:")) and (" HTTP/" in text or starts_proxy(text)):
            self.stats.saw("plain")
            self._emit(events_from_message(text), offset, None, "plain", out)   # no time on them
            return
        self._guide_line(text, offset, out)

    def _json_line(self, raw: bytes, offset: int, out: list[Located]) -> None:
        try:
            record = json.loads(raw)
        except ValueError:
            return
        if not isinstance(record, dict) or not isinstance(record.get("message"), str):
            return
        self.stats.saw("json")
        time = _iso_from_json(record.get("timestamp"))
        self._emit(events_from_message(_without_colour(record["message"])), offset, time, "json", out)

    def _emit(self, events: list[Event], offset: int, time: str | None, source: str,
              out: list[Located]) -> None:
        for event in events:
            if type(event) is Start:
                self._prepare(event)
            out.append(Located(event, offset, time, source))

    def _prepare(self, start: Start) -> None:
        """Redact the messages and take the hint once, here (see tray.logs.bodies)."""
        start.messages = stored_messages(start.body, self.secrets)
        start.hint = message_hint(start.body)
        start.text_key = text_key(start.body)
        for key in ("messages", *TEXT_KEYS):
            start.body.pop(key, None)

    # -- the user guide's format ---------------------------------------------------------------
    def _guide_line(self, text: str, offset: int, out: list[Located]) -> None:
        request_line = _GUIDE_REQUEST.match(text)
        if request_line is not None:
            if is_llm_path(request_line["path"]):
                self._guide_start = (offset, None)
            return
        for kind in ("Body", "Response"):
            if text.startswith(f"{kind}: {{"):
                self.stats.saw("guide")
                self._block = {"kind": kind, "offset": offset, "time": None, "source": "guide",
                               "parts": [text[len(kind) + 2:]], "size": len(text)}
                self._try_finish_block(out)
                return

    def _collect_block(self, data: bytes, pos: int, base: int, out: list[Located]) -> int:
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
            if line.startswith("}") or (first and (line.endswith("}") or line.rstrip().endswith("}"))) \
                    or self._block["size"] > BLOCK_LIMIT:
                self._try_finish_block(out)
        return pos

    def _try_finish_block(self, out: list[Located]) -> None:
        block = self._block
        assert block is not None
        try:
            parts = block["parts"]
            value = json.loads(parts[0] if len(parts) == 1 else "\n".join(parts))
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
            self._emit([Start(value)], offset, block["time"], block["source"], out)
        elif block["kind"] == "Raw":
            response = raw_response(value)
            if response is not None:
                out.append(Located(response, block["offset"], block["time"], block["source"]))
        else:
            response = response_from_json(value)
            response.finishes = True
            out.append(Located(response, block["offset"], None, block["source"]))


_RAW_MARKER = RAW_RESPONSE.encode()


def _raw_json_follows(data: bytes, at: int) -> bool:
    """Whether JSON follows "RAW RESPONSE:" at `at` (on the next line, or after an escaped
    newline in a JSON log line): what `mock_response` and streams log there is no answer."""
    follows = data[at + len(_RAW_MARKER):at + len(_RAW_MARKER) + 3]
    return follows.startswith((b"\n{", b"\r\n{", b"\\n{")) or len(follows) < 3


def _names_a_call_id(data: bytes, start: int, last: int) -> bool:
    """False when every `litellm_call_id` in the line from `start` (the last one at `last`) is
    only a name in a list of keys (`'litellm_call_id', ...`: LiteLLM 1.110's prometheus lines),
    which no event comes from."""
    width = len(CALL_ID_MARKER)
    at = last
    while at >= 0:
        if data[at + width + 1: at + width + 2] not in (b",", b"]") \
                or data[at + width: at + width + 1] not in (b"'", b'"'):
            return True
        at = data.rfind(CALL_ID_MARKER, start, at)
    return False


#: The markers looked for through the whole chunk; the others are looked for around the long
#: lines these found (see LineScanner._interesting_lines).
_FIRST_MARKERS = (REQUEST_MARKER, CALL_ID_MARKER)
_LATER_MARKERS = tuple(marker for marker in MARKERS if marker not in _FIRST_MARKERS)
#: A line found this long is left out of the later markers' passes: below it, one more `rfind`
#: call (a span) costs more than going through the line does.
_SKIPPED_LINE = 2048


#: How a debug line announcing a request body on the next line ends (see _announces).
_REQUEST_LINE_ENDS = (b"LiteLLM:", b"LiteLLM:\r", b"LiteLLM: ", b"LiteLLM: \r")


def _announces(message: str, title: str) -> bool:
    """Whether a debug line's message is `title` alone: its JSON follows on the next line(s)."""
    return message.startswith(title) and not message[len(title):].strip()


def _find_lines(data: bytes, marker: bytes, low: int, high: int, lines: dict[int, int]) -> None:
    """Add to `lines` (start: end) each line of `data[low:high]` holding `marker` (`low` and
    `high` are line bounds)."""
    size = len(data)
    at = data.rfind(marker, low, high)
    while at >= 0:
        end = data.find(b"\n", at + len(marker))
        end = size if end < 0 else end
        if marker == _GUIDE_REQUEST_LINE:     # begins with the newline before its line
            lines[at + 1] = end
            at = data.rfind(marker, low, at)
            continue
        start = max(data.rfind(b"\n", low, at) + 1, low)
        if (marker != CALL_ID_MARKER or _names_a_call_id(data, start, at)) \
                and (marker != _RAW_MARKER or _raw_json_follows(data, at)):
            lines[start] = end
        at = data.rfind(marker, low, start)


def _long_bodies(data: bytes, announcing: dict[int, int]) -> dict[int, int]:
    """(start: end) of the long request bodies on the line after a line in `announcing`
    that announces one (see _announces): `_collect_block` takes that line, whatever it
    holds, so no marker in it is read."""
    bodies: dict[int, int] = {}
    size = len(data)
    for start, end in announcing.items():
        body = end + 1
        if data[body:body + 1] != b"{" or data.startswith(b'{"message"', body) \
                or not data.endswith(_REQUEST_LINE_ENDS, start, end):
            continue
        body_end = data.find(b"\n", body)
        body_end = size if body_end < 0 else body_end
        if body_end - body >= _SKIPPED_LINE and not data.startswith(b'{"', start):
            header = _TEXT_HEADER.match(_decode(data[start:end]))
            if header is not None and _announces(header["message"], REQUEST_RECEIVED):
                bodies[body] = body_end
    return bodies


def _around(lines: dict[int, int], pos: int, size: int) -> list[tuple[int, int]]:
    """The spans of `data[pos:size]` outside the lines in `lines` at least _SKIPPED_LINE long.
    A span begins at a line's newline, so a marker beginning with one is still found."""
    spans: list[tuple[int, int]] = []
    low = pos
    for start, end in sorted(lines.items()):
        if end - start >= _SKIPPED_LINE:
            if start > low:
                spans.append((low, start))
            low = end
    if low < size:
        spans.append((low, size))
    return spans
