"""The proxy HTTP client: auth, redirects, deadline, size cap, warnings; the key never leaks."""

from __future__ import annotations

import gzip
import logging
import time

import httpx
import pytest

from tray.config import Settings
from tray.proxy.client import (
    ProxyClient, ProxyError, ProxyTimeout, ProxyUnreachable, RedirectRefused, ResponseTooLarge,
    describe_body, plain_http_warning,
)

KEY = "sk-test-master-1234567890"


def mock(handler) -> httpx.MockTransport:
    return httpx.MockTransport(handler)


def test_bearer_key_and_gzip_are_asked_for() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, text="ok")

    with ProxyClient("http://localhost:4000", KEY, transport=mock(handler)) as client:
        reply = client.get("/metrics", params=[("name[]", "a"), ("name[]", "b")])
        client.get("/health/liveliness", auth=False)
    assert reply.ok and reply.text() == "ok"
    assert seen[0].headers["authorization"] == f"Bearer {KEY}"
    assert seen[0].headers["accept-encoding"] == "gzip"
    assert seen[0].url.params.get_list("name[]") == ["a", "b"]
    assert "authorization" not in seen[1].headers


def test_same_origin_redirect_is_followed_with_the_key() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if request.url.path == "/metrics":
            return httpx.Response(307, headers={"location": f"http://localhost:4000/metrics/?{request.url.query.decode()}"})
        return httpx.Response(200, text="metrics here")

    with ProxyClient("http://localhost:4000", KEY, transport=mock(handler)) as client:
        reply = client.get("/metrics", params={"name[]": "x"})
    assert reply.text() == "metrics here" and reply.path == "/metrics/"
    assert [r.url.path for r in seen] == ["/metrics", "/metrics/"]
    assert all(r.headers["authorization"] == f"Bearer {KEY}" for r in seen)
    assert seen[1].url.params["name[]"] == "x"


@pytest.mark.parametrize("location", [
    "http://evil.example/metrics/",          # other host
    "https://localhost:4000/metrics/",       # other scheme
    "http://localhost:4001/metrics/",        # other port
    "//evil.example/metrics/",               # scheme-relative
])
def test_cross_origin_redirect_is_refused_and_the_key_stays(location: str) -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(302, headers={"location": location})

    with ProxyClient("http://localhost:4000", KEY, transport=mock(handler)) as client:
        with pytest.raises(RedirectRefused) as caught:
            client.get("/metrics")
    assert len(seen) == 1 and seen[0].url.host == "localhost"
    assert KEY not in str(caught.value)


def test_default_port_counts_as_the_same_origin() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/a":
            return httpx.Response(301, headers={"location": "https://proxy.example:443/b"})
        return httpx.Response(200, text="b")

    with ProxyClient("https://proxy.example", KEY, transport=mock(handler)) as client:
        assert client.get("/a").text() == "b"


def test_redirect_loop_ends() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(307, headers={"location": "/loop"})

    with ProxyClient("http://localhost:4000", transport=mock(handler)) as client:
        with pytest.raises(ProxyError, match="redirects"):
            client.get("/loop")


def test_size_cap_on_streamed_body() -> None:
    produced = []

    def body():
        for _ in range(1000):
            produced.append(1)
            yield b"x" * 65536

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=body())

    with ProxyClient("http://localhost:4000", transport=mock(handler), max_bytes=1024 * 1024) as client:
        with pytest.raises(ResponseTooLarge, match="1 MiB"):
            client.get("/metrics")
    assert len(produced) < 40   # stopped near the cap, not after 64 MB


def test_size_cap_counts_decoded_bytes_of_a_gzip_bomb() -> None:
    bomb = gzip.compress(b"0" * (50 * 1024 * 1024))    # 50 MB of zeros in ~50 KB

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, headers={"content-encoding": "gzip"}, content=iter([bomb]))

    with ProxyClient("http://localhost:4000", transport=mock(handler), max_bytes=1024 * 1024) as client:
        with pytest.raises(ResponseTooLarge):
            client.get("/metrics")


def test_gzip_body_is_decoded() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, headers={"content-encoding": "gzip"}, content=iter([gzip.compress(b"hello")]))

    with ProxyClient("http://localhost:4000", transport=mock(handler)) as client:
        assert client.get("/x").body == b"hello"


def test_deadline_holds_between_chunks() -> None:
    def body():
        for _ in range(100):
            time.sleep(0.05)
            yield b"x"

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=body())

    started = time.monotonic()
    with ProxyClient("http://localhost:4000", transport=mock(handler), timeout=0.3) as client:
        with pytest.raises(ProxyTimeout, match="0.3 s"):
            client.get("/slow")
    assert time.monotonic() - started < 1.0


def test_connection_errors_become_proxy_unreachable() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("[Errno 111] Connection refused")

    with ProxyClient("http://localhost:4000", KEY, transport=mock(handler)) as client:
        with pytest.raises(ProxyUnreachable, match="connection refused"):
            client.get("/health/liveliness")


def test_plain_http_warning_only_off_loopback() -> None:
    assert plain_http_warning("http://localhost:4000", KEY) is None
    assert plain_http_warning("http://127.0.0.1:4000", KEY) is None
    assert plain_http_warning("http://[::1]:4000", KEY) is None
    assert plain_http_warning("https://proxy.example", KEY) is None
    assert plain_http_warning("http://proxy.example", None) is None
    warning = plain_http_warning("http://10.0.0.5:4000", KEY)
    assert warning and "10.0.0.5" in warning and KEY not in warning


def test_warning_is_logged_without_the_key(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    with ProxyClient("http://proxy.example:4000", KEY, transport=mock(lambda r: httpx.Response(200))) as client:
        client.get("/x")
    assert client.warnings and "unencrypted" in client.warnings[0]
    assert "unencrypted" in caplog.text
    assert KEY not in caplog.text


def test_key_never_in_logs_or_errors(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)

    def handler(request: httpx.Request) -> httpx.Response:
        # A server echoing the header back into its error message.
        return httpx.Response(401, json={"error": {"message": f"bad token {request.headers['authorization']}"}})

    with ProxyClient("http://localhost:4000", KEY, transport=mock(handler)) as client:
        reply = client.get("/metrics")
        said = reply.excerpt(client.secrets)
    assert KEY not in said and "REDACTED" in said
    assert KEY not in caplog.text


def test_from_settings_takes_timeout_and_cap() -> None:
    settings = Settings(proxy_url="http://localhost:9999/", request_timeout=1.5, max_response_bytes=123)
    with ProxyClient.from_settings(settings, None) as client:
        assert (client.base_url, client.timeout, client.max_bytes) == ("http://localhost:9999", 1.5, 123)
        assert not client.has_key


@pytest.mark.parametrize("body, said", [
    ('{"error": {"message": "No connected db.", "type": "no_db_connection"}}', "No connected db."),
    ("<html><head><title>502 Bad Gateway</title></head><body>nginx</body></html>", "HTML page: 502 Bad Gateway"),
    ("<h1>Oops</h1><p>broken</p>", "HTML page: Oops broken"),
    ('{"detail": "Not Found"}', "Not Found"),
    ("plain\ntext", "plain text"),
])
def test_describe_body(body: str, said: str) -> None:
    assert describe_body(body) == said
