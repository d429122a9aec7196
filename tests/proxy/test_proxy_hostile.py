"""Hostile and odd servers on 127.0.0.1: every poll ends in bounded time with a clear reason,
and `status` exits 0 whatever the server does."""

from __future__ import annotations

import io
import json
import socket
import time
import tracemalloc
from pathlib import Path
from typing import Any

import pytest

from tests.proxy.eras import DOCS_ERA, ERA_2024
from tests.proxy.servers import (
    Route, alive, drip, drip_headers, fixture_metrics, huge, litellm_routes, serve, text,
)
from tray.commands.status import run_status
from tray.config import Settings
from tray.proxy.client import ProxyClient, ProxyTimeout, ResponseTooLarge
from tray.proxy.poll import poll_once

DEADLINE = 2.0
MiB = 1024 * 1024


def settings_for(tmp_path: Path, url: str, **changes: Any) -> Settings:
    values: dict[str, Any] = dict(proxy_url=url, log_path=tmp_path / "none.log", litellm_config=tmp_path / "c.yaml",
                                  env_file=tmp_path / "env", data_dir=tmp_path / "data",
                                  request_timeout=DEADLINE, max_response_bytes=8 * MiB)
    values.update(changes)
    return Settings(**values)


def timed_status(settings: Settings) -> tuple[dict[str, Any], float]:
    out = io.StringIO()
    started = time.monotonic()
    code = run_status(settings, as_json=True, log_given=False, out=out, err=io.StringIO())
    elapsed = time.monotonic() - started
    assert code == 0
    return json.loads(out.getvalue()), elapsed


def with_metrics(route: Route) -> dict[str, Route]:
    return {"/health/liveliness": alive, "/metrics": route, "/spend/tags": text(404, "nope"),
            "/global/spend": text(404, "nope")}


# Each case: routes, then what the JSON's errors (or proxy error) must say.
CASES: dict[str, tuple[dict[str, Route], str]] = {
    "metrics 401": (litellm_routes(fixture_metrics(), key="sk-other-key-123"), "require_auth_for_metrics_endpoint"),
    "metrics 500": (with_metrics(text(500, "Internal Server Error")), "/metrics answered HTTP 500: Internal Server Error"),
    "HTML error page everywhere": ({path: text(502, "<html><head><title>502 Bad Gateway</title></head></html>",
                                               "text/html") for path in ("/health/liveliness", "/metrics")},
                                   "HTML page: 502 Bad Gateway"),
    "HTML login page as metrics": (with_metrics(text(200, "<!doctype html><html><body>Sign in</body></html>",
                                                     "text/html")), "not Prometheus metrics"),
    "garbage text": (with_metrics(text(200, "\x00\x01garbage ☃ {{{{\nmore garbage\n")), "not Prometheus metrics"),
    "no /metrics": (with_metrics(text(404, '{"detail":"Not Found"}', "application/json")),
                    'callbacks: ["prometheus"]'),
    "enterprise era": (litellm_routes(fixture_metrics("litellm-1.74.15.post2")), "Enterprise"),
}


@pytest.mark.parametrize("case", CASES)
def test_bad_answers_are_explained(tmp_path: Path, case: str) -> None:
    routes, reason = CASES[case]
    with serve(routes) as server:
        status, elapsed = timed_status(settings_for(tmp_path, server.url))
    said = " ".join(status["errors"]) + " " + str(status["proxy"]["error"])
    assert reason in said
    assert status["requests"]["total"] is None
    assert elapsed < 4 * DEADLINE


ERAS = {
    "current (1.110)": (fixture_metrics("litellm-1.110.2"), 43),
    "current, counted twice (1.81)": (fixture_metrics("litellm-1.81.3"), 43),
    "2024": (ERA_2024, 12),
    "older docs": (DOCS_ERA, 42),
}


@pytest.mark.parametrize("era", ERAS)
def test_every_era_through_a_real_server(tmp_path: Path, era: str) -> None:
    body, requests = ERAS[era]
    with serve(litellm_routes(body)) as server:
        status, elapsed = timed_status(settings_for(tmp_path, server.url))
    assert status["proxy"]["up"] is True and status["requests"]["total"] == requests
    assert elapsed < DEADLINE


def test_connection_refused(tmp_path: Path) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    status, elapsed = timed_status(settings_for(tmp_path, f"http://127.0.0.1:{port}"))
    assert status["proxy"]["up"] is False and "connection refused" in status["proxy"]["error"]
    assert elapsed < DEADLINE


@pytest.mark.parametrize("where", ["liveliness body", "liveliness headers", "metrics body"])
def test_slow_drip_stops_at_the_deadline(tmp_path: Path, where: str) -> None:
    routes = litellm_routes(fixture_metrics())
    if where == "liveliness body":
        routes["/health/liveliness"] = drip()
    elif where == "liveliness headers":
        routes["/health/liveliness"] = drip_headers()
    else:
        routes["/metrics/"] = drip(fixture_metrics().encode())
    with serve(routes) as server:
        status, elapsed = timed_status(settings_for(tmp_path, server.url))
    said = " ".join(status["errors"])
    assert f"no complete answer within {DEADLINE:g} s" in said
    assert elapsed < DEADLINE + 1.0      # one poll: this request's deadline plus quick others


def test_slow_drip_client_alone_keeps_its_deadline() -> None:
    with serve({"/x": drip(b"y" * 1000, every=0.2)}) as server, ProxyClient(server.url, timeout=1.0) as client:
        started = time.monotonic()
        with pytest.raises(ProxyTimeout):
            client.get("/x")
        assert time.monotonic() - started < 1.3


@pytest.mark.parametrize("declare_length", [False, True])
def test_one_gigabyte_body_is_cut_at_the_cap(tmp_path: Path, declare_length: bool) -> None:
    server_routes = {"/x": huge(1 << 30, declare_length=declare_length)}
    tracemalloc.start()
    try:
        with serve(server_routes) as server, ProxyClient(server.url, timeout=10, max_bytes=8 * MiB) as client:
            started = time.monotonic()
            with pytest.raises(ResponseTooLarge, match="8 MiB"):
                client.get("/x")
            elapsed = time.monotonic() - started
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert elapsed < 5
    assert peak < 64 * MiB          # never near 1 GB: the body was never held whole
    assert getattr(server, "sent", 0) < 256 * MiB


def test_one_gigabyte_metrics_in_status(tmp_path: Path) -> None:
    routes = litellm_routes("")
    routes["/metrics/"] = huge(1 << 30)
    with serve(routes) as server:
        status, elapsed = timed_status(settings_for(tmp_path, server.url))
    assert any("larger than 8 MiB" in e for e in status["errors"])
    assert elapsed < 4 * DEADLINE


def test_metrics_server_ignoring_name_filter_still_parses(tmp_path: Path) -> None:
    """A server (or a proxy in front) that ignores `name[]` serves everything: still right."""
    with serve(with_metrics(lambda h: h.send_text(200, fixture_metrics()))) as server:
        with ProxyClient(server.url) as client:
            snap = poll_once(client)
    assert snap.metrics is not None and snap.metrics.requests_total == 43
