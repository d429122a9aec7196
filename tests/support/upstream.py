"""A local OpenAI-compatible upstream for a real LiteLLM proxy to call (no network).

With `mock_response` LiteLLM never makes the upstream HTTP call, so what it logs around that
call (the request it sends, the raw response) only shows with a real upstream: this one.
It answers chat completions, streamed or not, with a text that names the last user message
and usage that counts its words; `answer` and `usage` say what it answered, for the truth.
A last user message holding `[upstream-429]` or `[upstream-500]` gets that HTTP error instead,
as OpenAI sends it (a rate limit, a server error).
"""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


def answer(messages: list[dict[str, Any]]) -> str:
    last = next((m.get("content") for m in reversed(messages) if m.get("role") == "user"), "")
    return f"The upstream read: {last}"


def usage(messages: list[dict[str, Any]], text: str) -> dict[str, int]:
    prompt = sum(len(str(m.get("content", "")).split()) for m in messages)
    completion = len(text.split())
    return {"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion}


class _Handler(BaseHTTPRequestHandler):
    delay = 0.0

    def log_message(self, *args: object) -> None:
        pass

    def do_POST(self) -> None:  # noqa: N802 - http.server's name
        body = json.loads(self.rfile.read(int(self.headers.get("content-length") or 0)) or b"{}")
        messages = body.get("messages") or []
        text = answer(messages)
        counts = usage(messages, text)
        model = body.get("model", "gpt-4o-mini")
        time.sleep(self.delay)
        for status, kind in ((429, "rate_limit_exceeded"), (500, "server_error")):
            if f"[upstream-{status}]" in text:
                self._error(status, kind)
                return
        if body.get("stream"):
            self._stream(model, text, counts)
            return
        data = json.dumps({
            "id": f"chatcmpl-upstream-{threading.get_ident()}", "object": "chat.completion",
            "created": int(time.time()), "model": model,
            "choices": [{"index": 0, "finish_reason": "stop",
                         "message": {"role": "assistant", "content": text}}],
            "usage": counts,
        }).encode()
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _error(self, status: int, kind: str) -> None:
        data = json.dumps({"error": {"message": f"Upstream says {status} ({kind}).", "type": kind,
                                     "param": None, "code": kind}}).encode()
        self.send_response(status)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _stream(self, model: str, text: str, counts: dict[str, int]) -> None:
        self.send_response(200)
        self.send_header("content-type", "text/event-stream")
        self.end_headers()
        base = {"id": "chatcmpl-upstream-stream", "object": "chat.completion.chunk",
                "created": int(time.time()), "model": model}
        for word in text.split(" "):
            chunk = {**base, "choices": [{"index": 0, "delta": {"content": word + " "}, "finish_reason": None}]}
            self.wfile.write(b"data: " + json.dumps(chunk).encode() + b"\n\n")
        last = {**base, "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}], "usage": counts}
        self.wfile.write(b"data: " + json.dumps(last).encode() + b"\n\ndata: [DONE]\n\n")


class Upstream:
    """The server on a free local port, in a thread: `with Upstream(delay) as up: up.api_base`.
    `delay` holds each answer back, so that requests sent at once are in flight together."""

    def __init__(self, delay: float = 0.0) -> None:
        handler = type("Handler", (_Handler,), {"delay": delay})
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.thread = threading.Thread(target=self.server.serve_forever, name="fake-upstream", daemon=True)

    @property
    def api_base(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/v1"

    def __enter__(self) -> "Upstream":
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)
