"""Shortcuts the scanner takes for speed must not change what it finds."""

from __future__ import annotations

import json
import random

from tray.logs.parse import _ANSI, LineScanner, _decode


def test_decoding_strips_colour_codes_exactly_as_a_full_substitution() -> None:
    rng = random.Random(1)
    pieces = ["\x1b[92m", "\x1b[0m", "\x1b[1;31m", "\x1b[", "\x1b", "abc", "19:00:00 - ", "é", "\r", "x" * 30]
    for _ in range(20_000):
        raw = "".join(rng.choice(pieces) for _ in range(rng.randint(0, 12))).encode()
        assert _decode(raw) == _ANSI.pattern.sub("", raw.decode()).rstrip("\r")


def test_lines_naming_the_call_id_only_as_a_key_are_skipped() -> None:
    lines = [
        b"19:55:48 - LiteLLM:DEBUG: prometheus.py:1641 - prometheus Logging - Enters success logging "
        b"function (kwargs keys: ['litellm_trace_id', 'litellm_call_id', 'input'])",
        b"19:55:48 - LiteLLM Proxy:DEBUG: common_request_processing.py:1884 - litellm_call_id="
        b"2ff772ac-e037-421f-a620-a8c0b185e188: response model mismatch - requested='cheap'",
        b"19:55:48 - LiteLLM:DEBUG: x.py:1 - keys ['litellm_call_id'] then 'litellm_call_id': "
        b"'2ff772ac-e037-421f-a620-a8c0b185e188', 'messages': [{'content': 'hi'}]",
    ]
    data = b"\n".join(lines) + b"\n"
    starts = [start for start, _ in LineScanner()._interesting_lines(data, 0)]
    second = len(lines[0]) + 1
    assert starts == [second, second + len(lines[1]) + 1]


def test_lines_next_to_a_long_call_line_are_found_as_in_a_pass_over_the_whole_chunk() -> None:
    """The markers after the call id are looked for only around the long lines naming one:
    every line that holds a marker, right before or after such a line, is still found."""
    call_id = "2ff772ac-e037-421f-a620-a8c0b185e188"
    long_call = (f"19:55:48 - LiteLLM:DEBUG: utils.py:1 - litellm.acompletion(model='openai/x', "
                 f"messages=[{{'role': 'user', 'content': '{'y' * 4000}'}}], litellm_call_id='{call_id}')")
    short_call = f"19:55:48 - LiteLLM Proxy:DEBUG: x.py:1 - litellm_call_id={call_id}: response model mismatch"
    access = 'INFO:     127.0.0.1:46138 - "POST /v1/chat/completions HTTP/1.1" 200 OK'
    received = "19:55:48 - LiteLLM Proxy:DEBUG: proxy_server.py:1 - Request received by LiteLLM:"
    started = "INFO:     Started server process [8167]"
    quiet = "19:55:48 - LiteLLM:DEBUG: utils.py:1 - nothing to see here"
    rng = random.Random(2)
    kinds = [long_call, short_call, access, received, started, quiet, quiet]
    for _ in range(300):
        lines = [rng.choice(kinds) for _ in range(rng.randint(1, 12))]
        data = ("\n".join(lines) + rng.choice(["\n", ""])).encode()
        offsets = [sum(len(line) + 1 for line in lines[:i]) for i in range(len(lines))]
        expected = [(at, at + len(line)) for at, line in zip(offsets, lines) if line != quiet]
        assert LineScanner()._interesting_lines(data, 0) == expected


def test_a_long_body_is_read_whole_and_the_lines_it_quotes_give_no_event() -> None:
    """A request body's line is read with the line announcing it, whatever it holds: the
    markers in a long one (passed over when looking for the other markers) give no event."""
    from tray.logs.events import Start

    call_id = "2ff772ac-e037-421f-a620-a8c0b185e188"
    quoted = (f'why "POST /v1/chat/completions HTTP/1.1" 500 and litellm_call_id={call_id}: '
              "response model mismatch? Started server process [1] " + "x" * 3000)
    body = json.dumps({"model": "cheap", "messages": [{"role": "user", "content": quoted}]})
    lines = ["19:55:48 - LiteLLM Proxy:DEBUG: proxy_server.py:1 - Request received by LiteLLM:", body,
             'INFO:     127.0.0.1:46138 - "POST /v1/chat/completions HTTP/1.1" 200 OK']
    data = ("\n".join(lines) + "\n").encode()
    scanner = LineScanner()
    found = scanner._interesting_lines(data, 0)
    assert [start for start, _ in found] == [0, len(lines[0]) + len(body) + 2]
    located = scanner.scan(data, 0)
    assert [type(item.event).__name__ for item in located] == ["Start", "Access"]
    start = located[0].event
    assert isinstance(start, Start) and start.messages == [{"role": "user", "content": quoted}]


def test_a_long_line_quoting_an_access_line_is_not_taken_for_one() -> None:
    from tray.logs.events import Access, Bind, events_from_message

    quoted = 'receiving data: {\'messages\': [{\'content\': \'why "POST /v1/chat/completions HTTP/1.1" 500?'
    long_line = quoted + "x" * 5000 + "'}], 'litellm_call_id': '2ff772ac-e037-421f-a620-a8c0b185e188'}"
    assert [type(e) for e in events_from_message(long_line)] == [Bind]
    access = '127.0.0.1:46138 - "POST /v1/chat/completions HTTP/1.1" 200'
    assert [type(e) for e in events_from_message(access)] == [Access]


def test_a_prompt_quoting_an_outcome_line_is_not_taken_for_one() -> None:
    """LiteLLM writes a request's "model mismatch" line and an exception's "Exception occured"
    at the start of their messages: a prompt quoting them, deep in a call line or in the
    success kwargs, is neither a finished request nor a failed one (and those long lines are
    not searched through for them)."""
    from tray.logs.events import Bind, Cost, Done, Failure, events_from_message

    call_id = "2ff772ac-e037-421f-a620-a8c0b185e188"
    done = f"litellm_call_id={call_id}: response model mismatch - requested='cheap'"
    failed = ("litellm.proxy.proxy_server._handle_llm_api_exception(): Exception occured - "
              f"litellm_call_id={call_id} - boom")
    quoting = f"why does my log say {done} and then {failed}?"
    call_line = (f"litellm.acompletion(model='openai/gpt-4o-mini', messages=[{{'role': 'user', "
                 f"'content': '{'x' * 500} {quoting}'}}], litellm_call_id='{call_id}')")
    kwargs = ("prometheus Logging - Enters success logging function for kwargs {'litellm_call_id': "
              f"'{call_id}', 'messages': [{{'role': 'user', 'content': '{'x' * 500} {quoting}'}}], "
              "'response_cost': 0.5}")
    assert [type(e) for e in events_from_message(call_line)] == [Bind]
    assert [type(e) for e in events_from_message(kwargs)] == [Cost, Done]
    assert [type(e) for e in events_from_message(done)] == [Done]
    assert [type(e) for e in events_from_message(failed)] == [Failure]


def test_anchored_searches_find_what_the_regex_search_finds() -> None:
    from tray.logs import events, parse
    from tray.logs.anchored import Anchored

    anchored = [value for module in (events, parse) for value in vars(module).values()
                if isinstance(value, Anchored)]
    assert len(anchored) >= 8
    rng = random.Random(2)
    found = {search.literal: 0 for search in anchored}
    pieces = ["litellm_call_id", "=", "': '", "2ff772ac-e037-421f", ": response model mismatch",
              "litellm_call_id=2ff772ac-e037", "'litellm_call_id': '2ff772ac-e037'", "litellm_call_id: 0a",
              "'response_cost': ", "1.35e-05", "'call_type': '", "aembedding'",
              "'usage_object': {", "'completion_tokens': 20, ",
              "'prompt_tokens': 10, ", "'total_tokens': 30", "}", ")", "usage=Usage(", "completion_tokens=2, ",
              "prompt_tokens=1, ", "total_tokens=3", "message=Message(content=", "'message': {'content': ",
              "'", '"', "\\", "hi", "Exception occured - ", "None - ", "\n", " ", "x" * 40,
              "\x1b[92m", "\x1b[0m", "\x1b["]
    for _ in range(5_000):
        text = "".join(rng.choice(pieces) for _ in range(rng.randint(0, 30)))
        pos = rng.randint(0, len(text))
        for search in anchored:
            found[search.literal] += search.pattern.search(text) is not None
            for start in (0, pos):
                ours, theirs = search.search(text, start), search.pattern.search(text, start)
                assert (ours and (ours.span(), ours.groupdict())) == \
                    (theirs and (theirs.span(), theirs.groupdict())), (search.literal, text, start)
            assert [m.span() for m in search.finditer(text)] == [m.span() for m in search.pattern.finditer(text)]
    assert min(found.values()) >= 20, found     # every pattern was found, many times


def test_quoted_literals_are_found_as_the_regex_finds_them() -> None:
    """A model's answer is cut out of a line with str.find (tray.logs.anchored.QuotedAfter):
    on random mixes of quotes, escapes, backslash runs and lines cut short, it finds the same
    quote and text as the regex it stands for, from any starting place."""
    from tray.logs import events
    from tray.logs.anchored import QuotedAfter

    quoted = [value for value in vars(events).values() if isinstance(value, QuotedAfter)]
    assert len(quoted) == 3
    rng = random.Random(3)
    pieces = ["message=Message(content=", "'message': {'content': ", "'text': ", "'", '"', "\\", "\\", "\\'",
              '\\"', "\\n", "hi", " ", "\n", "None", "Ünï 你好", ", role='assistant')", "x" * 30]
    found = {search.literal: 0 for search in quoted}
    for _ in range(20_000):
        text = "".join(rng.choice(pieces) for _ in range(rng.randint(0, 24)))
        start = rng.randint(0, len(text))
        for search in quoted:
            for pos in (0, start):
                theirs = search.regex.pattern.search(text, pos)
                assert search.search(text, pos) == (theirs and (theirs["q"], theirs["text"])), (text, pos)
                found[search.literal] += theirs is not None
    assert min(found.values()) >= 1000, found


def test_a_raw_response_is_read_only_when_it_is_an_answer() -> None:
    """LiteLLM logs "RAW RESPONSE:" and the upstream's answer on the next line; with
    `mock_response` a plain text, for a stream a coroutine's repr: neither is read (nor costs
    more than a look at the next line)."""
    from tray.logs.events import Response

    head = b"07:14:08 - LiteLLM:DEBUG: litellm_logging.py:1910 - RAW RESPONSE:\n"
    answer = (b'{"id": "chatcmpl-1", "model": "gpt-4o-mini", "choices": [{"index": 0, "message": '
              b'{"role": "assistant", "content": "Hi there"}}], "usage": {"prompt_tokens": 3, '
              b'"completion_tokens": 2, "total_tokens": 5}}\n\n')
    for other in (b"my-original-response\n\n", b"<coroutine object OpenAIChatCompletion.async_streaming>\n\n"):
        scanner = LineScanner()
        assert scanner._interesting_lines(head + other, 0) == []
        assert scanner.scan(head + other, 0) == []
    [located] = LineScanner().scan(head + answer, 0)
    assert located.event == Response("Hi there", 3, 2, 5, "gpt-4o-mini", in_flight=True)
    as_json = json.dumps({"message": (head[52:] + answer).decode(), "level": "DEBUG"}).encode() + b"\n"
    assert as_json.startswith(b'{"message": "RAW RESPONSE:\\n{')
    [located] = LineScanner().scan(as_json, 0)
    assert located.event == Response("Hi there", 3, 2, 5, "gpt-4o-mini", in_flight=True)
