"""A request as a `curl` command a person can paste to replay it against the proxy.

The key is never in the command: it reads `$LITELLM_MASTER_KEY` from the shell that runs it,
so a copied command can be pasted into a chat or a ticket safely.
"""

from __future__ import annotations

import json
import shlex
from typing import Any

from tray.model import RequestRecord
from tray.redact import redact_any

AUTH_HEADER = '-H "Authorization: Bearer $LITELLM_MASTER_KEY"'


def request_body(record: RequestRecord) -> dict[str, Any]:
    """The chat-completions body that would send this request again (as far as the log tells)."""
    body: dict[str, Any] = {"model": record.model, "messages": redact_any(record.messages)}
    if record.stream:
        body["stream"] = True
    if record.tags:
        body["metadata"] = {"tags": list(record.tags)}
    return body


def curl_command(record: RequestRecord, proxy_url: str) -> str:
    """A POSIX-shell `curl` command for `record` against `proxy_url`."""
    base = proxy_url.rstrip("/")
    url = f"{base}/chat/completions" if base.endswith("/v1") else f"{base}/v1/chat/completions"
    body = json.dumps(request_body(record), ensure_ascii=False)
    flags = "curl -sS -N" if record.stream else "curl -sS"
    return " \\\n  ".join([
        f"{flags} {shlex.quote(url)}",
        "-H 'Content-Type: application/json'",
        AUTH_HEADER,
        f"-d {shlex.quote(body)}",
    ])
