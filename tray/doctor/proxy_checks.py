"""Checks against the running proxy: alive, /metrics (authorised, which naming era), database.

Each takes a `ProxyClient`, whose every request has a deadline, so the doctor never hangs on
a proxy that accepts connections and then says nothing.
"""

from __future__ import annotations

from tray.doctor.finding import FAIL, OK, WARN, Finding
from tray.proxy.client import ProxyClient, ProxyError
from tray.proxy.health import LIVELINESS, check_health
from tray.proxy.metrics import NO_METRICS, MetricsUnavailable, fetch_metrics
from tray.proxy.spend import SpendUnavailable, spend_by_tag

CHECK_PROXY, CHECK_METRICS, CHECK_SPEND = "proxy", "/metrics", "/spend/tags"

START_ADVICE = ("start LiteLLM (litellm --config config.yaml --port 8000), or give its URL: --proxy URL, "
                "`url` under [proxy] in config.toml, or LITELLM_TRAY_PROXY")
AUTH_OFF = "litellm_settings.require_auth_for_metrics_endpoint: false"
ERAS = {
    "current": "current names (LiteLLM 1.80 or later)",
    "2024": "2024 names (litellm_requests_metric_total ...)",
    "docs": "the names of older docs (litellm_requests_total ...)",
}


def check_proxy(client: ProxyClient) -> Finding:
    health = check_health(client)
    if health.up:
        return Finding(CHECK_PROXY, OK, f"{client.base_url}{LIVELINESS} answers ({health.latency_ms or 0:.0f} ms)")
    return Finding(CHECK_PROXY, FAIL, f"{client.base_url}: {health.error}", START_ADVICE)


def check_metrics(client: ProxyClient) -> Finding:
    """Reachable, authorised, and in a naming era the app reads."""
    try:
        snap = fetch_metrics(client)
    except MetricsUnavailable as exc:
        return _metrics_unavailable(exc, client.has_key)
    except ProxyError as exc:
        return Finding(CHECK_METRICS, FAIL, str(exc), "the proxy answers liveliness but not /metrics in time")
    if snap.era == "empty":
        return Finding(CHECK_METRICS, WARN, "reachable, no LiteLLM request metrics yet",
                       'normal before the first request; otherwise add callbacks: ["prometheus"] '
                       "under litellm_settings in LiteLLM's config.yaml")
    total = f"{snap.requests_total:g}" if snap.requests_total is not None else "?"
    return Finding(CHECK_METRICS, OK, f"authorised; {ERAS.get(snap.era, snap.era)}; {total} requests so far")


def _metrics_unavailable(exc: MetricsUnavailable, has_key: bool) -> Finding:
    if exc.kind == "auth":
        said = str(exc).split(":", 1)[0]
        key = ("the master key was refused: check LITELLM_MASTER_KEY" if has_key
               else "no master key was found: set LITELLM_MASTER_KEY")
        return Finding(CHECK_METRICS, FAIL, f"not authorised ({said})",
                       f"{key}. LiteLLM without a database refuses even the right key there; "
                       f"{AUTH_OFF} in LiteLLM's config.yaml lets the app read metrics without one")
    if exc.kind == "enterprise":
        return Finding(CHECK_METRICS, WARN, "enterprise-only era: this LiteLLM (1.53 to 1.79) serves "
                       "Prometheus metrics to Enterprise users only",
                       "upgrade LiteLLM to 1.80 or later; until then counts and cost come from the log")
    if exc.kind == "missing":
        return Finding(CHECK_METRICS, WARN, "not served (404)", NO_METRICS.replace("LiteLLM serves no /metrics: ", ""))
    return Finding(CHECK_METRICS, FAIL, str(exc), "check that the URL is LiteLLM's proxy")


def check_spend(client: ProxyClient) -> Finding:
    """Whether LiteLLM has a database: spend by tag needs one."""
    try:
        tags = spend_by_tag(client)
    except SpendUnavailable as exc:
        if exc.no_database:
            return Finding(CHECK_SPEND, WARN, "LiteLLM has no database: spend by tag unavailable",
                           "spend still comes from /metrics and the log; for spend by tag give LiteLLM "
                           "a database (DATABASE_URL in its environment)")
        return Finding(CHECK_SPEND, WARN, str(exc))
    except ProxyError as exc:
        return Finding(CHECK_SPEND, WARN, str(exc))
    return Finding(CHECK_SPEND, OK, f"database connected; {len(tags)} tag(s) with spend")
