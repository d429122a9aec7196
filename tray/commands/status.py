"""`litellm-tray status`: one poll of the proxy and one read of the log, printed.

Exits 0 whenever it ran, proxy down included: what could not be had is null in the JSON
and its reason is in `errors`. Nothing printed holds the master key.
"""

from __future__ import annotations

import json
import sys
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable, Mapping, TextIO

import httpx

from tray.config import ConfigError, Settings
from tray.model import ProxySnapshot
from tray.proxy.budget_view import one_off_statuses
from tray.proxy.client import ProxyClient
from tray.proxy.litellm_config import LiteLLMConfig, find_master_key, read_litellm_config
from tray.proxy.poll import poll_once
from tray.redact import redact

SummarizeLog = Callable[[Path, Settings], Any]


def run_status(settings: Settings, as_json: bool, log_given: bool, *,
               transport: httpx.BaseTransport | None = None, environ: Mapping[str, str] | None = None,
               now: datetime | None = None, out: TextIO | None = None, err: TextIO | None = None) -> int:
    """Poll once and print the summary (or the JSON object). Always 0: a down proxy is a result."""
    out = out or sys.stdout
    err = err or sys.stderr
    status, snap = collect_status(settings, log_given, transport=transport, environ=environ, now=now)
    for warning in snap.warnings:
        print(f"litellm-tray: warning: {warning}", file=err)
    if as_json:
        out.write(json.dumps(status, ensure_ascii=False) + "\n")
    else:
        out.write(render(status, snap))
    return 0


def collect_status(settings: Settings, log_given: bool, *, transport: httpx.BaseTransport | None = None,
                   environ: Mapping[str, str] | None = None, now: datetime | None = None,
                   summarize: SummarizeLog | None = None) -> tuple[dict[str, Any], ProxySnapshot]:
    """The `status --json` object, and the poll it came from (warnings, latency, deployments)."""
    errors: list[str] = []
    now = now or datetime.now(timezone.utc)
    config = _litellm_config(settings, environ, errors)
    key = find_master_key(settings, config, environ)
    with ProxyClient.from_settings(settings, key, transport=transport) as client:
        snap = poll_once(client)
        errors += snap.errors
        log = _log_summary(settings, log_given, errors, summarize)
        spend = _spend(snap, log)
        budgets = list(settings.budgets) + list(config.budgets if config else ())
        totals = (spend["total"], spend["by_model"], spend["by_tag"])
        statuses = one_off_statuses(budgets, snap, client, totals, settings.store_path, now, errors)
        secrets = client.secrets
    status = {
        "proxy": {"url": snap.url, "up": snap.health.up, "error": snap.health.error},
        "requests": _requests(snap),
        "tokens": _tokens(snap),
        "spend": spend,
        "budgets": [s.to_json() for s in statuses],
        "log": _log_json(log),
        "errors": [redact(e, secrets) or "" for e in errors],
    }
    return status, snap


def _litellm_config(settings: Settings, environ: Mapping[str, str] | None,
                    errors: list[str]) -> LiteLLMConfig | None:
    try:
        return read_litellm_config(settings.litellm_config, environ, settings.env_file)
    except ConfigError as exc:
        errors.append(f"LiteLLM config: {exc}")
        return None


def _requests(snap: ProxySnapshot) -> dict[str, Any]:
    m = snap.metrics
    if m is None:
        return {"total": None, "failed": None, "by_model": {}}
    return {"total": m.requests_total, "failed": m.requests_failed, "by_model": dict(m.requests_by_model)}


def _tokens(snap: ProxySnapshot) -> dict[str, Any]:
    m = snap.metrics
    if m is None:
        return {"total": None, "input": None, "output": None}
    return {"total": m.tokens_total, "input": m.tokens_input, "output": m.tokens_output}


def _spend(snap: ProxySnapshot, log: Any) -> dict[str, Any]:
    """Spend from the metrics, else LiteLLM's database, else the log's per-request costs."""
    total: float | None = None
    by_model: dict[str, float] = {}
    if snap.metrics is not None and snap.metrics.spend_total is not None:
        total, by_model = snap.metrics.spend_total, dict(snap.metrics.spend_by_model)
    elif snap.spend is not None and snap.spend.global_spend is not None:
        total = snap.spend.global_spend
    if total is None and log is not None:
        total, by_model = log.cost_total, dict(log.cost_by_model)
    by_tag = snap.spend.by_tag if snap.spend is not None else None
    if snap.spend is None:
        tag_error = snap.health.error or "spend by tag not polled"
    else:
        tag_error = redact(snap.spend.by_tag_error)
    return {"total": total, "by_model": by_model, "by_tag": by_tag, "by_tag_error": tag_error}


def _log_summary(settings: Settings, log_given: bool, errors: list[str],
                 summarize: SummarizeLog | None) -> Any:
    if summarize is None:
        try:
            from tray.logs.summary import summarize_log as summarize
        except ImportError:
            errors.append("log: this build cannot summarise logs yet")
            return None
    path = settings.log_path
    try:
        summary = summarize(path, settings)
    except OSError as exc:
        errors.append(f"log: cannot read {path}: {exc.strerror or exc}")
        return None
    if summary is None:
        hint = "" if log_given else " (give one with --log PATH)"
        errors.append(f"log: no file at {path}{hint}")
    return summary


def _log_json(log: Any) -> dict[str, Any] | None:
    if log is None:
        return None
    return {"path": str(log.path), "requests": int(log.requests), "failed": int(log.failed),
            "prompts_visible": bool(log.prompts_visible), "last_time": log.last_time}


# -- text --------------------------------------------------------------------------------------------


def _num(value: float | None) -> str:
    if value is None:
        return "?"
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.2f}"


def _money(value: float | None) -> str:
    if value is None:
        return "?"
    return f"${value:,.4f}" if abs(value) < 1 else f"${value:,.2f}"


def _per_model(values: Mapping[str, float], fmt: Callable[[float | None], str]) -> str:
    ranked = sorted(values.items(), key=lambda item: -item[1])
    return "  ".join(f"{model} {fmt(value)}" for model, value in ranked)


def render(status: dict[str, Any], snap: ProxySnapshot | None = None) -> str:
    """The readable summary: one line a part, then the reasons for whatever is missing."""
    proxy, requests, tokens, spend = status["proxy"], status["requests"], status["tokens"], status["spend"]
    lines = [f"Proxy     {proxy['url']}  " + ("up" if proxy["up"] else f"DOWN: {proxy['error'] or 'no answer'}")]
    if requests["total"] is not None:
        lines.append(f"Requests  {_num(requests['total'])} total, {_num(requests['failed'])} failed"
                     + (f"   {_per_model(requests['by_model'], _num)}" if requests["by_model"] else ""))
    if tokens["total"] is not None:
        split = f" (in {_num(tokens['input'])} / out {_num(tokens['output'])})" if tokens["input"] is not None else ""
        lines.append(f"Tokens    {_num(tokens['total'])}{split}")
    if spend["total"] is not None:
        lines.append(f"Spend     {_money(spend['total'])}"
                     + (f"   {_per_model(spend['by_model'], _money)}" if spend["by_model"] else ""))
    if spend["by_tag"]:
        lines.append(f"  by tag  {_per_model(spend['by_tag'], _money)}")
    elif spend["by_tag_error"] and proxy["up"]:
        lines.append(f"  by tag  {spend['by_tag_error']}")
    lines += _health_lines(snap)
    for budget in status["budgets"]:
        lines.append(f"Budget    {budget['scope']}: {_money(budget['spent'])} of {_money(budget['limit'])} "
                     f"({budget['fraction'] * 100:.0f}%, {budget['period']})")
    log = status["log"]
    if log is not None:
        seen = "prompts visible" if log["prompts_visible"] else "no prompts in this log (start LiteLLM with --detailed_debug)"
        lines.append(f"Log       {log['path']}: {log['requests']} requests, {log['failed']} failed, {seen}"
                     + (f", last {log['last_time']}" if log["last_time"] else ""))
    if status["errors"]:
        lines.append("Not available:")
        lines += [f"  - {error}" for error in status["errors"]]
    return "\n".join(lines) + "\n"


def _health_lines(snap: ProxySnapshot | None) -> list[str]:
    m = snap.metrics if snap is not None else None
    if m is None:
        return []
    lines = []
    if m.latency_p50 is not None:
        lines.append(f"Latency   p50 {m.latency_p50:.2f} s, p95 {m.latency_p95 or 0:.2f} s"
                     + (f", {m.in_flight:g} in flight" if m.in_flight is not None else ""))
    unwell = {name: state for name, state in m.deployments.items() if state != "healthy"}
    if unwell:
        lines.append("Deploys   " + "  ".join(f"{name}: {state}" for name, state in unwell.items()))
    elif m.deployments:
        lines.append(f"Deploys   {len(m.deployments)} healthy")
    return lines
