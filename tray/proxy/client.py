"""The one HTTP client the app uses to talk to the LiteLLM proxy.

It adds the master key (`Authorization: Bearer ...`) and nothing else does: so the key is
sent only to the proxy's own origin (redirects elsewhere are refused), never appears in a
message, and travels over plain http only after a warning. Every request has a total
deadline and a size cap that hold while the body streams in, whatever the server does.
"""

from __future__ import annotations

import ipaddress
import json
import logging
import re
import time
import zlib
from dataclasses import dataclass
from typing import Any, Callable, Iterable, Mapping, Sequence

import httpx

from tray.config import Settings
from tray.proxy.deadline import deadline, deadline_transport
from tray.redact import redact

log = logging.getLogger(__name__)

MAX_REDIRECTS = 5
_REDIRECTS = {301, 302, 303, 307, 308}
Params = Mapping[str, str | Sequence[str]] | Sequence[tuple[str, str]]


class ProxyError(Exception):
    """A request that brought no usable answer. The message is for users and never holds the key."""


class ProxyUnreachable(ProxyError):
    """Nothing answers at the proxy's address: it is down (or the URL is wrong)."""


class ProxyTimeout(ProxyError):
    """The answer did not arrive, whole, before the deadline."""


class ResponseTooLarge(ProxyError):
    """The answer was larger than the cap; reading stopped there."""


class RedirectRefused(ProxyError):
    """The proxy pointed elsewhere; following would have sent the key to another origin."""


@dataclass(frozen=True)
class Reply:
    """A complete HTTP answer, body decoded and within the size cap."""

    status: int
    path: str
    headers: httpx.Headers
    body: bytes

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300

    def text(self) -> str:
        return self.body.decode("utf-8", errors="replace")

    def json(self) -> Any:
        """The body as JSON; ValueError when it is not JSON."""
        return json.loads(self.body)

    def excerpt(self, secrets: Sequence[str] = (), limit: int = 200) -> str:
        """What the server said, short and redacted, for an error message."""
        return describe_body(self.text(), secrets, limit)


def describe_body(text: str, secrets: Sequence[str] = (), limit: int = 200) -> str:
    """LiteLLM's error message, an HTML page's title, or the start of the text."""
    message = _json_message(text)
    if message is None:
        title = re.search(r"<title[^>]*>(.*?)</title>", text, re.IGNORECASE | re.DOTALL)
        if title:
            message = "HTML page: " + " ".join(title.group(1).split())
        elif re.match(r"\s*<", text):
            message = "HTML page: " + " ".join(re.sub(r"<[^>]+>", " ", text).split())
        else:
            message = " ".join(text.split())
    message = redact(message, secrets) or ""
    return message if len(message) <= limit else message[: limit - 1] + "…"


def _json_message(text: str) -> str | None:
    try:
        data = json.loads(text)
    except ValueError:
        return None
    if isinstance(data, dict):
        inner = data.get("error", data.get("detail", data))
        if isinstance(inner, dict):
            inner = inner.get("message", inner.get("error", inner))
        if isinstance(inner, str):
            return inner
    return json.dumps(data)[:1000]


def is_loopback(host: str) -> bool:
    host = host.strip("[]").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _origin(url: httpx.URL) -> tuple[str, str, int | None]:
    default = {"http": 80, "https": 443}.get(url.scheme)
    return (url.scheme, url.host.lower(), url.port or default)


def plain_http_warning(base_url: str, key: str | None) -> str | None:
    """A warning when the key would cross the network unencrypted."""
    url = httpx.URL(base_url)
    if key and url.scheme == "http" and not is_loopback(url.host):
        return (f"the master key is sent unencrypted over http to {url.host}: "
                "use an https:// proxy URL, or a loopback address")
    return None


class ProxyClient:
    """Requests to one proxy, each with a deadline, a size cap and the key for that origin only."""

    def __init__(self, base_url: str, key: str | None = None, *, timeout: float = 5.0,
                 max_bytes: int = 16 * 1024 * 1024, transport: httpx.BaseTransport | None = None,
                 clock: Callable[[], float] = time.monotonic):
        self.base_url = base_url.rstrip("/") or base_url
        self.timeout = timeout
        self.max_bytes = max_bytes
        self._key = key or None
        self._clock = clock
        self._base = httpx.URL(self.base_url + "/")
        self._http = httpx.Client(
            transport=transport or deadline_transport(clock),
            follow_redirects=False, trust_env=False, headers={"User-Agent": "litellm-tray"},
        )
        self.warnings: list[str] = []
        warning = plain_http_warning(self.base_url, self._key)
        if warning:
            self.warnings.append(warning)
            log.warning("%s", warning)

    @classmethod
    def from_settings(cls, settings: Settings, key: str | None,
                      transport: httpx.BaseTransport | None = None) -> "ProxyClient":
        return cls(settings.proxy_url, key, timeout=settings.request_timeout,
                   max_bytes=settings.max_response_bytes, transport=transport)

    @property
    def has_key(self) -> bool:
        return self._key is not None

    @property
    def secrets(self) -> tuple[str, ...]:
        """Literal secrets to remove from any text shown to users."""
        return (self._key,) if self._key else ()

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> "ProxyClient":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- requests --------------------------------------------------------------------------------
    def get(self, path: str, params: Params | None = None, *, auth: bool = True,
            timeout: float | None = None) -> Reply:
        """GET `path` under the proxy URL; same-origin redirects followed. Raises ProxyError."""
        url = self._base.join(path.lstrip("/"))
        if params:
            url = url.copy_merge_params(params)
        limit = self.timeout if timeout is None else timeout
        at = self._clock() + limit
        origin = _origin(self._base)
        try:
            with deadline(at):
                for _ in range(MAX_REDIRECTS + 1):
                    reply = self._once(url, auth, at, limit)
                    location = reply.headers.get("location")
                    if reply.status not in _REDIRECTS or not location:
                        return reply
                    target = url.join(location)
                    if _origin(target) != origin:
                        raise RedirectRefused(
                            f"{url.path} redirects to another origin ({target.scheme}://{target.host}); "
                            "not followed, so the master key stays with the proxy")
                    url = target
                raise ProxyError(f"{path}: more than {MAX_REDIRECTS} redirects")
        except httpx.ConnectError as exc:
            raise ProxyUnreachable(f"cannot connect to {self.base_url}: {_reason(exc)}") from None
        except httpx.TimeoutException:
            raise ProxyTimeout(f"{url.path}: no complete answer within {limit:g} s") from None
        except httpx.HTTPError as exc:
            raise ProxyError(f"{url.path}: {_reason(exc)}") from None

    def _once(self, url: httpx.URL, auth: bool, at: float, limit: float) -> Reply:
        headers = {"Accept-Encoding": "gzip"}
        if auth and self._key:
            headers["Authorization"] = f"Bearer {self._key}"
        left = max(at - self._clock(), 0.001)
        with self._http.stream("GET", url, headers=headers, timeout=httpx.Timeout(left)) as response:
            body = b"" if response.status_code in _REDIRECTS else self._read(response, url, at, limit)
            return Reply(response.status_code, url.path, response.headers, body)

    def _read(self, response: httpx.Response, url: httpx.URL, at: float, limit: float) -> bytes:
        """The decoded body, stopped at the deadline or the size cap, whichever comes first."""
        declared = response.headers.get("content-length", "")
        encoding = response.headers.get("content-encoding", "identity").strip().lower()
        if declared.isdigit() and encoding == "identity" and int(declared) > self.max_bytes:
            raise ResponseTooLarge(self._too_large(url))
        if response.is_stream_consumed:  # built whole in memory (a test transport): already decoded
            chunks: Iterable[bytes] = [response.content]
            encoding = "identity"
        else:
            chunks = response.iter_raw()
        decoder = _Decoder(encoding, self.max_bytes)
        for chunk in chunks:
            if not decoder.feed(chunk):
                raise ResponseTooLarge(self._too_large(url))
            if self._clock() > at:
                raise ProxyTimeout(f"{url.path}: no complete answer within {limit:g} s")
        if not decoder.finish():
            raise ResponseTooLarge(self._too_large(url))
        return decoder.output()

    def _too_large(self, url: httpx.URL) -> str:
        return f"{url.path}: answer larger than {self.max_bytes / 1024 / 1024:g} MiB; not read further"


class _Decoder:
    """Gzip/deflate/identity decoding that never produces more than `cap` bytes."""

    def __init__(self, encoding: str, cap: int):
        if encoding in ("gzip", "x-gzip"):
            self._z: Any = zlib.decompressobj(16 + zlib.MAX_WBITS)
        elif encoding == "deflate":
            self._z = zlib.decompressobj()
        elif encoding in ("identity", ""):
            self._z = None
        else:
            raise ProxyError(f"the proxy answered in an encoding this app cannot read ({encoding})")
        self._cap = cap
        self._parts: list[bytes] = []
        self._size = 0
        self._raw = 0

    def feed(self, chunk: bytes) -> bool:
        """Add raw bytes; False once the decoded (or raw) size passes the cap."""
        self._raw += len(chunk)
        if self._raw > self._cap:
            return False
        if self._z is None:
            return self._add(chunk)
        try:
            data = self._z.decompress(chunk, self._cap - self._size + 1)
        except zlib.error as exc:
            raise ProxyError(f"the proxy's compressed answer is corrupt ({exc})") from None
        return self._add(data) and not self._z.unconsumed_tail

    def finish(self) -> bool:
        if self._z is None:
            return True
        return self._add(self._z.flush(self._cap - self._size + 1))

    def _add(self, data: bytes) -> bool:
        self._size += len(data)
        self._parts.append(data)
        return self._size <= self._cap

    def output(self) -> bytes:
        return b"".join(self._parts)


def _reason(exc: Exception) -> str:
    text = str(exc) or type(exc).__name__
    if "refused" in text.lower():
        return "connection refused"
    return re.sub(r"\s+", " ", text)[:200]
