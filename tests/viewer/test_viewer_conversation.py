"""The detail's text: every role, tool calls, content parts, the useful part of a traceback."""

from __future__ import annotations

import json
from types import ModuleType

from tray.desktop.viewer.conversation import (
    Block, block_copy_text, blocks, message_text, metadata, raw_json, request_json, useful_error,
)
from tray.model import RequestRecord


def by_id(records: list[RequestRecord], request_id: str) -> RequestRecord:
    return next(r for r in records if r.id == request_id)


def test_roles_in_order_then_response(records: list[RequestRecord]) -> None:
    found = blocks(by_id(records, "chatcmpl-009"))
    assert [(b.kind, b.text) for b in found] == [
        ("system", "Be brief."), ("user", "What is 2+2?"), ("assistant", "4"),
        ("user", "And times three? [req-009]"), ("response", "12")]


def test_tool_calls_and_results(records: list[RequestRecord]) -> None:
    found = blocks(by_id(records, "chatcmpl-012"))
    assert found[1].text == '→ get_weather({"city": "Łódź"})  [call_1]'
    assert (found[2].kind, found[2].title, found[2].text) == ("tool", "tool · call_1", '{"temp_c": 3}')


def test_content_parts_hide_inline_images() -> None:
    message = {"role": "user", "content": [
        {"type": "text", "text": "Describe"},
        {"type": "image_url", "image_url": {"url": "data:image/png;base64,AAAA"}},
        {"type": "image_url", "image_url": {"url": "https://example.com/cat.png"}}]}
    assert message_text(message) == "Describe\n[image]\n[image: https://example.com/cat.png]"


def test_multiline_and_unicode_kept_exactly(records: list[RequestRecord], samples: ModuleType) -> None:
    assert blocks(by_id(records, "chatcmpl-005"))[0].text == samples.MULTILINE_TEXT + " [req-005]"
    assert blocks(by_id(records, "chatcmpl-004"))[0].text == samples.UNICODE_TEXT + " [req-004]"


def test_error_block_keeps_the_message_and_last_frames(records: list[RequestRecord]) -> None:
    error = blocks(by_id(records, "chatcmpl-010"))[-1]
    assert (error.kind, error.title) == ("error", "error 500")
    lines = error.text.splitlines()
    assert lines[0].startswith("litellm.InternalServerError: InternalServerError: OpenAIException")
    assert "httpx.ConnectError: All connection attempts failed" in lines
    assert "Traceback (last 3 of 4 frames; the raw JSON view has it all):" in lines
    assert "map_httpcore_exceptions" not in error.text  # the outermost frame is left out
    assert lines[-1] == "    raise OpenAIError(status_code=500, message=str(e))"


def test_error_without_traceback_is_whole() -> None:
    assert useful_error("  No connected db.\n") == "No connected db."


def test_hidden_masks_texts_but_not_titles(records: list[RequestRecord]) -> None:
    found = blocks(by_id(records, "chatcmpl-010"), hidden=True)
    assert [b.title for b in found] == ["user", "error 500"]
    assert all(b.text.startswith("[hidden: ") for b in found)


def test_display_redacts_keys_left_in_a_store() -> None:
    record = RequestRecord("x", messages=[{"role": "user", "content": "key sk-proj-ABCDEF1234567890abcdef"}],
                           response="use Bearer sk-live-0123456789abcdef", status="error",
                           error="api_key=sk-ant-0123456789abcdef")
    everything = "\n".join(b.text for b in blocks(record)) + raw_json(record) + request_json(record)
    for secret in ("sk-proj-", "sk-live-", "sk-ant-"):
        assert secret not in everything
    assert all(secret not in block_copy_text(record, b) for b in blocks(record) for secret in ("sk-",))


def test_copy_gives_whole_text_even_when_hidden(records: list[RequestRecord], samples: ModuleType) -> None:
    record = by_id(records, "chatcmpl-013")
    block = blocks(record, hidden=True)[0]
    assert block.text.startswith("[hidden: ")
    assert block_copy_text(record, block) == record.messages[0]["content"]
    assert samples.MARKER_50K in block_copy_text(record, block)
    assert block_copy_text(record, Block("response", "response", "x")) == "Hello from cheap"


def test_raw_json_is_the_contract_object(records: list[RequestRecord]) -> None:
    record = by_id(records, "chatcmpl-008")
    assert json.loads(raw_json(record)) == record.to_json()
    hidden = json.loads(raw_json(record, hidden=True))
    assert hidden["messages"][0]["content"].startswith("[hidden: ")
    assert hidden["response"].startswith("[hidden: ") and hidden["tags"] == ["jobB", "batch"]


def test_metadata_lines(records: list[RequestRecord]) -> None:
    lines = dict(metadata(by_id(records, "chatcmpl-013")))
    assert lines["tokens in / out / total"] == "11,250 / 20 / 11,270"
    assert lines["status"] == "ok 200" and lines["model"] == "cheap"
    assert lines["endpoint"] == "not in the log"
    embedded = RequestRecord("x", endpoint="/v1/embeddings")
    assert dict(metadata(embedded))["endpoint"] == "/v1/embeddings"
