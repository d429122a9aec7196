"""Spend from LiteLLM's database endpoints: `/spend/tags` and `/global/spend`.

Both need LiteLLM's database. Without one they answer 500 ("ErrorDatabase not connected")
or, with a wrong key, 400 ("No connected db."); spend then comes from `/metrics` and from
the log's per-request costs instead, and users are told why tags are missing.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from tray.model import Spend
from tray.proxy.client import ProxyClient, ProxyError, Reply

NO_DATABASE = "LiteLLM has no database: spend by tag unavailable"


class SpendUnavailable(Exception):
    """A spend endpoint gave nothing usable; `no_database` says whether that is the reason."""

    def __init__(self, message: str, no_database: bool = False):
        super().__init__(message)
        self.no_database = no_database


def _no_database(reply: Reply) -> bool:
    text = reply.text().lower()
    return reply.status in (400, 500, 503) and (
        "not connected" in text or "no connected db" in text or "no_db_connection" in text)


def _checked_json(client: ProxyClient, path: str, params: dict[str, str] | None = None) -> Any:
    reply = client.get(path, params=params)
    if _no_database(reply):
        raise SpendUnavailable(NO_DATABASE, no_database=True)
    if reply.status in (401, 403):
        raise SpendUnavailable(f"{path} answered {reply.status} ({reply.excerpt(client.secrets)}): "
                               "check the master key (LITELLM_MASTER_KEY)")
    if not reply.ok:
        raise SpendUnavailable(f"{path} answered HTTP {reply.status}: {reply.excerpt(client.secrets)}")
    try:
        return reply.json()
    except ValueError:
        raise SpendUnavailable(f"{path} did not answer JSON: {reply.excerpt(client.secrets)}") from None


def spend_by_tag(client: ProxyClient, start: date | None = None, end: date | None = None) -> dict[str, float]:
    """Spend per request tag, optionally within [start, end] (whole days, as LiteLLM takes them)."""
    params = {}
    if start is not None or end is not None:
        params = {"start_date": (start or date(2000, 1, 1)).isoformat(),
                  "end_date": (end or date.today()).isoformat()}
    data = _checked_json(client, "/spend/tags", params or None)
    if not isinstance(data, list):
        raise SpendUnavailable(f"/spend/tags answered an unexpected shape ({type(data).__name__})")
    spend: dict[str, float] = {}
    for row in data:
        if not isinstance(row, dict):
            continue
        tag = row.get("individual_request_tag", row.get("tag"))
        value = row.get("total_spend", row.get("spend"))
        if tag is None or not isinstance(value, (int, float)):
            continue
        spend[str(tag)] = spend.get(str(tag), 0.0) + float(value)
    return spend


def global_spend(client: ProxyClient) -> tuple[float, float | None]:
    """(spend, max_budget) as LiteLLM's `/global/spend` reports them."""
    data = _checked_json(client, "/global/spend")
    if not isinstance(data, dict) or not isinstance(data.get("spend"), (int, float)):
        raise SpendUnavailable("/global/spend answered an unexpected shape")
    budget = data.get("max_budget")
    return float(data["spend"]), float(budget) if isinstance(budget, (int, float)) else None


def fetch_spend(client: ProxyClient, start: date | None = None, end: date | None = None) -> Spend:
    """Both endpoints; a missing database is asked about once, not twice."""
    spend = Spend()
    try:
        spend.by_tag = spend_by_tag(client, start, end)
        spend.has_database = True
    except SpendUnavailable as exc:
        spend.by_tag_error = str(exc)
        if exc.no_database:
            spend.has_database = False
            spend.global_error = str(exc)
            return spend
    except ProxyError as exc:
        spend.by_tag_error = f"spend by tag: {exc}"
    try:
        spend.global_spend, spend.global_max_budget = global_spend(client)
        spend.has_database = True
    except SpendUnavailable as exc:
        spend.global_error = str(exc)
        spend.has_database = False if exc.no_database else spend.has_database
    except ProxyError as exc:
        spend.global_error = f"global spend: {exc}"
    return spend
