"""Scripted client traffic against a LiteLLM proxy, with client-side ground truth.

Every request carries a unique marker such as ``[req-007]`` in its last user
message, so a log parser's output can be matched against what the client
sent and received. ``run_traffic`` returns one dict per request (see
``_truth``); ``write_truth`` stores them as JSON lines.

The traffic covers: many requests in flight at once, streaming (with
``stream_options.include_usage``) and non-streaming calls, an upstream
failure (model ``broken`` -> 500), an unknown model (-> 400), a wrong API key,
unicode and multi-line prompts, a ~50 KB prompt, prompts containing secrets,
system + user + assistant turns, metadata tags and ``max_tokens``.

Stdlib + httpx only.
"""

from __future__ import annotations

import asyncio
import copy
import json
import time
from pathlib import Path
from typing import Any, Iterable

import httpx

# Secrets put in prompts: a log parser/monitor must not display them verbatim.
PROMPT_SECRET = "sk-proj-ABCDEF1234567890abcdef1234567890"
PROMPT_BEARER = "Bearer sk-live-0123456789abcdefABCDEF0123456789"
WRONG_KEY = "sk-wrong-key-fixture-9999"

UNICODE_TEXT = "Emoji 🚀🔥👍🏽, CJK 你好世界 / こんにちは / 안녕하세요, accents: Crème brûlée, naïve café, Ångström, Łódź"
MULTILINE_TEXT = "Line one of the prompt.\nLine two:\n\tindented with a tab\n\n  - a bullet\n  - another bullet\nLast line."


def big_text(size: int = 50_000) -> str:
    """Deterministic ~``size`` bytes of printable text (numbered sentences)."""
    parts: list[str] = []
    n = 0
    total = 0
    while total < size:
        s = f"Sentence {n:05d}: the quick brown fox jumps over the lazy dog. "
        parts.append(s)
        total += len(s)
        n += 1
    return "".join(parts)[:size]


def _user(text: str) -> dict[str, str]:
    return {"role": "user", "content": text}


def _system(text: str) -> dict[str, str]:
    return {"role": "system", "content": text}


def _assistant(text: str) -> dict[str, str]:
    return {"role": "assistant", "content": text}


def build_requests(n_rounds: int = 2, start: int = 1) -> list[dict[str, Any]]:
    """The scripted requests: dicts with ``marker``, ``body``, ``expect`` and optional ``key``.

    ``body`` has no marker yet in its last user message; ``run_traffic`` adds it.
    Round 0 carries the one-off cases (50 KB prompt, auth failure); every round
    carries a mix of the rest plus a burst of short concurrent calls.
    """
    specs: list[dict[str, Any]] = []

    def add(body: dict[str, Any], expect: str = "ok", key: str | None = None) -> None:
        specs.append({"body": body, "expect": expect, "key": key})

    for rnd in range(n_rounds):
        add({"model": "cheap", "messages": [_user(f"Say hello (round {rnd}).")]})
        add(
            {
                "model": "balanced",
                "messages": [_user("Stream me a short answer.")],
                "stream": True,
                "stream_options": {"include_usage": True},
            }
        )
        add(
            {
                "model": "frontier",
                "messages": [
                    _system("You are a terse assistant. Answer in one sentence."),
                    _user("Explain what a proxy is."),
                ],
                "max_tokens": 50,
            }
        )
        add(
            {
                "model": "cheap",
                "messages": [_user(UNICODE_TEXT)],
                "stream": True,
                "stream_options": {"include_usage": True},
            }
        )
        add({"model": "balanced", "messages": [_user(MULTILINE_TEXT)], "temperature": 0.2})
        add(
            {
                "model": "frontier",
                "messages": [_user(f"Please store my key {PROMPT_SECRET} somewhere safe.")],
            }
        )
        add(
            {
                "model": "cheap",
                "messages": [_user(f"My curl used the header 'Authorization: {PROMPT_BEARER}', why 401?")],
            }
        )
        add(
            {
                "model": "cheap",
                "messages": [_user("Tagged job A request.")],
                "metadata": {"tags": ["jobA"]},
                "max_tokens": 30,
            }
        )
        add(
            {
                "model": "balanced",
                "messages": [_user("Tagged job B streaming request.")],
                "metadata": {"tags": ["jobB", "batch"]},
                "stream": True,
                "stream_options": {"include_usage": True},
            }
        )
        add(
            {
                "model": "frontier",
                "messages": [
                    _system("Be brief."),
                    _user("What is 2+2?"),
                    _assistant("4"),
                    _user("And times three?"),
                ],
                "user": "end-user-42",
            }
        )
        add({"model": "broken", "messages": [_user("This goes to a dead upstream.")]}, expect="error")
        add({"model": "does-not-exist", "messages": [_user("Unknown model name.")]}, expect="error")
        if rnd == 0:
            add(
                {
                    "model": "cheap",
                    "messages": [_user("Summarise this long document:\n" + big_text(50_000))],
                }
            )
            add({"model": "cheap", "messages": [_user("Request with a wrong API key.")]}, expect="error", key=WRONG_KEY)
            add(
                {
                    "model": "broken",
                    "messages": [_user("Streaming to a dead upstream.")],
                    "stream": True,
                    "stream_options": {"include_usage": True},
                },
                expect="error",
            )
        # A burst of short calls, sent together.
        for i in range(8):
            model = ("cheap", "balanced", "frontier")[i % 3]
            body: dict[str, Any] = {"model": model, "messages": [_user(f"Burst call {i} of round {rnd}.")]}
            if i % 2:
                body["stream"] = True
                body["stream_options"] = {"include_usage": True}
            add(body)

    for n, spec in enumerate(specs, start=start):
        spec["marker"] = f"[req-{n:03d}]"
    return specs


def build_same_prompt_requests() -> list[dict[str, Any]]:
    """The same prompts sent to every model at once, streamed and not, with no marker: a
    request can be told from the others only by its call id, never by its text (an eval
    harness asking every model, a client retrying). Markers ``[same-01]``... name them in the
    ground truth only."""
    conversations = [
        [_user("Compare yourselves, in one line.")],
        [_system("You are a terse assistant."), _user("Summarise this:\n" + big_text(1_000))],
        [_user("Summarise this long document:\n" + big_text(4_000))],
    ]
    specs: list[dict[str, Any]] = []
    for messages in conversations:
        for model in ("cheap", "balanced", "frontier"):
            for stream in (False, True):
                body: dict[str, Any] = {"model": model, "messages": copy.deepcopy(messages)}
                if stream:
                    body.update(stream=True, stream_options={"include_usage": True})
                specs.append({"body": body, "expect": "ok", "key": None, "unmarked": True})
    for n, spec in enumerate(specs, start=1):
        spec["marker"] = f"[same-{n:02d}]"
    return specs


def build_endpoint_requests() -> list[dict[str, Any]]:
    """Requests to LiteLLM's other endpoints: legacy completions (`prompt`), the Responses API
    (`input` as a text, as messages, as content parts, with `instructions`), embeddings
    (`input`, one text or several), Anthropic's /v1/messages (`system` beside `messages`,
    content blocks), and a chat whose message mixes text and an image. Each text ends with its
    marker (``[end-01]``...); ``shown`` is what a monitor should show as the request's
    messages. Two rounds, 11 requests each."""
    image = {"type": "image_url", "image_url": {"url": "data:image/png;base64," + "iVBORw0KGgo" * 200}}
    specs: list[dict[str, Any]] = []
    for rnd, model in enumerate(("cheap", "balanced")):
        def add(path: str, body: dict[str, Any], shown: list[dict[str, str]]) -> None:
            specs.append({"path": path, "body": {"model": model, **body}, "shown": shown, "expect": "ok",
                          "key": None, "unmarked": True})

        def mark(text: str) -> str:
            return f"{text} [end-{len(specs) + 1:02d}]"

        text = mark(f"Complete this sentence, round {rnd}: the proxy")
        add("/v1/completions", {"prompt": text}, [_user(text)])
        text = mark(f"Answer through the Responses API, round {rnd}.")
        add("/v1/responses", {"input": text}, [_user(text)])
        text = mark(f"Responses API with a conversation, round {rnd}.")
        add("/v1/responses", {"instructions": "Answer in one word.", "input": [_user(text)]},
            [_system("Answer in one word."), _user(text)])
        text = mark(f"Responses API with content parts, round {rnd}.")
        add("/v1/responses", {"input": [{"role": "user", "content": [{"type": "input_text", "text": text}]}]},
            [_user(text)])
        text = mark(f"Embed this sentence, round {rnd}.")
        add("/v1/embeddings", {"input": text}, [_user(text)])
        first, text = f"First of two texts to embed, round {rnd}.", mark("Second of two texts to embed.")
        add("/v1/embeddings", {"input": [first, text]}, [_user(first), _user(text)])
        text = mark(f"What is in this picture? Round {rnd}.")
        add("/v1/chat/completions", {"messages": [{"role": "user", "content": [{"type": "text", "text": text}, image]}]},
            [_user(text)])
        text = mark(f"Stream a completion, round {rnd}:")
        add("/v1/completions", {"prompt": text, "stream": True}, [_user(text)])
        text = mark(f"Stream through the Responses API, round {rnd}.")
        add("/v1/responses", {"input": text, "stream": True}, [_user(text)])
        text = mark(f"Anthropic's messages API, round {rnd}.")
        add("/v1/messages", {"system": "Be terse.", "max_tokens": 50, "messages": [_user(text)]},
            [_system("Be terse."), _user(text)])
        text = mark(f"Stream Anthropic's messages API, round {rnd}.")
        add("/v1/messages", {"max_tokens": 50, "stream": True,
                             "messages": [{"role": "user", "content": [{"type": "text", "text": text}]}]},
            [_user(text)])
    for n, spec in enumerate(specs, start=1):
        spec["marker"] = f"[end-{n:02d}]"
    return specs


def build_upstream_requests(phase: str) -> list[dict[str, Any]]:
    """Chats to models served by a real (local) upstream, not `mock_response` (see
    tests/support/upstream.py): `one-by-one`, six requests sent one after another (streamed
    and not, a conversation with a system prompt, two models); `at-once`, six sent together,
    three to each model; `refused`, two the upstream refuses, one by one: a rate limit (429)
    and a server error (500). Markers ``[up-01]``..."""
    if phase == "refused":
        return [{"body": {"model": "upstream-mini", "messages": [_user(f"Please fail [upstream-{status}].")]},
                 "expect": "error", "key": None, "marker": f"[up-{13 + n:02d}]"}
                for n, status in enumerate((429, 500))]
    first = {"one-by-one": 1, "at-once": 7}[phase]
    specs = []
    for n in range(6):
        model = ("upstream-mini", "upstream-4o")[n % 2]
        messages = [_user(f"Tell me about upstream answers, {phase} {n}.")]
        if n == 2:
            messages = [_system("Answer briefly."), _user("Hi."), _assistant("Hello."), *messages]
        body: dict[str, Any] = {"model": model, "messages": messages}
        if n == 3:
            body.update(stream=True, stream_options={"include_usage": True})
        specs.append({"body": body, "expect": "ok", "key": None, "marker": f"[up-{first + n:02d}]"})
    return specs


def build_restart_requests(phase: str) -> list[dict[str, Any]]:
    """Traffic around a proxy killed with requests in flight (see tests/fixtures/record.py):
    `before` (answered), `hanging` (sent to an upstream that never answers: in flight when the
    proxy is killed), `after` (to the proxy started again). Markers ``[rst-01]``..."""
    first = {"before": 1, "hanging": 4, "after": 7}[phase]
    model = {"hanging": "hanging"}.get(phase)
    specs = []
    for n, base in enumerate(("cheap", "balanced", "frontier")):
        body: dict[str, Any] = {"model": model or base, "messages": [_user(f"Around a restart, {phase} {n}.")]}
        if n == 1:
            body.update(stream=True, stream_options={"include_usage": True})
        specs.append({"body": body, "expect": "error" if phase == "hanging" else "ok", "key": None,
                      "marker": f"[rst-{first + n:02d}]"})
    return specs


def _mark(body: dict[str, Any], marker: str) -> dict[str, Any]:
    body = copy.deepcopy(body)
    for msg in reversed(body["messages"]):
        if msg["role"] == "user":
            msg["content"] = f"{msg['content']} {marker}"
            break
    return body


CHAT_PATH = "/v1/chat/completions"


def _truth(spec: dict[str, Any], body: dict[str, Any]) -> dict[str, Any]:
    return {
        "marker": spec["marker"],
        "path": spec.get("path", CHAT_PATH),
        "model": body["model"],
        "stream": bool(body.get("stream", False)),
        "messages": spec.get("shown", body.get("messages")),
        "expected_status": spec["expect"],
        "status_code": None,
        "response": None,
        "prompt_tokens": None,
        "completion_tokens": None,
        "total_tokens": None,
        "tags": list((body.get("metadata") or {}).get("tags") or []),
        "max_tokens": body.get("max_tokens"),
        "wrong_key": spec.get("key") is not None,
        "error": None,
        "id": None,
        "litellm_call_id": None,
        "response_cost": None,
        "served_model": None,
        "started_at": None,
        "finished_at": None,
    }


def _apply_usage(rec: dict[str, Any], usage: dict[str, Any] | None) -> None:
    """Usage as the chat API names it (the Responses API says input and output tokens)."""
    if not usage:
        return
    for k, other in (("prompt_tokens", "input_tokens"), ("completion_tokens", "output_tokens"),
                     ("total_tokens", "total_tokens")):
        value = usage.get(k, usage.get(other))
        if value is not None:
            rec[k] = value


async def _one(client: httpx.AsyncClient, key: str, spec: dict[str, Any]) -> dict[str, Any]:
    body = copy.deepcopy(spec["body"]) if spec.get("unmarked") else _mark(spec["body"], spec["marker"])
    rec = _truth(spec, body)
    headers = {"Authorization": f"Bearer {spec.get('key') or key}"}
    path = spec.get("path", CHAT_PATH)
    rec["started_at"] = time.time()
    try:
        if body.get("stream"):
            async with client.stream("POST", path, json=body, headers=headers) as r:
                rec["status_code"] = r.status_code
                _headers(rec, r)
                if r.status_code != 200:
                    await r.aread()
                    rec["error"] = _error_text(r)
                else:
                    pieces: list[str] = []
                    async for line in r.aiter_lines():
                        if not line.startswith("data:"):
                            continue
                        data = line[5:].strip()
                        if data == "[DONE]":
                            break
                        chunk = json.loads(data)
                        if "error" in chunk:
                            rec["error"] = json.dumps(chunk["error"], ensure_ascii=False)
                            continue
                        rec["id"] = rec["id"] or chunk.get("id")
                        rec["served_model"] = rec["served_model"] or chunk.get("model")
                        for ch in chunk.get("choices") or []:
                            content = (ch.get("delta") or {}).get("content") or ch.get("text")
                            if content:
                                pieces.append(content)
                        if chunk.get("type") == "response.output_text.delta":
                            pieces.append(chunk.get("delta") or "")
                        _apply_usage(rec, chunk.get("usage"))
                    rec["response"] = "".join(pieces) if pieces else None
        else:
            r = await client.post(path, json=body, headers=headers)
            rec["status_code"] = r.status_code
            _headers(rec, r)
            if r.status_code == 200:
                data = r.json()
                rec["id"] = data.get("id")
                rec["served_model"] = data.get("model")
                rec["response"] = _answer(data)
                _apply_usage(rec, data.get("usage"))
            else:
                rec["error"] = _error_text(r)
    except httpx.HTTPError as e:
        rec["error"] = f"{type(e).__name__}: {e}"
    rec["finished_at"] = time.time()
    return rec


def _answer(data: dict[str, Any]) -> str | None:
    """The text of an answer: a chat's message, a completion's text, the Responses API's
    output text, Anthropic's first text block; None for embeddings."""
    for choice in data.get("choices") or []:
        return (choice.get("message") or {}).get("content") or choice.get("text")
    for block in data.get("content") or []:
        if isinstance(block, dict) and block.get("type") == "text":
            return block.get("text")
    for item in data.get("output") or []:
        for part in item.get("content") or []:
            if part.get("type") == "output_text":
                return part.get("text")
    return None


def _headers(rec: dict[str, Any], r: httpx.Response) -> None:
    rec["litellm_call_id"] = r.headers.get("x-litellm-call-id")
    cost = r.headers.get("x-litellm-response-cost")
    if cost is not None:
        try:
            rec["response_cost"] = float(cost)
        except ValueError:
            rec["response_cost"] = cost


def _error_text(r: httpx.Response) -> str:
    try:
        data = r.json()
        err = data.get("error", data) if isinstance(data, dict) else data
        if isinstance(err, dict) and "message" in err:
            return str(err["message"])
        return json.dumps(err, ensure_ascii=False)
    except ValueError:
        return r.text


async def run_traffic_async(
    base_url: str,
    key: str,
    n_rounds: int = 2,
    concurrency: int = 8,
    timeout: float = 120.0,
    start: int = 1,
    specs: list[dict[str, Any]] | None = None,
) -> list[dict[str, Any]]:
    specs = specs if specs is not None else build_requests(n_rounds, start=start)
    limits = httpx.Limits(max_connections=concurrency * 2, max_keepalive_connections=concurrency * 2)
    sem = asyncio.Semaphore(concurrency)
    async with httpx.AsyncClient(base_url=base_url, timeout=timeout, limits=limits) as client:

        async def guarded(spec: dict[str, Any]) -> dict[str, Any]:
            async with sem:
                return await _one(client, key, spec)

        # Sequential sections keep the log readable; the bursts run `concurrency` at a time.
        results: list[dict[str, Any]] = []
        batch: list[dict[str, Any]] = []
        for spec in specs:
            batch.append(spec)
            if len(batch) >= concurrency:
                results += await asyncio.gather(*(guarded(s) for s in batch))
                batch = []
        if batch:
            results += await asyncio.gather(*(guarded(s) for s in batch))
    results.sort(key=lambda r: r["marker"])
    return results


def run_traffic(
    base_url: str,
    key: str,
    n_rounds: int = 2,
    concurrency: int = 8,
    timeout: float = 120.0,
    start: int = 1,
    specs: list[dict[str, Any]] | None = None,
) -> list[dict[str, Any]]:
    """Send the scripted traffic (``specs``, default ``build_requests``), ``concurrency``
    requests in flight at once; return ground truth."""
    return asyncio.run(run_traffic_async(base_url, key, n_rounds, concurrency, timeout, start, specs))


def write_truth(path: Path | str, records: Iterable[dict[str, Any]]) -> None:
    with open(path, "w", encoding="utf-8") as f:
        for rec in records:
            f.write(json.dumps(rec, ensure_ascii=False, sort_keys=False) + "\n")


def read_truth(path: Path | str) -> list[dict[str, Any]]:
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]
