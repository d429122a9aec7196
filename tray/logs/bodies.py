"""A request body as the app keeps it: its messages redacted for storing, and the hint that
later log lines are matched by.

Chat requests carry `messages` (Anthropic's /v1/messages a `system` beside them). The other
endpoints LiteLLM serves carry their text elsewhere: the Responses API in `input` (a text, or a
list of messages) after its `instructions`, legacy completions in `prompt`, embeddings and
moderations in `input`. `conversation` reads them all as messages, so their prompts are shown,
stored and matched like a chat's.

Both are worked out once, where the body is parsed (in the scanner, which may run in a worker
process), so the assembler only moves finished values around and the raw messages are let go.
"""

from __future__ import annotations

import json
from typing import Any, Iterable

from tray.redact import redact_any

#: Characters of a request's last message that later lines must repeat to be bound to it.
HINT_CHARS = 80


#: Where a request body keeps its text, besides chat's `messages`.
TEXT_KEYS = ("system", "instructions", "prompt", "input")

#: Endpoints told apart, by a piece of their path (first match wins), with the key their
#: bodies hold their text under and the LiteLLM function the proxy calls for them.
ENDPOINTS = (("/chat/completions", "messages", "acompletion"),
             ("/completions", "prompt", "atext_completion"),
             ("/responses", "input", "aresponses"),
             ("/embeddings", "input", "aembedding"),
             ("/moderations", "input", "amoderation"),
             ("/messages", "messages", "anthropic_messages"))


def endpoint_of(path: str | None) -> str | None:
    """Which of ENDPOINTS `path` is (its piece of path), None if none of them."""
    return next((part for part, _, _ in ENDPOINTS if path and part in path), None)


def conversation(body: dict[str, Any]) -> list[Any]:
    """The request's messages, whatever the endpoint (see the module's docstring)."""
    messages = body.get("messages")
    if isinstance(messages, list):
        system = _text_of(body.get("system"))       # Anthropic's /v1/messages keeps it apart
        return [{"role": "system", "content": system}, *messages] if system else messages
    turns: list[Any] = []
    if isinstance(body.get("instructions"), str):
        turns.append({"role": "system", "content": body["instructions"]})
    for key in ("prompt", "input"):
        value = body.get(key)
        if isinstance(value, str):
            turns.append({"role": "user", "content": value})
        elif isinstance(value, list) and all(isinstance(item, (str, dict)) for item in value):
            turns += [item if isinstance(item, dict) else {"role": "user", "content": item} for item in value]
        elif value is not None:                     # token ids
            turns.append({"role": "user", "content": json.dumps(value)})
    return turns


def text_key(body: dict[str, Any]) -> str | None:
    """The key that holds the request's text (`messages`, `prompt` or `input`): it tells the
    endpoint the request was sent to (see tray.logs.assemble), once the text is let go."""
    if isinstance(body.get("messages"), list):
        return "messages"
    return next((key for key in ("prompt", "input") if key in body), None)


def stored_messages(body: dict[str, Any], secrets: Iterable[str] = ()) -> list[dict[str, Any]]:
    """The body's messages in the shape records hold, with keys and tokens redacted."""
    return redact_any([_message(m) for m in conversation(body)], secrets)


def message_hint(body: dict[str, Any]) -> str:
    """A piece of the request's last message as Python's repr writes it in later lines
    (LiteLLM prints the call's kwargs: `messages=[...]`, `prompt='...'`, `input=...`); empty
    when the request has no text to match."""
    for message in reversed(conversation(body)):
        content = message.get("content") if isinstance(message, dict) else None
        if isinstance(content, list):           # multi-part: its last text is written out too
            texts = _texts(content)
            content = texts[-1] if texts else None
        if isinstance(content, str):
            return repr_prefix(content, HINT_CHARS) if content else ""
    return ""


def repr_prefix(text: str, length: int) -> str:
    """`repr(text)[1:length + 1]` without writing out all of a 100 KB prompt: the quote repr
    picks depends on the whole text, and is forced on the prefix by quotes added past it."""
    if len(text) <= length:
        return repr(text)[1:length + 1]
    double_quoted = "'" in text and '"' not in text
    return repr(text[:length] + ("'" if double_quoted else "'\""))[1:length + 1]


def _texts(blocks: list[Any]) -> list[str]:
    """The texts of a list of content blocks (`{"type": "text", "text": ...}` and the like)."""
    return [b["text"] for b in blocks if isinstance(b, dict) and isinstance(b.get("text"), str)]


def _text_of(value: Any) -> str | None:
    """A text, or the texts of content blocks joined by lines; None if there is none."""
    if isinstance(value, list):
        value = "\n".join(_texts(value))
    return value if isinstance(value, str) and value else None


#: Content parts that hold text: chat's, and the Responses API's.
_TEXT_PARTS = ("text", "input_text", "output_text")


def _message(message: Any) -> dict[str, Any]:
    if not isinstance(message, dict):
        return {"role": "user", "content": str(message)}
    content = message.get("content")
    if isinstance(content, list):  # multi-part content: keep the text parts readable
        texts = [p.get("text", "") for p in content if isinstance(p, dict) and p.get("type") in _TEXT_PARTS]
        content = "\n".join(texts) if texts else content
    result = dict(message)
    result["role"] = str(message.get("role", "user"))
    result["content"] = content if isinstance(content, str) else ("" if content is None else content)
    return result
