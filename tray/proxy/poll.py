"""One poll of the proxy: health, then metrics and spend, as one `ProxySnapshot`.

The entry point for the engine's poller and for `litellm-tray status`. A part that fails
leaves its field None and its reason in `errors`; nothing here raises for a bad proxy.
"""

from __future__ import annotations

import time
from typing import Callable

from tray.model import ProxySnapshot
from tray.proxy.client import ProxyClient, ProxyError
from tray.proxy.health import check_health
from tray.proxy.metrics import MetricsUnavailable, fetch_metrics
from tray.proxy.rates import rates
from tray.proxy.spend import fetch_spend


def poll_once(client: ProxyClient, previous: ProxySnapshot | None = None, *, spend: bool = True,
              clock: Callable[[], float] = time.time) -> ProxySnapshot:
    """Poll everything once. `previous` (the last snapshot) gives rates; `spend=False` skips
    the database endpoints (they cost the proxy a query: poll them less often)."""
    health = check_health(client)
    snap = ProxySnapshot(url=client.base_url, taken_at=clock(), health=health,
                         warnings=list(client.warnings))
    if not health.up:
        snap.errors.append(f"proxy down: {health.error or 'no answer'}")
        return snap
    try:
        snap.metrics = fetch_metrics(client, clock)
    except (MetricsUnavailable, ProxyError) as exc:
        snap.metrics_error = str(exc)
        snap.errors.append(snap.metrics_error)
    if previous is not None and previous.metrics is not None and snap.metrics is not None:
        snap.rates = rates(previous.metrics, snap.metrics)
    if spend:
        snap.spend = fetch_spend(client)
    return snap
