"""`/metrics` in every LiteLLM era, recorded and synthetic, and the ways it can fail."""

from __future__ import annotations

import json
import math
from collections import Counter
from pathlib import Path

import httpx
import pytest

from tests.proxy.eras import DOCS_ERA, ERA_2024
from tests.proxy.servers import FIXTURES, filter_exposition
from tray.proxy.client import ProxyClient
from tray.proxy.exposition import parse_samples
from tray.proxy.histogram import delta, quantile
from tray.proxy.metrics import ENTERPRISE_ONLY, WANTED, MetricsUnavailable, fetch_metrics, summarize

KEY = "sk-test-master-1234567890"
OPEN_RELEASES = ["litellm-1.110.2", "litellm-1.108.7", "litellm-1.81.3"]


def fetch(body: str, status: int = 200, key: str | None = KEY, seen: list | None = None, honour_names: bool = True):
    def handler(request: httpx.Request) -> httpx.Response:
        if seen is not None:
            seen.append(request)
        if request.url.path == "/metrics":
            return httpx.Response(307, headers={"location": "/metrics/?" + request.url.query.decode()})
        names = set(request.url.params.get_list("name[]"))
        served = filter_exposition(body, names) if status == 200 and honour_names else body
        return httpx.Response(status, text=served)

    with ProxyClient("http://localhost:4000", key, transport=httpx.MockTransport(handler)) as client:
        return fetch_metrics(client, clock=lambda: 1000.0)


def truth(release: str) -> list[dict]:
    lines = (FIXTURES / release / "truth-debug.jsonl").read_text().splitlines()
    return [json.loads(line) for line in lines]


@pytest.mark.parametrize("release", OPEN_RELEASES)
def test_recorded_metrics_match_what_the_client_sent(release: str) -> None:
    """Against the client's own record: requests, failures, per model, tokens."""
    snap = fetch((FIXTURES / release / "metrics.txt").read_text())
    sent = truth(release)
    assert snap.era == "current"
    assert snap.requests_total == len(sent)
    assert snap.requests_failed == sum(r["status_code"] != 200 for r in sent)
    by_model = Counter(r["model"] for r in sent)
    for group in ("cheap", "balanced", "frontier", "broken"):
        assert snap.requests_by_model[group] == by_model[group]
    ok = [r for r in sent if r["status_code"] == 200]
    assert snap.tokens_total == sum(r["total_tokens"] for r in ok)
    assert snap.tokens_input == sum(r["prompt_tokens"] for r in ok)
    assert snap.tokens_output == sum(r["completion_tokens"] for r in ok)
    assert set(snap.spend_by_model) == {"cheap", "balanced", "frontier"}   # model groups, not deployments
    assert snap.spend_total == pytest.approx(sum(snap.spend_by_model.values()))
    # Every non-streamed success reported its cost in a header: spend is at least that.
    for group in ("cheap", "balanced", "frontier"):
        known = sum(r["response_cost"] or 0 for r in ok if r["model"] == group)
        assert snap.spend_by_model[group] >= known - 1e-12
    assert snap.latency_p50 is not None and 0 < snap.latency_p50 <= snap.latency_p95 < 60
    assert any(state != "healthy" for name, state in snap.deployments.items() if "127.0.0.1:9" in name)
    assert snap.process_start and snap.process_start > 1.7e9


def test_double_counting_release_is_corrected() -> None:
    snap = fetch((FIXTURES / "litellm-1.81.3" / "metrics.txt").read_text())
    assert snap.note and "#19929" in snap.note


def test_enterprise_only_era_says_upgrade() -> None:
    with pytest.raises(MetricsUnavailable) as caught:
        fetch((FIXTURES / "litellm-1.74.15.post2" / "metrics.txt").read_text())
    assert caught.value.kind == "enterprise"
    assert str(caught.value) == ENTERPRISE_ONLY and "1.80" in ENTERPRISE_ONLY and "Enterprise" in ENTERPRISE_ONLY


def test_enterprise_era_gauge_form() -> None:
    with pytest.raises(MetricsUnavailable, match="Enterprise"):
        fetch("# TYPE litellm_not_a_premium_user_metric gauge\nlitellm_not_a_premium_user_metric 0.0\n")


def test_2024_era() -> None:
    snap = fetch(ERA_2024)
    assert snap.era == "2024"
    assert (snap.requests_total, snap.requests_failed) == (12.0, 2.0)       # 10 successes + 2 failures
    assert snap.requests_by_model == {"gpt-4o-mini": 9.0, "gpt-4o": 3.0}
    assert snap.spend_total == 1.0 and snap.spend_by_model == {"gpt-4o-mini": 0.25, "gpt-4o": 0.75}
    assert snap.tokens_total == 900.0 and snap.tokens_input is None and snap.tokens_output is None
    assert snap.latency_p50 == pytest.approx(5 / 6 * 0.5)


def test_docs_era_names() -> None:
    snap = fetch(DOCS_ERA)
    assert snap.era == "docs"
    assert (snap.requests_total, snap.requests_failed) == (42, 4)
    assert snap.requests_by_model == {"cheap": 40, "frontier": 2}
    assert (snap.tokens_total, snap.tokens_input, snap.tokens_output) == (150, 100, 50)
    assert snap.spend_total is None
    assert snap.latency_p95 == pytest.approx(0.1 + 0.9 * (0.95 * 42 - 10) / 30)


def test_no_samples_yet_is_zero_with_a_hint() -> None:
    snap = fetch("# HELP python_info x\n# TYPE python_info gauge\npython_info{version=\"3.11\"} 1.0\n")
    assert snap.era == "empty" and snap.requests_total == 0
    assert snap.note and "prometheus" in snap.note


def test_asks_only_for_what_it_reads() -> None:
    seen: list[httpx.Request] = []
    fetch((FIXTURES / "litellm-1.110.2" / "metrics.txt").read_text(), seen=seen)
    assert set(seen[0].url.params.get_list("name[]")) == set(WANTED)
    assert seen[0].headers["accept-encoding"] == "gzip"
    assert all(not name.endswith("_created") for name in WANTED)


def test_401_explains_auth_setting() -> None:
    body = json.dumps({"error": {"message": "Unauthorized access to metrics endpoint"}})
    with pytest.raises(MetricsUnavailable) as caught:
        fetch(body, status=401)
    message = str(caught.value)
    assert caught.value.kind == "auth"
    assert "require_auth_for_metrics_endpoint: false" in message and "master key" in message
    assert KEY not in message
    with pytest.raises(MetricsUnavailable, match="no master key was found"):
        fetch(body, status=401, key=None)


def test_404_says_enable_the_callback() -> None:
    with pytest.raises(MetricsUnavailable, match='callbacks: \\["prometheus"\\]'):
        fetch('{"detail":"Not Found"}', status=404)


def test_500_and_garbage() -> None:
    with pytest.raises(MetricsUnavailable, match="HTTP 500: boom"):
        fetch('{"error": {"message": "boom"}}', status=500)
    with pytest.raises(MetricsUnavailable, match="not Prometheus metrics") as caught:
        fetch("<!DOCTYPE html><html><body>Login</body></html>", honour_names=False)
    assert caught.value.kind == "garbage"
    with pytest.raises(MetricsUnavailable, match="not Prometheus metrics"):
        fetch("hello world\nthis is not it\n", honour_names=False)


@pytest.mark.parametrize("release", [*OPEN_RELEASES, "litellm-1.74.15.post2"])
def test_fast_parser_agrees_with_prometheus_client(release: str) -> None:
    from prometheus_client.parser import text_string_to_metric_families

    text = (FIXTURES / release / "metrics.txt").read_text()
    names = {name for family in text_string_to_metric_families(text) for name, *_ in family.samples}
    expected = sorted((s.name, sorted(s.labels.items()), s.value)
                      for family in text_string_to_metric_families(text) for s in family.samples)
    ours = sorted((s.name, sorted(s.labels.items()), s.value) for s in parse_samples(text, names))
    assert ours == expected


def test_escaped_label_values_are_read_like_prometheus_client() -> None:
    text = 'litellm_spend_metric_total{requested_model="we\\"ird\\\\name",model="x"} 2.5\n'
    (sample,) = parse_samples(text, {"litellm_spend_metric_total"})
    assert sample.labels["requested_model"] == 'we"ird\\name'
    assert summarize([sample], 0).spend_by_model == {'we"ird\\name': 2.5}


def test_nan_and_inf_samples_are_ignored() -> None:
    text = ("litellm_proxy_total_requests_metric_total{requested_model=\"a\"} NaN\n"
            "litellm_proxy_total_requests_metric_total{requested_model=\"b\"} 3\n"
            "litellm_in_flight_requests +Inf\n")
    snap = summarize(parse_samples(text, WANTED), 0)
    assert snap.requests_total == 3 and snap.in_flight is None


def test_quantiles() -> None:
    buckets = {0.1: 0.0, 0.5: 50.0, 1.0: 100.0, math.inf: 100.0}
    assert quantile(0.5, buckets) == pytest.approx(0.5)
    assert quantile(0.25, buckets) == pytest.approx(0.3)
    assert quantile(0.95, buckets) == pytest.approx(0.95)
    assert quantile(0.99, {1.0: 0.0, math.inf: 5.0}) == 1.0       # in +Inf: highest finite bound
    assert quantile(0.5, {}) is None and quantile(0.5, {math.inf: 0.0}) is None
    assert delta({1.0: 5.0, math.inf: 6.0}, {1.0: 2.0, math.inf: 2.0}) == {1.0: 3.0, math.inf: 4.0}
    assert delta({1.0: 1.0, math.inf: 1.0}, {1.0: 2.0, math.inf: 2.0}) == {1.0: 1.0, math.inf: 1.0}


def test_fixture_files_exist() -> None:
    assert all((FIXTURES / r / "metrics.txt").exists() for r in OPEN_RELEASES)
    assert Path(FIXTURES / "litellm-1.74.15.post2" / "metrics.txt").exists()
