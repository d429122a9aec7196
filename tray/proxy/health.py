"""Is the proxy up? `/health/liveliness` answers without auth and without touching upstreams."""

from __future__ import annotations

import time
from typing import Callable

from tray.model import Health
from tray.proxy.client import ProxyClient, ProxyError

LIVELINESS = "/health/liveliness"


def check_health(client: ProxyClient, clock: Callable[[], float] = time.monotonic) -> Health:
    """Up when liveliness answers 200; otherwise down, with the reason users can act on."""
    started = clock()
    try:
        reply = client.get(LIVELINESS, auth=False)
    except ProxyError as exc:
        return Health(client.base_url, up=False, error=str(exc))
    latency = (clock() - started) * 1000
    if reply.ok:
        return Health(client.base_url, up=True, latency_ms=latency)
    return Health(client.base_url, up=False, latency_ms=latency,
                  error=f"{LIVELINESS} answered HTTP {reply.status}: {reply.excerpt(client.secrets)}")
