"""LiteLLM's `/metrics`, in every naming era, reduced to a `MetricsSnapshot`.

Eras (sample names as served):
- current (>= 1.80, and 1.5x before Prometheus went Enterprise-only): `litellm_proxy_total_requests_metric_total`,
  `litellm_proxy_failed_requests_metric_total`, `litellm_{total,input,output}_tokens_metric_total`, ...
- 2024: `litellm_requests_metric_total` (successes), `litellm_llm_api_failed_requests_metric_total`,
  `litellm_total_tokens_total`, `litellm_spend_metric_total`.
- docs: the names in older docs and users' notes: `litellm_requests_total`,
  `litellm_llm_api_failed_requests_total`, `litellm_tokens_total`, `litellm_request_duration_seconds`.
- enterprise (1.53 to 1.79): only `litellm_not_a_premium_user_metric`.

Only those samples are asked for (`?name[]=...`, gzip) and only they are parsed.
"""

from __future__ import annotations

import time
from collections import defaultdict
from typing import Callable, Iterable

from tray.model import MetricsSnapshot
from tray.proxy.client import ProxyClient
from tray.proxy.exposition import NotExposition, Sample, finite, parse_samples
from tray.proxy.histogram import quantile

# current era
TOTAL = "litellm_proxy_total_requests_metric_total"
FAILED = "litellm_proxy_failed_requests_metric_total"
TOKENS = "litellm_total_tokens_metric_total"
TOKENS_IN = "litellm_input_tokens_metric_total"
TOKENS_OUT = "litellm_output_tokens_metric_total"
SPEND = "litellm_spend_metric_total"
SUCCESSES = "litellm_requests_metric_total"            # the 2024 "requests" counter: successes
LLM_FAILED = "litellm_llm_api_failed_requests_metric_total"
DEPLOYMENT_SUCCESS = "litellm_deployment_success_responses_total"
LATENCY = "litellm_request_total_latency_metric_bucket"
LLM_LATENCY = "litellm_llm_api_latency_metric_bucket"
IN_FLIGHT = "litellm_in_flight_requests"
DEPLOYMENT_STATE = "litellm_deployment_state"
# 2024 era
TOKENS_2024 = "litellm_total_tokens_total"
TOKENS_IN_2024 = "litellm_input_tokens_total"
TOKENS_OUT_2024 = "litellm_output_tokens_total"
# names from older docs
DOCS_REQUESTS = "litellm_requests_total"
DOCS_FAILED = "litellm_llm_api_failed_requests_total"
DOCS_TOKENS = "litellm_tokens_total"
DOCS_LATENCY = "litellm_request_duration_seconds_bucket"
# Enterprise-only era, and the proxy's own start time (restarts)
NOT_PREMIUM = ("litellm_not_a_premium_user_metric", "litellm_not_a_premium_user_metric_total")
PROCESS_START = "process_start_time_seconds"

WANTED: tuple[str, ...] = (
    TOTAL, FAILED, TOKENS, TOKENS_IN, TOKENS_OUT, SPEND, SUCCESSES, LLM_FAILED, DEPLOYMENT_SUCCESS, LATENCY,
    LLM_LATENCY, IN_FLIGHT, DEPLOYMENT_STATE, TOKENS_2024, TOKENS_IN_2024, TOKENS_OUT_2024,
    DOCS_REQUESTS, DOCS_FAILED, DOCS_TOKENS, DOCS_LATENCY, *NOT_PREMIUM, PROCESS_START,
)

_CURRENT_MARKERS = (TOTAL, FAILED, TOKENS, TOKENS_IN, TOKENS_OUT)
_2024_MARKERS = (SUCCESSES, LLM_FAILED, TOKENS_2024, SPEND)
_DOCS_MARKERS = (DOCS_REQUESTS, DOCS_FAILED, DOCS_TOKENS)
_DEPLOYMENT_STATES = {0: "healthy", 1: "partial outage", 2: "complete outage"}
_EMPTY_LABELS = ("", "None", "none", "null")

ENTERPRISE_ONLY = ("this LiteLLM version serves Prometheus metrics to Enterprise users only: "
                   "upgrade LiteLLM to 1.80 or later (or use an Enterprise license)")
NO_METRICS = ("LiteLLM serves no /metrics: add callbacks: [\"prometheus\"] under litellm_settings "
              "in its config.yaml")


class MetricsUnavailable(Exception):
    """`/metrics` gave nothing usable. `kind`: auth, enterprise, missing, http or garbage."""

    def __init__(self, message: str, kind: str):
        super().__init__(message)
        self.kind = kind


def metrics_params() -> list[tuple[str, str]]:
    """`?name[]=...` for every sample the app reads: the server leaves the rest out."""
    return [("name[]", name) for name in WANTED]


def fetch_metrics(client: ProxyClient, clock: Callable[[], float] = time.time) -> MetricsSnapshot:
    """One `/metrics` poll. Raises MetricsUnavailable (with a reason for users) or ProxyError."""
    reply = client.get("/metrics", params=metrics_params())
    if reply.status in (401, 403):
        raise MetricsUnavailable(_auth_message(reply.status, reply.excerpt(client.secrets), client.has_key),
                                 "auth")
    if reply.status == 404:
        raise MetricsUnavailable(NO_METRICS, "missing")
    if not reply.ok:
        raise MetricsUnavailable(f"/metrics answered HTTP {reply.status}: {reply.excerpt(client.secrets)}",
                                 "http")
    try:
        return summarize(parse_samples(reply.text(), WANTED), clock())
    except NotExposition as exc:
        raise MetricsUnavailable(f"/metrics: {exc}", "garbage") from None


def _auth_message(status: int, said: str, has_key: bool) -> str:
    key = ("the master key was refused (check LITELLM_MASTER_KEY)" if has_key
           else "no master key was found (set LITELLM_MASTER_KEY)")
    return (f"/metrics answered {status} ({said}): {key}. Some LiteLLM releases refuse even the right key "
            "there when they have no database; litellm_settings.require_auth_for_metrics_endpoint: false "
            "lets the app read metrics without one")


def summarize(samples: Iterable[Sample], taken_at: float) -> MetricsSnapshot:
    """The snapshot for a set of samples: pure, whatever era they come from."""
    samples = [s for s in samples if finite(s.value)]
    present = {s.name for s in samples}
    groups = _GroupNames(samples)
    sums: dict[str, float] = defaultdict(float)
    by_model: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    for s in samples:
        sums[s.name] += s.value
        by_model[s.name][groups.of(s.labels)] += s.value

    def total(name: str) -> float:
        return sums.get(name, 0.0)

    def models(*names: str) -> dict[str, float]:
        merged: dict[str, float] = defaultdict(float)
        for name in names:
            for model, value in by_model.get(name, {}).items():
                merged[model] += value
        return dict(merged)

    snap = MetricsSnapshot(taken_at=taken_at, era="empty")
    snap.process_start = sums.get(PROCESS_START)
    if present & set(_CURRENT_MARKERS):
        snap.era = "current"
        snap.requests_total, snap.requests_failed = total(TOTAL), total(FAILED)
        snap.requests_by_model, snap.failed_by_model = models(TOTAL), models(FAILED)
        if _counted_twice(samples, total(SUCCESSES), SUCCESSES in present):
            _undo_double_count(snap, total(SUCCESSES), models(DEPLOYMENT_SUCCESS) or models(SUCCESSES))
        snap.tokens_total, snap.tokens_input, snap.tokens_output = total(TOKENS), total(TOKENS_IN), total(TOKENS_OUT)
        snap.spend_total, snap.spend_by_model = total(SPEND), models(SPEND)
    elif present & set(_2024_MARKERS):
        snap.era = "2024"
        # Successes and failures were counted apart then.
        snap.requests_total = total(SUCCESSES) + total(LLM_FAILED)
        snap.requests_failed = total(LLM_FAILED)
        snap.requests_by_model, snap.failed_by_model = models(SUCCESSES, LLM_FAILED), models(LLM_FAILED)
        snap.tokens_total = total(TOKENS_2024)
        snap.tokens_input = sums.get(TOKENS_IN_2024)
        snap.tokens_output = sums.get(TOKENS_OUT_2024)
        snap.spend_total, snap.spend_by_model = total(SPEND), models(SPEND)
    elif present & set(_DOCS_MARKERS):
        snap.era = "docs"
        snap.requests_total, snap.requests_failed = total(DOCS_REQUESTS), total(DOCS_FAILED)
        snap.requests_by_model, snap.failed_by_model = models(DOCS_REQUESTS), models(DOCS_FAILED)
        snap.tokens_total, snap.tokens_input, snap.tokens_output = _docs_tokens(samples)
    elif present & set(NOT_PREMIUM):
        raise MetricsUnavailable(ENTERPRISE_ONLY, "enterprise")
    else:
        snap.requests_total = snap.requests_failed = 0.0
        snap.note = ("no LiteLLM request metrics yet: no requests since the proxy started, "
                     "or callbacks: [\"prometheus\"] is not set in LiteLLM's config.yaml")
    _latency(snap, samples, present)
    if IN_FLIGHT in present:
        snap.in_flight = total(IN_FLIGHT)
    snap.deployments = _deployments(samples)
    return snap


def _counted_twice(samples: list[Sample], successes: float, have_successes: bool) -> bool:
    """LiteLLM ~1.80-1.81 ran its post-call hooks twice (LiteLLM issue #19929): the proxy request
    counters count non-streaming successes and every failure twice. Seen as more 2xx requests
    than the success counter (fed by the logging callback, which was right) has."""
    if not have_successes:
        return False
    ok = sum(s.value for s in samples if s.name == TOTAL and s.labels.get("status_code", "").startswith("2"))
    return ok > successes + 0.5


def _undo_double_count(snap: MetricsSnapshot, successes: float, ok_by_model: dict[str, float]) -> None:
    snap.requests_failed = (snap.requests_failed or 0.0) / 2
    snap.failed_by_model = {model: value / 2 for model, value in snap.failed_by_model.items()}
    snap.requests_total = successes + snap.requests_failed
    merged = dict(ok_by_model)
    for model, value in snap.failed_by_model.items():
        merged[model] = merged.get(model, 0.0) + value
    snap.requests_by_model = merged
    snap.note = ("this LiteLLM version counts requests twice in litellm_proxy_total_requests_metric "
                 "(LiteLLM issue #19929): counts taken from its success counter and halved failures")


def _usable(value: str | None) -> bool:
    return value is not None and value not in _EMPTY_LABELS


class _GroupNames:
    """The model group of a series: `requested_model`, else the group its `model_id` or its
    deployment (`model`) serves according to other series, else the deployment name."""

    def __init__(self, samples: list[Sample]):
        self._by_id: dict[str, str] = {}
        groups_of: dict[str, set[str]] = defaultdict(set)
        for s in samples:
            group = s.labels.get("requested_model")
            if not _usable(group):
                continue
            if _usable(s.labels.get("model_id")):
                self._by_id.setdefault(s.labels["model_id"], group)  # type: ignore[arg-type]
            if _usable(s.labels.get("model")):
                groups_of[s.labels["model"]].add(group)  # type: ignore[arg-type]
        # A deployment name maps to a group only when no other group uses it.
        self._by_model = {model: next(iter(groups)) for model, groups in groups_of.items() if len(groups) == 1}

    def of(self, labels: dict[str, str]) -> str:
        for key in ("requested_model", "model_group"):
            if _usable(labels.get(key)):
                return labels[key]
        mapped = self._by_id.get(labels.get("model_id", "")) or self._by_model.get(labels.get("model", ""))
        if mapped:
            return mapped
        model = labels.get("model") or labels.get("litellm_model_name")
        return model if _usable(model) else "(unknown)"


def _docs_tokens(samples: list[Sample]) -> tuple[float, float | None, float | None]:
    total, split = 0.0, {"input": 0.0, "output": 0.0}
    seen_split = False
    for s in samples:
        if s.name != DOCS_TOKENS:
            continue
        total += s.value
        kind = (s.labels.get("type") or s.labels.get("token_type") or "").lower()
        side = {"input": "input", "prompt": "input", "output": "output", "completion": "output"}.get(kind)
        if side:
            seen_split = True
            split[side] += s.value
    return total, (split["input"] if seen_split else None), (split["output"] if seen_split else None)


def _latency(snap: MetricsSnapshot, samples: list[Sample], present: set[str]) -> None:
    name = next((n for n in (LATENCY, LLM_LATENCY, DOCS_LATENCY) if n in present), None)
    if name is None:
        return
    buckets: dict[float, float] = defaultdict(float)
    for s in samples:
        if s.name == name and "le" in s.labels:
            try:
                buckets[float(s.labels["le"])] += s.value
            except ValueError:
                continue
    snap.latency_buckets = dict(buckets)
    snap.latency_p50 = quantile(0.5, buckets)
    snap.latency_p95 = quantile(0.95, buckets)


def _deployments(samples: list[Sample]) -> dict[str, str]:
    worst: dict[str, int] = {}
    for s in samples:
        if s.name != DEPLOYMENT_STATE:
            continue
        name = s.labels.get("litellm_model_name") or s.labels.get("model_id") or "(unknown)"
        base = s.labels.get("api_base", "")
        if base not in _EMPTY_LABELS:
            name = f"{name} @ {base}"
        worst[name] = max(worst.get(name, 0), int(s.value))
    return {name: _DEPLOYMENT_STATES.get(state, f"state {state}") for name, state in sorted(worst.items())}
