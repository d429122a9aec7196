"""`curl` commands replay a request without ever containing a key."""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
from collections import Counter
from pathlib import Path

import pytest

from tests.support.litellm_proxy import (
    MASTER_KEY, LiteLLMProxy, free_port, litellm_available, write_config,
)
from tray.desktop.viewer.curl import curl_command, request_body
from tray.logs.reader import read_whole_file
from tray.model import RequestRecord

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


def test_command_shape_and_literal_key_variable(records: list[RequestRecord]) -> None:
    record = next(r for r in records if r.id == "chatcmpl-008")
    command = curl_command(record, "http://localhost:8000/")
    assert command.splitlines()[0] == "curl -sS -N http://localhost:8000/v1/chat/completions \\"
    assert '-H "Authorization: Bearer $LITELLM_MASTER_KEY"' in command
    words = shlex.split(command.replace("\\\n", " "), posix=True)
    body = json.loads(words[words.index("-d") + 1])
    assert body == {"model": "balanced", "messages": record.messages, "stream": True,
                    "metadata": {"tags": ["jobB", "batch"]}}


def test_a_real_shell_passes_the_body_unchanged() -> None:
    """Run the command in sh with `curl` replaced by a function that prints its arguments."""
    record = RequestRecord("x", model="cheap", messages=[
        {"role": "user", "content": "It's \"quoted\"\nand 你好 $HOME `id` \\ end"}])
    script = "curl() { printf '%s\\0' \"$@\"; }\n" + curl_command(record, "http://h:4000/v1")
    out = subprocess.run(["sh", "-c", script], capture_output=True, check=True,
                         env={"LITELLM_MASTER_KEY": "sk-from-the-env"}).stdout.decode()
    words = out.split("\0")[:-1]
    assert words[:2] == ["-sS", "http://h:4000/v1/chat/completions"]
    assert "Authorization: Bearer sk-from-the-env" in words
    assert json.loads(words[words.index("-d") + 1]) == request_body(record)


def test_never_a_key(records: list[RequestRecord]) -> None:
    record = RequestRecord("x", model="cheap", messages=[
        {"role": "user", "content": "my key sk-proj-ABCDEF1234567890abcdef"}])
    command = curl_command(record, "http://localhost:8000")
    assert "sk-proj" not in command and "[REDACTED]" in command
    assert command.count("Bearer") == 1


def sent(record: RequestRecord, proxy_url: str = "http://h:4000") -> tuple[str, dict]:
    words = shlex.split(curl_command(record, proxy_url).replace("\\\n", " "), posix=True)
    return next(w for w in words if w.startswith("http")), json.loads(words[words.index("-d") + 1])


def test_each_endpoint_gets_its_own_api_s_body() -> None:
    """A request goes back to the endpoint it was sent to, its messages in that API's shape."""
    system = {"role": "system", "content": "Be terse."}
    user = {"role": "user", "content": "Say hello"}
    two = [{"role": "user", "content": "first"}, {"role": "user", "content": "second"}]

    def record(endpoint: str | None, messages: list[dict], stream: bool = False) -> RequestRecord:
        return RequestRecord("x", model="cheap", messages=messages, stream=stream, endpoint=endpoint)

    assert sent(record("/v1/completions", [user], stream=True)) == (
        "http://h:4000/v1/completions", {"model": "cheap", "prompt": "Say hello", "stream": True})
    assert sent(record("/v1/embeddings", two), "http://h:4000/v1/") == (
        "http://h:4000/v1/embeddings", {"model": "cheap", "input": ["first", "second"]})
    assert sent(record("/v1/responses", [system, user])) == (
        "http://h:4000/v1/responses", {"model": "cheap", "input": "Say hello", "instructions": "Be terse."})
    assert sent(record("/v1/responses", [user, {"role": "assistant", "content": "Hi"}, user]))[1] == \
        {"model": "cheap", "input": [user, {"role": "assistant", "content": "Hi"}, user]}
    assert sent(record("/v1/messages", [system, user], stream=True)) == (
        "http://h:4000/v1/messages", {"model": "cheap", "max_tokens": 1024, "messages": [user],
                                      "system": "Be terse.", "stream": True})
    assert sent(record("/chat/completions", [system, user])) == (
        "http://h:4000/chat/completions", {"model": "cheap", "messages": [system, user]})
    assert sent(record(None, [user])) == (
        "http://h:4000/v1/chat/completions", {"model": "cheap", "messages": [user]})


@pytest.mark.litellm
@pytest.mark.timeout(300)
@pytest.mark.skipif(not litellm_available(), reason="LiteLLM is not installed in .venv-litellm")
def test_every_recorded_endpoint_replays_on_a_real_proxy(tmp_path: Path) -> None:
    """Each request of the recorded endpoints log (legacy completions, the Responses API,
    embeddings, Anthropic's messages, chat; streamed or not), copied as curl and run by the
    shell's real `curl`, is answered 200 by a real LiteLLM proxy, at the endpoint it was sent to."""
    records, _, _ = read_whole_file(FIXTURES / "litellm-1.110.2" / "endpoints.log")
    assert {r.endpoint for r in records} == {"/v1/completions", "/v1/responses", "/v1/embeddings",
                                             "/v1/chat/completions", "/v1/messages"}
    port = free_port()
    with LiteLLMProxy(write_config(tmp_path, port), port, tmp_path / "litellm.log") as proxy:
        for record in records:
            command = curl_command(record, proxy.base_url) + " -o /dev/null -w '%{http_code}'"
            out = subprocess.run(["sh", "-c", command], capture_output=True, text=True, timeout=60,
                                 env={"PATH": os.environ["PATH"], "LITELLM_MASTER_KEY": MASTER_KEY})
            assert out.stdout == "200", f"{record.endpoint}: {out.stdout} {out.stderr}\n{command}"
    served = re.findall(r'"POST (\S+) HTTP', (tmp_path / "litellm.log").read_text(errors="replace"))
    assert Counter(served) == Counter(r.endpoint for r in records)
