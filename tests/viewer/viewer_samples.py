"""Realistic stored requests for the viewer's tests, shaped like the recorded LiteLLM traffic
(tests/support/traffic.py): unicode, multi-line and 50 KB prompts, tool calls, tags, streaming,
and failures with LiteLLM's own error texts and a traceback. As stored: already redacted.
"""

from __future__ import annotations

from pathlib import Path

from tests.support.traffic import MULTILINE_TEXT, UNICODE_TEXT, big_text
from tray.model import RequestRecord
from tray.store import Store

__all__ = ["MULTILINE_TEXT", "UNICODE_TEXT", "ERROR_TRACEBACK", "MARKER_50K", "sample_records", "fill_store"]

ERROR_TRACEBACK = (
    "litellm.InternalServerError: InternalServerError: OpenAIException - Connection error.. "
    "Received Model Group=broken\nAvailable Model Group Fallbacks=None\n"
    "Traceback (most recent call last):\n"
    '  File "/srv/litellm/.venv/lib/python3.11/site-packages/httpx/_transports/default.py", line 101, in map_httpcore_exceptions\n'
    "    yield\n"
    '  File "/srv/litellm/.venv/lib/python3.11/site-packages/httpx/_transports/default.py", line 394, in handle_async_request\n'
    "    resp = await self._pool.handle_async_request(req)\n"
    "           ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^\n"
    '  File "/srv/litellm/.venv/lib/python3.11/site-packages/httpcore/_async/connection.py", line 124, in _connect\n'
    "    stream = await self._network_backend.connect_tcp(**kwargs)\n"
    '  File "/srv/litellm/.venv/lib/python3.11/site-packages/litellm/llms/openai/openai.py", line 812, in acompletion\n'
    "    raise OpenAIError(status_code=500, message=str(e))\n"
    "httpx.ConnectError: All connection attempts failed\n"
)
MARKER_50K = "[req-013]"


def _user(text: str) -> dict[str, str]:
    return {"role": "user", "content": text}


def sample_records() -> list[RequestRecord]:
    """Fifteen requests, oldest first, one minute apart from 2026-12-04 19:00 UTC."""
    def at(minute: int) -> str:
        return f"2026-12-04T19:{minute:02d}:07+00:00"

    records = [
        RequestRecord("chatcmpl-001", at(0), "cheap", [_user("Say hello (round 0). [req-001]")],
                      "Hello from cheap", "ok", 200, None, 10, 20, 30, 1.35e-05, 148.2, False, [], "debug"),
        RequestRecord("chatcmpl-002", at(1), "balanced", [_user("Stream me a short answer. [req-002]")],
                      "Hello from balanced, a somewhat longer answer.", "ok", 200, None, 18, 9, 27,
                      0.000135, 550.7, True, [], "debug"),
        RequestRecord("chatcmpl-003", at(2), "frontier",
                      [{"role": "system", "content": "You are a terse assistant. Answer in one sentence."},
                       _user("Explain what a proxy is. [req-003]")],
                      "A proxy forwards requests on behalf of a client.", "ok", 200, None, 31, 11, 42,
                      0.00091, 1320.0, False, [], "debug"),
        RequestRecord("chatcmpl-004", at(3), "cheap", [_user(UNICODE_TEXT + " [req-004]")],
                      "Bonjour ! 你好！ 👋", "ok", 200, None, 52, 8, 60, 2.1e-05, 402.0, True, [], "debug"),
        RequestRecord("chatcmpl-005", at(4), "balanced", [_user(MULTILINE_TEXT + " [req-005]")],
                      "Here are the lines:\n1. Line one\n2. Line two", "ok", 200, None, 40, 14, 54,
                      0.00027, 610.0, False, [], "debug"),
        RequestRecord("chatcmpl-006", at(5), "frontier",
                      [_user("Please store my key [REDACTED] somewhere safe. [req-006]")],
                      "I cannot store secrets.", "ok", 200, None, 22, 6, 28, 0.0006, 700.0, False, [], "debug"),
        RequestRecord("chatcmpl-007", at(6), "cheap", [_user("Tagged job A request. [req-007]")],
                      "Done with job A.", "ok", 200, None, 12, 5, 17, 8.0e-06, 210.0, False, ["jobA"], "debug"),
        RequestRecord("chatcmpl-008", at(7), "balanced", [_user("Tagged job B streaming request. [req-008]")],
                      "Job B streaming answer.", "ok", 200, None, 14, 6, 20, 0.0001, 480.0, True,
                      ["jobB", "batch"], "debug"),
        RequestRecord("chatcmpl-009", at(8), "frontier",
                      [{"role": "system", "content": "Be brief."}, _user("What is 2+2?"),
                       {"role": "assistant", "content": "4"}, _user("And times three? [req-009]")],
                      "12", "ok", 200, None, 30, 1, 31, 0.00062, 390.0, False, [], "debug"),
        RequestRecord("chatcmpl-010", at(9), "broken", [_user("This goes to a dead upstream. [req-010]")],
                      None, "error", 500, ERROR_TRACEBACK, None, None, None, None, 2010.0, False, [], "debug"),
        RequestRecord("chatcmpl-011", at(10), "does-not-exist", [_user("Unknown model name. [req-011]")],
                      None, "error", 400,
                      "{'error': '/chat/completions: Invalid model name passed in model=does-not-exist. "
                      "Call `/v1/models` to view available models for your key.'}",
                      None, None, None, None, 12.0, False, [], "debug"),
        RequestRecord("chatcmpl-012", at(11), "cheap",
                      [_user("What's the weather in Łódź? [req-012]"),
                       {"role": "assistant", "content": None, "tool_calls": [
                           {"id": "call_1", "type": "function",
                            "function": {"name": "get_weather", "arguments": "{\"city\": \"Łódź\"}"}}]},
                       {"role": "tool", "tool_call_id": "call_1", "content": "{\"temp_c\": 3}"}],
                      "It is 3 °C in Łódź.", "ok", 200, None, 61, 12, 73, 3.3e-05, 830.0, False,
                      ["weather"], "debug"),
        RequestRecord("chatcmpl-013", at(12), "cheap",
                      [_user("Summarise this long document:\n" + big_text() + " " + MARKER_50K)],
                      "Hello from cheap", "ok", 200, None, 11250, 20, 11270, 0.0017, 2950.0, False, [], "debug"),
        RequestRecord("chatcmpl-014", at(13), "cheap", [_user("Request with a wrong API key. [req-014]")],
                      None, "error", 401, "Authentication Error, Invalid proxy server token passed. "
                      "Received API Key = [REDACTED], Key Hash (Token) =1f2e3d", None, None, None, None,
                      5.0, False, [], "debug"),
        RequestRecord("chatcmpl-015", at(14), "balanced",
                      [{"role": "user", "content": [
                          {"type": "text", "text": "Describe this picture. [req-015]"},
                          {"type": "image_url", "image_url": {"url": "data:image/png;base64,iVBORw0KGgo="}}]}],
                      "A small red square.", "ok", 200, None, 95, 6, 101, 0.0005, 940.0, False,
                      ["vision"], "debug"),
    ]
    return records


def fill_store(path: Path, records: list[RequestRecord]) -> Store:
    """A writable store at `path` holding `records` (in order); the caller closes it."""
    store = Store(path)
    store.commit(records)
    return store

