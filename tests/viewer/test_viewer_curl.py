"""`curl` commands replay a request without ever containing a key."""

from __future__ import annotations

import json
import shlex
import subprocess

from tray.desktop.viewer.curl import curl_command, request_body
from tray.model import RequestRecord


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
