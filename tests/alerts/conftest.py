"""Record factories and a pinned clock for the alert rule tests."""

from __future__ import annotations

from typing import Callable

import pytest

from tray.model import RequestRecord

#: 2026-12-04 12:00:00 UTC: a weekday noon, far from any quiet hours.
NOON = 1796385600.0

ERRORS = {
    429: "litellm.RateLimitError: RateLimitError: OpenAIException - Rate limit reached",
    408: "litellm.Timeout: Timeout Error: OpenAIException - Request timed out.",
    500: "litellm.InternalServerError: InternalServerError: OpenAIException - Connection error.",
    400: "litellm.BadRequestError: BadRequestError: OpenAIException - Invalid parameter",
    401: "litellm.AuthenticationError: AuthenticationError: OpenAIException - Incorrect API key",
    404: "litellm.NotFoundError: NotFoundError: OpenAIException - The model does not exist",
}


@pytest.fixture
def now() -> float:
    return NOON


@pytest.fixture
def failure() -> Callable[..., RequestRecord]:
    """`failure(code, model=..., id=..., prompt=...)`: a failed request as the log parser gives it."""
    counter = iter(range(10**9))

    def make(code: int | None = 500, model: str = "cheap", id: str | None = None,
             prompt: str = "hello", error: str | None = None, time: str | None = None) -> RequestRecord:
        return RequestRecord(
            id=id or f"req-{next(counter)}", time=time, model=model,
            messages=[{"role": "user", "content": prompt}], status="error", status_code=code,
            error=error if error is not None else ERRORS.get(code or 500, "boom"), source="debug")

    return make


@pytest.fixture
def success() -> Callable[..., RequestRecord]:
    counter = iter(range(10**9))

    def make(latency_ms: float = 800.0, model: str = "cheap", id: str | None = None) -> RequestRecord:
        return RequestRecord(id=id or f"ok-{next(counter)}", model=model, status="ok",
                             status_code=200, latency_ms=latency_ms, response="hi", source="debug")

    return make
