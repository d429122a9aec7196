"""A wall-clock deadline under every socket operation of an httpx transport.

httpx timeouts are per operation: a server that sends one byte a second never trips a
5-second read timeout, and a response can take forever. Here every connect, read and write
gets at most the time left before the deadline of the request in progress, so a request
ends on time in every phase (connect, headers, body), whatever the server does.
"""

from __future__ import annotations

import contextlib
import contextvars
import ssl
import time
from typing import Any, Callable, Iterable, Iterator

import httpcore
import httpx

#: Monotonic time by which the current request must be over; None: no deadline.
_DEADLINE: contextvars.ContextVar[float | None] = contextvars.ContextVar("proxy_deadline", default=None)


@contextlib.contextmanager
def deadline(at: float) -> Iterator[None]:
    """Every socket operation inside this block ends by monotonic time `at`."""
    token = _DEADLINE.set(at)
    try:
        yield
    finally:
        _DEADLINE.reset(token)


def _bounded(timeout: float | None, error: type[Exception], clock: Callable[[], float]) -> float | None:
    at = _DEADLINE.get()
    if at is None:
        return timeout
    left = at - clock()
    if left <= 0:
        raise error("request deadline passed")
    return left if timeout is None else min(timeout, left)


class _Stream(httpcore.NetworkStream):
    def __init__(self, inner: httpcore.NetworkStream, clock: Callable[[], float]):
        self._inner = inner
        self._clock = clock

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._inner.read(max_bytes, _bounded(timeout, httpcore.ReadTimeout, self._clock))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._inner.write(buffer, _bounded(timeout, httpcore.WriteTimeout, self._clock))

    def close(self) -> None:
        self._inner.close()

    def start_tls(self, ssl_context: ssl.SSLContext, server_hostname: str | None = None,
                  timeout: float | None = None) -> httpcore.NetworkStream:
        bounded = _bounded(timeout, httpcore.ConnectTimeout, self._clock)
        return _Stream(self._inner.start_tls(ssl_context, server_hostname, bounded), self._clock)

    def get_extra_info(self, info: str) -> Any:
        return self._inner.get_extra_info(info)


class _Backend(httpcore.NetworkBackend):
    def __init__(self, inner: httpcore.NetworkBackend, clock: Callable[[], float]):
        self._inner = inner
        self._clock = clock

    def connect_tcp(self, host: str, port: int, timeout: float | None = None,
                    local_address: str | None = None,
                    socket_options: Iterable[Any] | None = None) -> httpcore.NetworkStream:
        bounded = _bounded(timeout, httpcore.ConnectTimeout, self._clock)
        stream = self._inner.connect_tcp(host, port, bounded, local_address, socket_options)
        return _Stream(stream, self._clock)

    def connect_unix_socket(self, path: str, timeout: float | None = None,
                            socket_options: Iterable[Any] | None = None) -> httpcore.NetworkStream:
        bounded = _bounded(timeout, httpcore.ConnectTimeout, self._clock)
        return _Stream(self._inner.connect_unix_socket(path, bounded, socket_options), self._clock)

    def sleep(self, seconds: float) -> None:
        self._inner.sleep(seconds)


def deadline_transport(clock: Callable[[], float] = time.monotonic, **kwargs: Any) -> httpx.HTTPTransport:
    """httpx's own transport with the deadline under its sockets.

    httpx has no public hook for the network backend, so this reaches into its connection
    pool. Should a future httpx change that, the transport still works and the client's
    between-chunks deadline check remains; tests against a dripping server would show it.
    """
    transport = httpx.HTTPTransport(**kwargs)
    pool = getattr(transport, "_pool", None)
    inner = getattr(pool, "_network_backend", None)
    if isinstance(pool, httpcore.ConnectionPool) and inner is not None:
        pool._network_backend = _Backend(inner, clock)
    return transport
