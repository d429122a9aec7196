"""The "Log Format" of LiteLLM's user guide: multi-line Headers/Body blocks, then Response."""

from __future__ import annotations

from pathlib import Path

from tray.logs.reader import read_whole_file

GUIDE_LOG = """\
POST /v1/chat/completions
Headers: {
  "Authorization": "Bearer sk-litellm-abcdef123456",
  "Content-Type": "application/json"
}
Body: {
  "model": "cheap",
  "messages": [
    {"role": "system", "content": "You are a helpful assistant."},
    {"role": "user", "content": "What is 2+2?"}
  ],
  "max_tokens": 50
}
Response: {
  "id": "chatcmpl-1",
  "model": "cheap",
  "choices": [{
    "message": {
      "role": "assistant",
      "content": "4"
    }
  }],
  "usage": {
    "prompt_tokens": 10,
    "completion_tokens": 15,
    "total_tokens": 25
  }
}
"""


def test_the_guide_format_gives_the_request_with_its_response(tmp_path: Path) -> None:
    log = tmp_path / "litellm.log"
    log.write_text(GUIDE_LOG * 2)
    records, reader, _ = read_whole_file(log)
    assert len(records) == 2 and reader.formats == ["guide"]
    first = records[0]
    assert first.model == "cheap" and first.status == "ok"
    assert [m["content"] for m in first.messages] == ["You are a helpful assistant.", "What is 2+2?"]
    assert (first.response, first.prompt_tokens, first.completion_tokens, first.total_tokens) == ("4", 10, 15, 25)
    assert "sk-litellm" not in str([r.to_json() for r in records])
