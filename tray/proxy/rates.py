"""Rates and increments from two polls of cumulative counters, surviving proxy restarts.

Prometheus counters restart from zero with the proxy. A restart shows as a new
`process_start_time_seconds`, or, where the proxy does not serve that, as any counter going
down; after one, the whole current value is the increment (it was counted from zero).
"""

from __future__ import annotations

from typing import Mapping

from tray.model import MetricsSnapshot, Rates


def counters(snapshot: MetricsSnapshot) -> dict[str, float]:
    """The snapshot's cumulative counters, flattened to names (totals and per model)."""
    flat: dict[str, float] = {}
    for name, value in (("requests", snapshot.requests_total), ("failed", snapshot.requests_failed),
                        ("tokens", snapshot.tokens_total), ("spend", snapshot.spend_total)):
        if value is not None:
            flat[name] = value
    for prefix, values in (("requests:", snapshot.requests_by_model), ("failed:", snapshot.failed_by_model),
                           ("spend:", snapshot.spend_by_model)):
        flat.update({prefix + model: value for model, value in values.items()})
    return flat


def restarted(prev_start: float | None, cur_start: float | None,
              prev: Mapping[str, float], cur: Mapping[str, float]) -> bool:
    """Whether the counters restarted from zero between two polls."""
    if prev_start is not None and cur_start is not None:
        return abs(cur_start - prev_start) > 0.5
    return any(cur.get(name, 0.0) < value - 1e-12 for name, value in prev.items())


def deltas(prev: Mapping[str, float], cur: Mapping[str, float], was_restarted: bool) -> dict[str, float]:
    """How much each counter grew; after a restart its whole value is new."""
    if was_restarted:
        return {name: value for name, value in cur.items() if value > 0}
    grown = {name: value - prev.get(name, 0.0) for name, value in cur.items()}
    return {name: value for name, value in grown.items() if value > 0}


def rates(prev: MetricsSnapshot, cur: MetricsSnapshot) -> Rates | None:
    """Requests and failures a minute, tokens a minute and dollars an hour between two polls."""
    seconds = cur.taken_at - prev.taken_at
    if seconds <= 0 or prev.era != cur.era:
        return None
    before, after = counters(prev), counters(cur)
    was_restarted = restarted(prev.process_start, cur.process_start, before, after)
    grown = deltas(before, after, was_restarted)
    return Rates(
        seconds=seconds,
        requests_per_min=grown.get("requests", 0.0) * 60 / seconds,
        failures_per_min=grown.get("failed", 0.0) * 60 / seconds,
        tokens_per_min=grown.get("tokens", 0.0) * 60 / seconds,
        spend_per_hour=grown.get("spend", 0.0) * 3600 / seconds,
        restarted=was_restarted,
    )
