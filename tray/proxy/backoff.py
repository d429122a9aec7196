"""When to poll next: the normal interval while the proxy answers, growing waits while it is down.

Pure, so the engine's loop and the tests agree without sleeping: the loop asks `after(ok)`
and waits that long. Waits double from the first failure up to a ceiling, and drop back to
the normal interval on the first success, so a proxy that comes back is seen quickly.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Callable


def next_delay(failures: int, interval: float, *, first: float = 2.0, ceiling: float = 120.0,
               factor: float = 2.0, jitter: float = 0.0, rand: Callable[[], float] = random.random) -> float:
    """Seconds to wait after `failures` consecutive failed polls (0: the proxy is fine).

    `jitter` (0..1) spreads retries by up to that fraction, drawn from `rand`.
    """
    if failures <= 0:
        return interval
    delay = min(ceiling, max(first, 0.0) * factor ** (failures - 1))
    if jitter > 0:
        delay *= 1 - jitter * rand()
    return delay


@dataclass
class Backoff:
    """The failure count between polls; `after(ok)` says how long to wait next."""

    interval: float = 10.0
    first: float = 2.0
    ceiling: float = 120.0
    failures: int = field(default=0, init=False)

    def after(self, ok: bool) -> float:
        self.failures = 0 if ok else self.failures + 1
        return next_delay(self.failures, self.interval, first=self.first, ceiling=self.ceiling)

    @property
    def down(self) -> bool:
        return self.failures > 0
