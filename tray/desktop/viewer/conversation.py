"""The detail of one request as text blocks: the conversation, the response, the error, metadata.

Messages come in OpenAI's shapes (string content, content parts, tool calls, tool results); this
turns each into readable text once, so the Tk pane only inserts blocks with a colour per kind.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from tray.desktop.viewer.columns import format_cost, format_latency, format_time
from tray.desktop.viewer.shown import mask, redacted, shown
from tray.model import RequestRecord

_TRACEBACK = "Traceback (most recent call last):"
_FRAME = re.compile(r'^\s*File "')


@dataclass(frozen=True)
class Block:
    """One titled piece of the conversation. `index` is the message's position, if a message."""

    kind: str
    title: str
    text: str
    index: int | None = None


def message_text(message: dict[str, Any]) -> str:
    """A message's content as a person reads it, tool calls included."""
    parts: list[str] = []
    content = message.get("content")
    if isinstance(content, str):
        parts.append(content)
    elif isinstance(content, list):
        parts.extend(_part_text(part) for part in content)
    elif content is not None:
        parts.append(json.dumps(content, ensure_ascii=False))
    for call in message.get("tool_calls") or []:
        function = call.get("function") or {}
        parts.append(f"→ {function.get('name', '?')}({function.get('arguments', '')})"
                     + (f"  [{call['id']}]" if call.get("id") else ""))
    if message.get("function_call"):
        function = message["function_call"]
        parts.append(f"→ {function.get('name', '?')}({function.get('arguments', '')})")
    return "\n".join(part for part in parts if part)


def _part_text(part: Any) -> str:
    if not isinstance(part, dict):
        return str(part)
    kind = part.get("type")
    if kind == "text":
        return str(part.get("text", ""))
    if kind == "image_url":
        url = str((part.get("image_url") or {}).get("url", ""))
        return "[image]" if url.startswith("data:") or not url else f"[image: {url}]"
    if kind in ("input_audio", "file"):
        return f"[{kind}]"
    return json.dumps(part, ensure_ascii=False)


def message_title(message: dict[str, Any]) -> str:
    role = str(message.get("role") or "message")
    extra = message.get("name") or message.get("tool_call_id")
    return f"{role} · {extra}" if extra else role


def useful_error(error: str, frames: int = 3) -> str:
    """The part of an error a person acts on: the message first, then the frames nearest the raise.

    LiteLLM errors often carry whole (chained) tracebacks; the cause is in the exception line
    and the last frames. The full text stays in the raw JSON view.
    """
    text = error.strip()
    if _TRACEBACK not in text:
        return text
    before, _, _ = text.partition(_TRACEBACK)
    last = text.rsplit(_TRACEBACK, 1)[1]
    stack, exception = _split_traceback(last.splitlines())
    chained = text.count(_TRACEBACK) - 1
    lines = [before.strip()] if before.strip() else []
    if exception and exception not in before:
        lines.append(exception)
    if stack:
        kept = stack[-frames:]
        note = f"last {len(kept)} of {len(stack)} frames"
        if chained:
            note += f", {chained} earlier chained traceback(s) left out"
        lines += ["", f"Traceback ({note}; the raw JSON view has it all):"]
        lines.extend(line for frame in kept for line in frame)
    return "\n".join(lines).strip()


def _split_traceback(lines: list[str]) -> tuple[list[list[str]], str]:
    """(frames, each a list of lines; the exception text after the last frame)."""
    stack: list[list[str]] = []
    tail: list[str] = []
    for line in lines:
        if _FRAME.match(line):
            stack.append([line.rstrip()])
        elif stack and not tail and line[:1].isspace():
            stack[-1].append(line.rstrip())
        elif line.strip() or tail:
            tail.append(line.rstrip())
    return stack, "\n".join(tail).strip()


def blocks(record: RequestRecord, hidden: bool = False) -> list[Block]:
    """The conversation, then the response, then the error: what the detail pane shows."""
    result = [
        Block(str(message.get("role") or "message"), message_title(message),
              shown(message_text(message), hidden), index)
        for index, message in enumerate(record.messages)
    ]
    if record.response is not None:
        title = "response (streamed)" if record.stream else "response"
        result.append(Block("response", title, shown(record.response, hidden)))
    if record.status != "ok" or record.error:
        title = f"error {record.status_code}" if record.status_code else "error"
        result.append(Block("error", title, shown(useful_error(record.error or "(no message)"), hidden)))
    return result


def metadata(record: RequestRecord) -> list[tuple[str, str]]:
    """Label/value lines for the metadata tab."""
    tokens = " / ".join(
        "" if value is None else f"{value:,}"
        for value in (record.prompt_tokens, record.completion_tokens, record.total_tokens)
    )
    return [
        ("id", record.id),
        ("time", f"{format_time(record.time)}   ({record.time or 'unknown'})"),
        ("model", record.model or ""),
        ("status", record.status + (f" {record.status_code}" if record.status_code else "")),
        ("tokens in / out / total", tokens),
        ("cost", format_cost(record.cost)),
        ("latency", format_latency(record.latency_ms)),
        ("stream", "yes" if record.stream else "no"),
        ("endpoint", record.endpoint or "not in the log"),
        ("tags", ", ".join(record.tags)),
        ("log format", record.source),
        ("messages", str(len(record.messages))),
    ]


def raw_json(record: RequestRecord, hidden: bool = False) -> str:
    """The request as `prompts --json` prints it (indented), redacted, masked when hidden."""
    if not hidden:
        return request_json(record)
    data = redacted(record).to_json()
    data["messages"] = [_masked_message(message) for message in data["messages"]]
    data["response"] = mask(data["response"]) if data["response"] else data["response"]
    data["error"] = mask(data["error"]) if data["error"] else data["error"]
    return json.dumps(data, ensure_ascii=False, indent=2)


def _masked_message(message: dict[str, Any]) -> dict[str, Any]:
    return {key: (mask(message_text(message)) if key in ("content", "tool_calls") else value)
            for key, value in message.items()}


def block_copy_text(record: RequestRecord, block: Block) -> str:
    """What "copy this message" puts on the clipboard: the whole text, redacted, never masked."""
    if block.index is not None:
        return shown(message_text(record.messages[block.index]))
    if block.kind == "response":
        return shown(record.response)
    if block.kind == "error":
        return shown(record.error)
    return block.text


def request_json(record: RequestRecord) -> str:
    """The request as one `prompts --json` object, indented, for "copy as JSON"."""
    return json.dumps(redacted(record).to_json(), ensure_ascii=False, indent=2)
