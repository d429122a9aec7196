"""Single requests: which failures notify, slow and hanging requests, and safe wording."""

from __future__ import annotations

from datetime import timezone

import pytest

from tray.alerts import Notifier, RequestSeen
from tray.alerts.failures import counts_for_outage, error_class, is_failure
from tray.config import NotifySettings
from tray.model import RequestRecord

DEFAULT_4XX = NotifySettings().failed_4xx


@pytest.mark.parametrize("code, notifies", [
    (500, True), (502, True), (503, True), (408, True), (429, True), (401, True), (403, True),
    (400, False), (404, False), (422, False),
])
def test_which_status_codes_notify_by_default(failure, code, notifies):
    assert is_failure(failure(code, error=f"HTTP {code}"), DEFAULT_4XX) is notifies


def test_upstream_errors_notify_whatever_their_code(failure):
    assert is_failure(failure(None, error="litellm.APIConnectionError: refused"), DEFAULT_4XX)
    assert is_failure(failure(400, error="litellm.Timeout: took too long"), DEFAULT_4XX)
    assert not is_failure(failure(400), DEFAULT_4XX)


def test_other_4xx_can_be_turned_on(failure, now):
    notifier = Notifier(NotifySettings(failed_4xx=(404,)), tz=timezone.utc)
    assert notifier.feed(failure(404), now)
    assert notifier.feed(failure(429), now + 100) == []


def test_outage_counts_what_litellm_counts(failure):
    assert counts_for_outage(failure(500)) and counts_for_outage(failure(408))
    assert counts_for_outage(failure(None, error="litellm.APIConnectionError: refused"))
    assert not counts_for_outage(failure(429)) and not counts_for_outage(failure(400))
    assert not counts_for_outage(failure(401))


def test_error_class_from_litellm_messages(failure):
    proxy_line = ("litellm.proxy.proxy_server._handle_llm_api_exception(): Exception occured - "
                  "litellm_call_id=6635 - litellm.InternalServerError: InternalServerError: "
                  "OpenAIException - Connection error.")
    assert error_class(failure(500, error=proxy_line)) == "InternalServerError"
    assert error_class(failure(502, error="")) == "HTTP 502"
    assert error_class(failure(None, error="")) == "error"


def test_text_from_the_log_is_redacted_and_kept_short(failure, now):
    notifier = Notifier(tz=timezone.utc)
    record = failure(500, model="cheap sk-proj-abcdefghijklmnop",
                     prompt="my key is sk-proj-0123456789abcdef and " + "x" * 500)
    (shown,) = notifier.feed(record, now)
    text = shown.title + shown.body
    assert "sk-proj" not in text and "[REDACTED]" in text
    assert len(shown.body) < 250


def test_ok_requests_and_client_errors_say_nothing(failure, success, now):
    notifier = Notifier(tz=timezone.utc)
    assert notifier.feed(success(), now) == []
    assert notifier.feed(failure(400), now + 1) == []


def test_slow_request(success, now):
    notifier = Notifier(NotifySettings(slow_seconds=60), tz=timezone.utc)
    assert notifier.feed(success(latency_ms=59_000), now) == []
    (shown,) = notifier.feed(success(latency_ms=125_000, model="balanced"), now + 1)
    assert (shown.title, shown.body, shown.severity) == ("Slow request: balanced", "Took 2 min.", "info")


def test_hanging_request_once_and_not_slow_afterwards(success, now):
    notifier = Notifier(NotifySettings(slow_seconds=60, hanging_seconds=300), tz=timezone.utc)
    assert notifier.feed(RequestSeen("r1", "cheap", now), now) == []
    assert notifier.tick(now + 299) == []
    (shown,) = notifier.tick(now + 300)
    assert (shown.title, shown.body, shown.request_ids) == (
        "Request hanging: cheap", "No answer after 5 min.", ("r1",))
    assert notifier.tick(now + 900) == []
    assert notifier.feed(success(latency_ms=400_000, id="r1"), now + 1000) == []


def test_a_request_that_finishes_in_time_never_hangs(success, now):
    notifier = Notifier(tz=timezone.utc)
    notifier.feed(RequestSeen("r2", "cheap"), now)
    notifier.feed(success(id="r2"), now + 5)
    assert notifier.tick(now + 3600) == []


def test_records_from_long_ago_do_not_notify(failure, now):
    notifier = Notifier(tz=timezone.utc)
    old = failure(500, time="2026-12-04T10:00:00+00:00")      # two hours before `now`
    assert notifier.feed(old, now) == []
    undated = failure(500, time="2026-12-04T10:00:00")         # no zone: cannot judge, keep it
    assert notifier.feed(undated, now)


def test_switched_off_rules_and_notifications(failure, success, now):
    notifier = Notifier(NotifySettings(failed=False, outage=False, slow=False), tz=timezone.utc)
    for i in range(20):
        assert notifier.feed(failure(500), now + i) == []
    assert notifier.feed(success(latency_ms=10**7), now + 30) == []
    off = Notifier(NotifySettings(enabled=False), tz=timezone.utc)
    assert off.feed(failure(500), now) == [] and off.tick(now + 60) == []


def test_a_failure_without_model_or_error_still_reads_well(now):
    record = RequestRecord(id="x", status="error", status_code=None)
    (shown,) = Notifier(tz=timezone.utc).feed(record, now)
    assert (shown.title, shown.body) == ("Request failed: unknown model", "error")


def test_a_hanging_request_says_which_prompt_it_is(now):
    """Which of the requests under way hangs: its prompt, cut to one line, with no key in it."""
    notifier = Notifier(NotifySettings(hanging_seconds=300), tz=timezone.utc)
    prompt = "Summarise the quarterly report\nwith key sk-proj-abcdefghijklmnopqrstuvwxyz0123456789 " + "and more " * 20
    notifier.feed(RequestSeen("r3", "frontier", now, prompt), now)
    (shown,) = notifier.tick(now + 301)
    first_line, quoted = shown.body.split("\n")
    assert first_line == "No answer after 5 min."
    assert quoted.startswith("“Summarise the quarterly report with key ") and quoted.endswith("…”")
    assert "sk-proj-abc" not in quoted and len(quoted) <= 62
