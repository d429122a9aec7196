"""Recorded output of real LiteLLM proxies against the client-side ground truth.

Every client request must be found exactly once with the right model, stream flag, status
and status code; response text, token counts and costs must be right wherever the log holds
them; no secret may come out. See tests/fixtures/README.md for how the logs were recorded.
"""

from __future__ import annotations

import collections
import json
import os
import re
from contextlib import closing
from pathlib import Path

import pytest

from tray.logs.follow import identity_of, open_for_reading
from tray.logs.ingest import ingest_file
from tray.logs.reader import read_whole_file
from tray.logs.tail import last_requests
from tray.model import RequestRecord
from tray.store import Checkpoint, Store

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
RELEASES = sorted(p.name for p in FIXTURES.glob("litellm-*") if (p / "truth-debug.jsonl").exists())
SECRETS = ("sk-master-fixture-0000", "sk-fake-upstream-key", "sk-proj-", "sk-live-")
MARKER = re.compile(r"\[req-\d+\]")


def load(release: str, name: str) -> tuple[list[RequestRecord], list[dict], object]:
    """A recorded log (`debug`, `json`, `plain`, or a scenario's) read whole, and its truth."""
    folder = FIXTURES / release
    records, reader, _ = read_whole_file(folder / f"{name}.log", secrets=["sk-master-fixture-0000"])
    truth = [json.loads(line) for line in (folder / f"truth-{name}.jsonl").read_text().splitlines()]
    return records, truth, reader


def by_marker(records: list[RequestRecord], marker: re.Pattern[str] = MARKER
              ) -> dict[str | None, list[RequestRecord]]:
    found: dict[str | None, list[RequestRecord]] = collections.defaultdict(list)
    for record in records:
        markers = marker.findall(record.last_user_text)
        found[markers[-1] if markers else None].append(record)
    return found


def has_access_lines(release: str, fmt: str) -> bool:
    # LiteLLM 1.74 in JSON mode writes no uvicorn access lines at all.
    return not (fmt == "json" and release.startswith("litellm-1.74"))


@pytest.mark.parametrize("release", RELEASES)
@pytest.mark.parametrize("fmt", ["debug", "json"])
def test_every_request_exactly_once_with_its_facts(release: str, fmt: str) -> None:
    records, truth, reader = load(release, fmt)
    assert reader.prompts_visible
    found = by_marker(records)
    with_body = [t for t in truth if not t["wrong_key"]]
    for expected in with_body:
        matches = found.get(expected["marker"], [])
        assert len(matches) == 1, f"{expected['marker']} found {len(matches)} times"
        record = matches[0]
        where = f"{release}/{fmt} {expected['marker']}"
        assert record.model == expected["model"], where
        assert record.stream == expected["stream"], where
        assert record.status == expected["expected_status"], where
        if has_access_lines(release, fmt):
            assert record.status_code == expected["status_code"], where
        else:
            assert record.status_code in (None, expected["status_code"]), where
        assert [m["content"] for m in record.messages][-1].endswith(expected["marker"]), where
        if record.response is not None:
            assert record.response == expected["response"], where
        for field in ("prompt_tokens", "completion_tokens", "total_tokens"):
            if getattr(record, field) is not None:
                assert getattr(record, field) == expected[field], f"{where} {field}"
        if record.id == expected.get("litellm_call_id") and expected.get("response_cost") is not None \
                and record.cost is not None:
            assert record.cost == pytest.approx(expected["response_cost"]), where
    # Requests refused at authentication leave only their access line: counted, not lost.
    refused = [t for t in truth if t["wrong_key"]]
    access_only = [r for r in found.get(None, []) if not r.messages]
    if has_access_lines(release, fmt):
        assert sorted(r.status_code for r in access_only if r.status_code == 400) \
            >= sorted(t["status_code"] for t in refused)
    assert len({r.id for r in records}) == len(records)


#: Releases whose debug log names each success's call id next to its text, usage and cost.
#: 1.108 logs the response (text and usage) with no call id: it is given only where a single
#: request can own it (see below); 1.110 logs one only with a real upstream (see upstream.log).
RESPONSES_UNDER_CALL_ID = ["litellm-1.74.15.post2", "litellm-1.81.3"]


@pytest.mark.parametrize("release", RESPONSES_UNDER_CALL_ID)
def test_older_releases_give_response_usage_and_cost_of_each_success(release: str) -> None:
    """1.74 and 1.81 log each success's text, usage and cost under its call id."""
    records, truth, _ = load(release, "debug")
    found = by_marker(records)
    for expected in truth:
        if expected["wrong_key"] or expected["expected_status"] != "ok":
            continue
        record = found[expected["marker"]][0]
        assert record.total_tokens == expected["total_tokens"], expected["marker"]
        assert record.prompt_tokens == expected["prompt_tokens"], expected["marker"]
        if not expected["stream"]:
            assert record.response == expected["response"], expected["marker"]
        if expected.get("response_cost") is not None:
            assert record.cost == pytest.approx(expected["response_cost"]), expected["marker"]


#: 1.108 logs a chat's answer and usage only in the router's "Async Response" line, which
#: names no request (1.74 and 1.81 write it too, beside the lines that name the call id).
ROUTER_ANSWERS_ONLY = ["litellm-1.108.7"]
_ROUTER_ANSWER = re.compile(r"Async Response: ModelResponse\(id='(?P<id>[^']+)'.*?\bmodel='(?P<model>[^']+)'")


def answered_alone(log: Path, truth: list[dict]) -> set[str]:
    """Markers of the chats whose router answer LiteLLM wrote while no other chat that was not
    streamed was under way on the same deployment (its call line written, its outcome line not
    yet), read from the log's line order and the client's ids, independently of the parser."""
    lines = log.read_text(encoding="utf-8", errors="replace").splitlines()
    answers: dict[str, tuple[int, str]] = {}
    for number, line in enumerate(lines):
        answer = _ROUTER_ANSWER.search(line)
        if answer:
            answers[answer["id"]] = (number, answer["model"])

    def first(needle: str, after: int = 0) -> int | None:
        return next((n for n in range(after, len(lines)) if needle in lines[n]), None)

    under_way = []                  # (marker, call line, outcome line, deployment)
    for t in truth:
        call_id = t.get("litellm_call_id")
        called = first(f"litellm_call_id='{call_id}'") if call_id and not t["stream"] else None
        if called is not None:      # (an invalid model is refused before any call)
            deployment = re.search(r", model='([^']+)'", lines[called])[1]
            under_way.append((t["marker"], called, first(f"litellm_call_id={call_id}", called), deployment))
    alone = set()
    for marker, _, _, deployment in under_way:
        answer_id = next(t["id"] for t in truth if t["marker"] == marker)
        if answer_id in answers:
            at, model = answers[answer_id]
            assert deployment.endswith(model)
            if not any(start < at < end and other_deployment == deployment
                       for other, start, end, other_deployment in under_way if other != marker):
                alone.add(marker)
    return alone


@pytest.mark.parametrize("release", ROUTER_ANSWERS_ONLY)
@pytest.mark.parametrize("fmt", ["debug", "json"])
def test_a_chat_alone_on_its_model_gets_the_router_s_answer(release: str, fmt: str) -> None:
    """The router's answer names no request: it goes to the one chat under way to that model,
    and to none while several are (8 requests at once on 3 models: a model with one chat among
    them still tells whose answer it is)."""
    records, truth, _ = load(release, fmt)
    expected = answered_alone(FIXTURES / release / f"{fmt}.log", truth)
    assert len(expected) >= 2
    truth_of = {t["marker"]: t for t in truth}
    answered = {marker for marker, [record] in by_marker(records).items()
                if marker and record.response is not None}
    assert answered == expected
    for marker in answered:
        [record] = by_marker(records)[marker]
        t = truth_of[marker]
        assert (record.response, record.prompt_tokens, record.completion_tokens, record.total_tokens) == \
            (t["response"], t["prompt_tokens"], t["completion_tokens"], t["total_tokens"]), marker


SAME_PROMPTS = sorted(p.name for p in FIXTURES.glob("litellm-*") if (p / "same-prompts.log").exists())


@pytest.mark.parametrize("release", SAME_PROMPTS)
def test_the_same_prompts_to_every_model_at_once_keep_each_answer_with_its_request(release: str) -> None:
    """18 requests in flight and only three conversations among them, each sent to every model,
    streamed and not: no text tells them apart, only their call ids. Each is found once under
    its call id with its own model, stream flag, status and messages, and wherever the log
    holds them, its own answer and usage (a mix-up would give one model's answer to another)."""
    records, truth, _ = load(release, "same-prompts")
    assert len(truth) == 18 and len({t["response"] for t in truth}) == 3
    by_id = {record.id: record for record in records}
    assert len(records) == len(by_id) == len(truth)
    for expected in truth:
        record = by_id[expected["litellm_call_id"]]
        where = f"{release} {expected['marker']}"
        assert (record.model, record.stream, record.status, record.status_code) == \
            (expected["model"], expected["stream"], "ok", 200), where
        assert [m["content"] for m in record.messages] == [m["content"] for m in expected["messages"]], where
        if release in RESPONSES_UNDER_CALL_ID:
            assert record.response == expected["response"], where
            assert (record.prompt_tokens, record.completion_tokens, record.total_tokens) == \
                (expected["prompt_tokens"], expected["completion_tokens"], expected["total_tokens"]), where
        else:
            assert record.response in (None, expected["response"]), where


ENDPOINTS = sorted(p.name for p in FIXTURES.glob("litellm-*") if (p / "endpoints.log").exists())
END_MARKER = re.compile(r"\[end-\d+\]")


@pytest.mark.parametrize("release", ENDPOINTS)
def test_other_endpoints_are_found_with_their_prompts(release: str) -> None:
    """Legacy completions (`prompt`), the Responses API (`input` as a text, as messages, as
    content parts, after `instructions`), embeddings (one text, two), Anthropic's /v1/messages
    (`system` beside `messages`) and a chat with an image, 11 in flight: each found exactly
    once under its call id, its text shown as its messages, with its model, stream flag,
    status and the endpoint it was sent to. A streamed Responses API call writes no outcome line: its access line is its
    outcome (200 on 1.110; older releases fail it with a 500)."""
    records, truth, _ = load(release, "endpoints")
    assert {t["path"] for t in truth} == {"/v1/completions", "/v1/responses", "/v1/embeddings",
                                          "/v1/chat/completions", "/v1/messages"}
    found = by_marker(records, END_MARKER)
    assert len(records) == len(truth)
    # 1.74 writes no request body for Anthropic's /v1/messages: such a request is counted, with
    # its status, from its access line alone.
    bodiless = [t for t in truth if release.startswith("litellm-1.74") and t["path"] == "/v1/messages"]
    assert sorted(r.status_code for r in found[None] if not r.messages) == \
        sorted(t["status_code"] for t in bodiless)
    assert {r.endpoint for r in found[None]} <= {"/v1/messages"}
    for expected in truth:
        if expected in bodiless:
            continue
        where = f"{release} {expected['marker']} {expected['path']}"
        assert len(found[expected["marker"]]) == 1, where
        record = found[expected["marker"]][0]
        assert record.id == expected["litellm_call_id"], where
        assert (record.model, record.stream, record.status_code, record.endpoint) == \
            (expected["model"], expected["stream"], expected["status_code"], expected["path"]), where
        assert record.status == ("ok" if expected["status_code"] == 200 else "error"), where
        assert [(m["role"], m["content"]) for m in record.messages] == \
            [(m["role"], m["content"]) for m in expected["messages"]], where
        if record.response is not None:
            assert record.response == expected["response"], where
        elif release in RESPONSES_UNDER_CALL_ID and expected["status_code"] == 200 and not expected["stream"]:
            assert expected["path"] == "/v1/embeddings", f"{where}: no answer"
        # (A streamed legacy completion tells its client 0 prompt tokens, and logs the count.)
        for field in ("prompt_tokens", "completion_tokens", "total_tokens"):
            if getattr(record, field) is not None and not expected["stream"]:
                assert getattr(record, field) == expected[field], f"{where} {field}"


def test_without_access_lines_the_call_line_tells_the_endpoint() -> None:
    """LiteLLM 1.74 writes no access lines in JSON mode: a request's endpoint (where the viewer
    replays it) comes from the function its call line names."""
    records, _, _ = load("litellm-1.74.15.post2", "json")
    answered = [r for r in records if r.status == "ok"]
    assert answered and {r.endpoint for r in answered} == {"/v1/chat/completions"}


UPSTREAMS = sorted(p.name for p in FIXTURES.glob("litellm-*") if (p / "upstream.log").exists())
UP_MARKER = re.compile(r"\[up-\d+\]")


@pytest.mark.parametrize("release", UPSTREAMS)
@pytest.mark.parametrize("name", ["upstream", "upstream-json"])
def test_a_real_upstream_s_answers_go_to_their_requests(release: str, name: str) -> None:
    """Calling a real upstream (not `mock_response`), LiteLLM logs each raw answer with its
    usage, naming no request; an answer is given only where a single request under way can own
    it. Each chat sent one by one and not streamed gets its answer and token counts; of six sent
    at once, none gets another's. The upstream's own refusals (a rate limit, a server error)
    are failures with the upstream's status code and words."""
    records, truth, _ = load(release, name)
    found = by_marker(records, UP_MARKER)
    assert len(records) == len(truth) == 14
    for expected in truth:
        where = f"{release} {name} {expected['marker']}"
        [record] = found[expected["marker"]]
        status = "ok" if expected["status_code"] == 200 else "error"
        assert (record.model, record.stream, record.status) == (expected["model"], expected["stream"], status), where
        if status == "error" or has_access_lines(release, "json" if name.endswith("json") else "debug"):
            assert record.status_code == expected["status_code"], where   # an error's class tells it
        if status == "error":
            code = expected["status_code"]
            assert record.error and f"Upstream says {code}" in record.error, where
            assert ("RateLimitError" if code == 429 else "InternalServerError") in record.error, where
        if record.response is not None or record.total_tokens is not None:
            assert record.response == expected["response"], where
            assert (record.prompt_tokens, record.completion_tokens, record.total_tokens) == \
                (expected["prompt_tokens"], expected["completion_tokens"], expected["total_tokens"]), where
    one_by_one = [t for t in truth if t["marker"] <= "[up-06]" and not t["stream"]]
    assert len(one_by_one) == 5
    assert [found[t["marker"]][0].response for t in one_by_one] == [t["response"] for t in one_by_one]
    assert all(found[t["marker"]][0].total_tokens == t["total_tokens"] for t in one_by_one)
    shown = json.dumps([r.to_json() for r in records])
    assert not [secret for secret in SECRETS if secret in shown]     # the upstream's key among them


RESTARTS = sorted(p.name for p in FIXTURES.glob("litellm-*") if (p / "restart.log").exists())
RESTART_MARKER = re.compile(r"\[rst-\d+\]")


@pytest.mark.parametrize("release", RESTARTS)
def test_requests_in_flight_when_the_proxy_is_killed_end_as_errors(release: str) -> None:
    """Three requests answered; three waiting on a silent upstream when the proxy is killed
    (SIGKILL) and started again on the same log; three answered after. The three lost have no
    outcome line: each is still found once, as an error saying the proxy restarted first."""
    records, truth, _ = load(release, "restart")
    found = by_marker(records, RESTART_MARKER)
    assert len(records) == len(truth) == 9
    for expected in truth:
        assert len(found[expected["marker"]]) == 1, expected["marker"]
        record = found[expected["marker"]][0]
        lost = expected["status_code"] is None
        assert (record.model, record.stream, record.status) == \
            (expected["model"], expected["stream"], "error" if lost else "ok"), expected["marker"]
        assert record.error == ("the proxy restarted before answering" if lost else None), expected["marker"]
        assert record.status_code == expected["status_code"], expected["marker"]


def test_one_worker_of_several_starting_fails_no_request(tmp_path: Path) -> None:
    """With several workers uvicorn starts a parent process first, and it restarts a worker
    that dies: that worker's "Started server process" is no restart of the proxy, and the
    requests other workers serve are not failed. The parent's line is one."""
    log = (FIXTURES / "litellm-1.110.2" / "restart.log").read_bytes()
    parent = b"INFO:     Started parent process [1]\n"
    worker_restarted = tmp_path / "worker.log"
    worker_restarted.write_bytes(parent + log)
    errors = [r.error for r in read_whole_file(worker_restarted)[0] if r.status == "error"]
    assert errors == []                                   # the three lost are still under way
    proxy_restarted = tmp_path / "proxy.log"
    first, _, rest = log.partition(b"Started server process")
    second, _, tail = rest.partition(b"INFO:     Started server process")
    proxy_restarted.write_bytes(parent + first + b"Started server process" + second
                                + parent + b"INFO:     Started server process" + tail)
    errors = [r.error for r in read_whole_file(proxy_restarted)[0] if r.status == "error"]
    assert errors == ["the proxy restarted before answering"] * 3


def workers_log(tmp_path: Path, parent: bool) -> tuple[Path, int]:
    """The recorded restart (a worker of several started again, if `parent`: the proxy's parent
    line comes first) behind 3 MB of health checks; and where the recorded part begins. A
    reader of the last requests, or one resuming from a checkpoint there, begins after the
    parent's line."""
    head = (b"INFO:     Started parent process [1]\n" if parent else b"") + \
        b'INFO:     127.0.0.1:50000 - "GET /health/liveliness HTTP/1.1" 200 OK\n' * 45_000
    path = tmp_path / f"workers-{parent}.log"
    path.write_bytes(head + (FIXTURES / "litellm-1.110.2" / "restart.log").read_bytes())
    return path, len(head)


def errors_resuming_at(path: Path, offset: int, store_path: Path) -> list[str | None]:
    """The errors an import resumed from a checkpoint at `offset` stores."""
    fd = open_for_reading(path)
    try:
        identity = identity_of(fd)
    finally:
        os.close(fd)
    assert identity is not None
    with closing(Store(store_path)) as store:
        store.commit([], Checkpoint(str(path), identity.device, identity.inode, identity.fingerprint, offset))
        ingest_file(path, store)
        return [r.error for r in store.recent() if r.status == "error"]


def test_a_reader_beginning_after_the_parent_s_line_knows_the_proxy_runs_workers(tmp_path: Path) -> None:
    """The last requests, or an import resumed from a checkpoint, begin after the parent's
    line: the lines before it still tell them the proxy runs workers (tray.logs.lookback)."""
    lost = ["the proxy restarted before answering"] * 3
    for parent, expected in ((True, []), (False, lost)):
        path, recorded = workers_log(tmp_path, parent)
        records, _ = last_requests(path, 6)
        assert [r.error for r in records if r.status == "error"] == expected
        assert errors_resuming_at(path, recorded, tmp_path / f"store-{parent}.sqlite3") == expected


@pytest.mark.parametrize("release", RELEASES)
def test_latest_call_ids_are_the_record_ids(release: str) -> None:
    records, truth, _ = load(release, "debug")
    ids = {r.id for r in records}
    bound = [t for t in truth if t.get("litellm_call_id") and t["model"] != "does-not-exist"
             and not t["wrong_key"]]
    assert sum(t["litellm_call_id"] in ids for t in bound) == len(bound)


@pytest.mark.parametrize("release", RELEASES)
def test_plain_log_counts_requests_by_status_and_says_prompts_are_hidden(release: str) -> None:
    records, truth, reader = load(release, "plain")
    assert not reader.prompts_visible
    assert collections.Counter(r.status_code for r in records) == \
        collections.Counter(t["status_code"] for t in truth)
    assert all(r.status == ("ok" if r.status_code < 400 else "error") for r in records)


@pytest.mark.parametrize("release", RELEASES)
@pytest.mark.parametrize("fmt", ["debug", "json", "plain"])
def test_no_secret_leaves_the_parser(release: str, fmt: str) -> None:
    records, _, _ = load(release, fmt)
    text = json.dumps([r.to_json() for r in records], ensure_ascii=False)
    for secret in SECRETS:
        assert secret not in text
    if fmt != "plain":
        assert "[REDACTED]" in text   # the prompts that held keys are there, redacted
