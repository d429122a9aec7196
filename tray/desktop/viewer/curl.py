"""A request as a `curl` command a person can paste to replay it against the proxy.

The key is never in the command: it reads `$LITELLM_MASTER_KEY` from the shell that runs it,
so a copied command can be pasted into a chat or a ticket safely. The request goes to the
endpoint it was sent to (chat completions where the log does not tell), in that API's shape.
"""

from __future__ import annotations

import json
import shlex
from typing import Any

from tray.logs.bodies import endpoint_of
from tray.model import RequestRecord
from tray.redact import redact_any

AUTH_HEADER = '-H "Authorization: Bearer $LITELLM_MASTER_KEY"'


CHAT = "/v1/chat/completions"
#: Anthropic's messages API requires `max_tokens`; a record does not keep the one sent.
ANTHROPIC_MAX_TOKENS = 1024


def request_body(record: RequestRecord) -> dict[str, Any]:
    """The body that would send this request again to its endpoint (as far as the log tells):
    the record's messages back in the shape of that API."""
    messages = redact_any(record.messages)
    system = "\n".join(str(m.get("content", "")) for m in messages if m.get("role") == "system")
    turns = [m for m in messages if m.get("role") != "system"]
    texts = [m.get("content", "") for m in turns]
    text_or_texts = texts[0] if len(texts) == 1 else texts
    api = endpoint_of(record.endpoint) or endpoint_of(CHAT)     # chat where the log does not tell
    body: dict[str, Any] = {"model": record.model}
    if api == "/completions":
        body["prompt"] = text_or_texts
    elif api in ("/embeddings", "/moderations"):
        body["input"] = text_or_texts
    elif api == "/responses":
        body["input"] = texts[0] if len(turns) == 1 and turns[0].get("role") == "user" else turns
        if system:
            body["instructions"] = system
    elif api == "/messages":
        body["max_tokens"] = ANTHROPIC_MAX_TOKENS
        body["messages"] = turns
        if system:
            body["system"] = system
    else:
        body["messages"] = messages
    if record.stream and api not in ("/embeddings", "/moderations"):
        body["stream"] = True
    if record.tags:
        body["metadata"] = {"tags": list(record.tags)}
    return body


def url_of(record: RequestRecord, proxy_url: str) -> str:
    """The endpoint's URL on `proxy_url` (which may end in `/v1` already)."""
    base = proxy_url.rstrip("/")
    path = record.endpoint or CHAT
    if base.endswith("/v1") and path.startswith("/v1/"):
        path = path[len("/v1"):]
    return base + path


def curl_command(record: RequestRecord, proxy_url: str) -> str:
    """A POSIX-shell `curl` command for `record` against `proxy_url`."""
    url = url_of(record, proxy_url)
    body = json.dumps(request_body(record), ensure_ascii=False)
    flags = "curl -sS -N" if record.stream else "curl -sS"
    return " \\\n  ".join([
        f"{flags} {shlex.quote(url)}",
        "-H 'Content-Type: application/json'",
        AUTH_HEADER,
        f"-d {shlex.quote(body)}",
    ])
