"""Real HTTP servers on 127.0.0.1 for the proxy tests: well-behaved, hostile, LiteLLM-shaped.

A server is a table of routes: path -> function(handler) that writes the whole answer.
Each runs in its own thread; `serve()` is a context manager that stops it afterwards.
"""

from __future__ import annotations

import contextlib
import gzip
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Callable, Iterator
from urllib.parse import parse_qs, urlsplit

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
Route = Callable[["Handler"], None]


class Handler(BaseHTTPRequestHandler):
    """Dispatches to the server's routes; records each request's path and headers."""

    server: "RouteServer"
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
        self.server.seen.append((self.path, dict(self.headers)))
        route = self.server.routes.get(urlsplit(self.path).path)
        if route is None:
            self.send_text(404, "not found")
            return
        try:
            route(self)
        except (BrokenPipeError, ConnectionResetError):
            pass

    def log_message(self, *args: Any) -> None:
        pass

    @property
    def query(self) -> dict[str, list[str]]:
        return parse_qs(urlsplit(self.path).query)

    def send_body(self, status: int, body: bytes, content_type: str = "text/plain; charset=utf-8",
                  headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def send_text(self, status: int, text: str, content_type: str = "text/plain; charset=utf-8") -> None:
        self.send_body(status, text.encode("utf-8"), content_type)

    def send_json(self, status: int, data: Any) -> None:
        self.send_body(status, json.dumps(data).encode(), "application/json")


class RouteServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, routes: dict[str, Route]):
        super().__init__(("127.0.0.1", 0), Handler)
        self.routes = routes
        self.seen: list[tuple[str, dict[str, str]]] = []

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


@contextlib.contextmanager
def serve(routes: dict[str, Route]) -> Iterator[RouteServer]:
    server = RouteServer(routes)
    thread = threading.Thread(target=server.serve_forever, name="test-http-server", daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


# -- routes ----------------------------------------------------------------------------------------


def alive(handler: Handler) -> None:
    handler.send_json(200, "I'm alive!")


def text(status: int, body: str, content_type: str = "text/plain; charset=utf-8") -> Route:
    return lambda handler: handler.send_text(status, body, content_type)


def json_route(status: int, data: Any) -> Route:
    return lambda handler: handler.send_json(status, data)


def redirect(location: str, status: int = 307) -> Route:
    """Like Starlette's slash redirect: same path plus '/', query kept."""

    def route(handler: Handler) -> None:
        query = urlsplit(handler.path).query
        handler.send_response(status)
        handler.send_header("Location", location + (f"?{query}" if query and "?" not in location else ""))
        handler.send_header("Content-Length", "0")
        handler.end_headers()

    return route


def exposition(body: str) -> Route:
    """`/metrics` as prometheus_client serves it: honours `name[]` and gzip."""

    def route(handler: Handler) -> None:
        names = handler.query.get("name[]")
        data = filter_exposition(body, set(names)) if names else body
        raw = data.encode("utf-8")
        headers = {}
        if "gzip" in handler.headers.get("Accept-Encoding", ""):
            raw, headers = gzip.compress(raw), {"Content-Encoding": "gzip"}
        handler.send_body(200, raw, "text/plain; version=0.0.4; charset=utf-8", headers)

    return route


def filter_exposition(body: str, names: set[str]) -> str:
    """Only the samples named (and their family's HELP/TYPE), as a restricted registry answers."""
    kept: list[str] = []
    header: list[str] = []
    for line in body.splitlines():
        if line.startswith("#"):
            header.append(line)
            continue
        name = line.split("{", 1)[0].split(" ", 1)[0]
        if name in names:
            kept.extend(header)
            header = []
            kept.append(line)
    return "\n".join(kept) + ("\n" if kept else "")


def drip(body: bytes = b"x" * 100, every: float = 1.0, status: int = 200) -> Route:
    """Headers at once, then one byte every `every` seconds."""

    def route(handler: Handler) -> None:
        handler.send_response(status)
        handler.send_header("Content-Type", "text/plain")
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        for i in range(len(body)):
            handler.wfile.write(body[i:i + 1])
            handler.wfile.flush()
            time.sleep(every)

    return route


def drip_headers(every: float = 1.0) -> Route:
    """The status line and headers themselves, one byte a second."""

    def route(handler: Handler) -> None:
        head = b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n" + b"X-Slow: " + b"y" * 200 + b"\r\n\r\n"
        for i in range(len(head)):
            handler.wfile.write(head[i:i + 1])
            handler.wfile.flush()
            time.sleep(every)
        handler.close_connection = True

    return route


def huge(size: int = 1 << 30, chunk: int = 1 << 20, declare_length: bool = False) -> Route:
    """A `size`-byte body produced by a generator, chunk by chunk, never held whole."""

    def route(handler: Handler) -> None:
        handler.send_response(200)
        handler.send_header("Content-Type", "text/plain")
        if declare_length:
            handler.send_header("Content-Length", str(size))
        else:
            handler.send_header("Transfer-Encoding", "chunked")
        handler.end_headers()
        block = b"litellm_spend_metric_total 1.0\n" * (chunk // 31)
        sent = 0
        while sent < size:
            piece = block[: min(len(block), size - sent)]
            if declare_length:
                handler.wfile.write(piece)
            else:
                handler.wfile.write(b"%x\r\n%s\r\n" % (len(piece), piece))
            sent += len(piece)
        if not declare_length:
            handler.wfile.write(b"0\r\n\r\n")
        handler.server.sent = sent  # type: ignore[attr-defined]

    return route


def litellm_routes(metrics: str, *, spend_tags: Route | None = None, global_spend: Route | None = None,
                   key: str | None = None) -> dict[str, Route]:
    """A LiteLLM-shaped proxy: liveliness, the `/metrics` 307, and no database unless given."""
    no_db = json_route(500, {"error": {"message": "/spend/tags ErrorDatabase not connected. Connect a database",
                                       "type": "internal_error", "param": "None", "code": "500"}})
    metrics_route = exposition(metrics)
    if key is not None:
        metrics_route = requires_key(key, metrics_route)
    return {
        "/health/liveliness": alive,
        "/metrics": redirect("/metrics/"),
        "/metrics/": metrics_route,
        "/spend/tags": spend_tags or no_db,
        "/global/spend": global_spend or no_db,
    }


def requires_key(key: str, route: Route) -> Route:
    def guarded(handler: Handler) -> None:
        if handler.headers.get("Authorization") != f"Bearer {key}":
            handler.send_json(401, {"error": {"message": "Unauthorized access to metrics endpoint: Invalid "
                                              "proxy server token passed. set litellm_settings."
                                              "require_auth_for_metrics_endpoint: false", "code": "401"}})
            return
        route(handler)

    return guarded


def fixture_metrics(release: str = "litellm-1.110.2") -> str:
    return (FIXTURES / release / "metrics.txt").read_text(encoding="utf-8")
