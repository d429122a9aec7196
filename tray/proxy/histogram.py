"""Quantiles from Prometheus histogram buckets, the way Prometheus's histogram_quantile does it."""

from __future__ import annotations

import math
from typing import Mapping


def quantile(q: float, buckets: Mapping[float, float]) -> float | None:
    """The `q` quantile (0..1) of cumulative `buckets` (upper bound -> count), or None if empty.

    Linear interpolation inside the bucket the rank falls in; a rank in the +Inf bucket gives
    the highest finite bound, as Prometheus does.
    """
    bounds = sorted(buckets)
    if not bounds or not math.isinf(bounds[-1]):
        return None
    total = buckets[bounds[-1]]
    if total <= 0:
        return None
    rank = q * total
    lower, below = 0.0, 0.0
    for bound in bounds:
        count = buckets[bound]
        if count >= rank:
            if math.isinf(bound):
                return bounds[-2] if len(bounds) > 1 else None
            if count == below:
                return bound
            return lower + (bound - lower) * (rank - below) / (count - below)
        lower, below = bound, count
    return None


def delta(current: Mapping[float, float], previous: Mapping[float, float]) -> dict[float, float]:
    """Buckets of the observations made between two polls (a reset counts from zero)."""
    if any(current.get(le, 0.0) < count for le, count in previous.items()):
        return dict(current)
    return {le: count - previous.get(le, 0.0) for le, count in current.items()}
