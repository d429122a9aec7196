"""A request body as the app keeps it: its messages redacted for storing, and the hint that
later log lines are matched by.

Both are worked out once, where the body is parsed (in the scanner, which may run in a worker
process), so the assembler only moves finished values around and the raw messages are let go.
"""

from __future__ import annotations

from typing import Any, Iterable

from tray.redact import redact_any

#: Characters of a request's last message that later lines must repeat to be bound to it.
HINT_CHARS = 80


def stored_messages(body: dict[str, Any], secrets: Iterable[str] = ()) -> list[dict[str, Any]]:
    """The body's messages in the shape records hold, with keys and tokens redacted."""
    messages = body.get("messages")
    messages = messages if isinstance(messages, list) else []
    return redact_any([_message(m) for m in messages], secrets)


def message_hint(body: dict[str, Any]) -> str:
    """A piece of the request's last message as Python's repr writes it in later lines
    (LiteLLM prints the call's kwargs); empty when the request has no text to match."""
    messages = body.get("messages")
    for message in reversed(messages if isinstance(messages, list) else []):
        if isinstance(message, dict) and isinstance(message.get("content"), str):
            content = message["content"]
            return repr_prefix(content, HINT_CHARS) if content else ""
    return ""


def repr_prefix(text: str, length: int) -> str:
    """`repr(text)[1:length + 1]` without writing out all of a 100 KB prompt: the quote repr
    picks depends on the whole text, and is forced on the prefix by quotes added past it."""
    if len(text) <= length:
        return repr(text)[1:length + 1]
    double_quoted = "'" in text and '"' not in text
    return repr(text[:length] + ("'" if double_quoted else "'\""))[1:length + 1]


def _message(message: Any) -> dict[str, Any]:
    if not isinstance(message, dict):
        return {"role": "user", "content": str(message)}
    content = message.get("content")
    if isinstance(content, list):  # multi-part content: keep the text parts readable
        texts = [p.get("text", "") for p in content if isinstance(p, dict) and p.get("type") == "text"]
        content = "\n".join(texts) if texts else content
    result = dict(message)
    result["role"] = str(message.get("role", "user"))
    result["content"] = content if isinstance(content, str) else ("" if content is None else content)
    return result
