"""`litellm-tray status`: the JSON contract, the readable summary, and every way a part goes missing."""

from __future__ import annotations

import io
import json
import logging
import sys
import types
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.proxy.servers import fixture_metrics, json_route, litellm_routes, serve
from tray.cli import main
from tray.commands.status import collect_status, run_status
from tray.config import Budget, Settings
from tray.model import MetricsSnapshot
from tray.proxy.ledger import record_metrics
from tray.store import Store

KEY = "sk-status-master-key-0000"
NOW = datetime(2026, 12, 4, 19, 0, tzinfo=timezone.utc)
TOP_KEYS = {"proxy", "requests", "tokens", "spend", "budgets", "log", "errors"}


@dataclass
class FakeLogSummary:
    path: str
    requests: int = 43
    failed: int = 6
    prompts_visible: bool = True
    last_time: str | None = "2026-12-04T19:14:07+00:00"
    cost_total: float = 0.25
    cost_by_model: dict[str, float] = field(default_factory=lambda: {"cheap": 0.05, "frontier": 0.2})


def fake_summarize(path: Path, settings: Settings) -> FakeLogSummary | None:
    return FakeLogSummary(str(path)) if path.exists() else None


@pytest.fixture(autouse=True)
def fake_log_module(monkeypatch: pytest.MonkeyPatch) -> None:
    """tray.logs.summary as the contract describes it, whether or not the real one exists yet."""
    module = types.ModuleType("tray.logs.summary")
    module.summarize_log = fake_summarize  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "tray.logs.summary", module)


def settings_for(tmp_path: Path, url: str, **changes: Any) -> Settings:
    log = tmp_path / "litellm.log"
    log.write_text("")
    values: dict[str, Any] = dict(proxy_url=url, log_path=log, litellm_config=tmp_path / "config.yaml",
                                  env_file=tmp_path / "env", data_dir=tmp_path / "data", request_timeout=2.0)
    values.update(changes)
    return Settings(**values)


def status_json(settings: Settings, **kwargs: Any) -> tuple[dict[str, Any], str, int]:
    out, err = io.StringIO(), io.StringIO()
    code = run_status(settings, as_json=True, log_given=True, out=out, err=err, now=NOW, **kwargs)
    return json.loads(out.getvalue()), err.getvalue(), code


def check_shape(status: dict[str, Any]) -> None:
    assert set(status) == TOP_KEYS
    assert set(status["proxy"]) == {"url", "up", "error"}
    assert set(status["requests"]) == {"total", "failed", "by_model"}
    assert set(status["tokens"]) == {"total", "input", "output"}
    assert set(status["spend"]) == {"total", "by_model", "by_tag", "by_tag_error"}
    for budget in status["budgets"]:
        assert set(budget) == {"scope", "limit", "spent", "period", "fraction"}
    if status["log"] is not None:
        assert set(status["log"]) == {"path", "requests", "failed", "prompts_visible", "last_time"}
    assert all(isinstance(e, str) for e in status["errors"])


def test_full_status_against_a_litellm_shaped_proxy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LITELLM_MASTER_KEY", KEY)
    (tmp_path / "config.yaml").write_text(
        "litellm_settings:\n  max_budget: 0.02\n  budget_duration: 30d\nmodel_max_budget:\n  frontier: 0.01\n")
    with serve(litellm_routes(fixture_metrics(), key=KEY)) as server:
        status, err, code = status_json(settings_for(tmp_path, server.url))
    check_shape(status)
    assert code == 0 and err == ""
    assert status["proxy"] == {"url": server.url, "up": True, "error": None}
    assert status["requests"]["total"] == 43 and status["requests"]["failed"] == 6
    assert status["requests"]["by_model"]["cheap"] == 16
    assert status["tokens"] == {"total": 1160, "input": 572, "output": 588}
    assert status["spend"]["total"] == pytest.approx(0.009547)
    assert status["spend"]["by_model"]["frontier"] == pytest.approx(0.00736)
    assert status["spend"]["by_tag"] is None
    assert status["spend"]["by_tag_error"] == "LiteLLM has no database: spend by tag unavailable"
    assert status["budgets"] == [
        {"scope": "global", "limit": 0.02, "spent": pytest.approx(0.009547), "period": "30d",
         "fraction": pytest.approx(0.47735)},
        {"scope": "model:frontier", "limit": 0.01, "spent": pytest.approx(0.00736), "period": "30d",
         "fraction": pytest.approx(0.736)}]
    assert status["log"] == {"path": str(tmp_path / "litellm.log"), "requests": 43, "failed": 6,
                             "prompts_visible": True, "last_time": "2026-12-04T19:14:07+00:00"}
    assert status["errors"] == []
    # through the 307, with the key, asking only for named samples
    metrics_calls = [(path, headers) for path, headers in server.seen if path.startswith("/metrics")]
    assert metrics_calls[0][0].startswith("/metrics?") and metrics_calls[1][0].startswith("/metrics/?")
    assert all(headers.get("Authorization") == f"Bearer {KEY}" for _, headers in metrics_calls)
    liveliness = [headers for path, headers in server.seen if path == "/health/liveliness"]
    assert liveliness and "Authorization" not in liveliness[0]


def test_proxy_down_exits_0_and_says_so(tmp_path: Path) -> None:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]        # nothing listens here once closed
    settings = settings_for(tmp_path, f"http://127.0.0.1:{port}", budgets=(Budget("global", 1.0, "daily"),))
    status, _, code = status_json(settings)
    check_shape(status)
    assert code == 0
    assert status["proxy"]["up"] is False and "connection refused" in status["proxy"]["error"]
    assert status["requests"] == {"total": None, "failed": None, "by_model": {}}
    assert status["tokens"] == {"total": None, "input": None, "output": None}
    assert status["spend"]["total"] == 0.25 and status["spend"]["by_model"] == {"cheap": 0.05, "frontier": 0.2}
    assert status["spend"]["by_tag"] is None and status["spend"]["by_tag_error"]
    assert status["budgets"] == [{"scope": "global", "limit": 1.0, "spent": 0.25, "period": "daily", "fraction": 0.25}]
    assert any(e.startswith("proxy down:") for e in status["errors"])
    text = io.StringIO()
    assert run_status(settings, as_json=False, log_given=True, out=text, err=io.StringIO(), now=NOW) == 0
    assert "DOWN" in text.getvalue() and "connection refused" in text.getvalue()


def test_enterprise_era_takes_spend_from_the_log(tmp_path: Path) -> None:
    with serve(litellm_routes(fixture_metrics("litellm-1.74.15.post2"))) as server:
        status, _, code = status_json(settings_for(tmp_path, server.url))
    check_shape(status)
    assert code == 0 and status["proxy"]["up"] is True
    assert status["requests"]["total"] is None and status["tokens"]["total"] is None
    assert status["spend"]["total"] == 0.25
    assert any("Enterprise" in e and "1.80" in e for e in status["errors"])


def test_spend_by_tag_with_a_database(tmp_path: Path) -> None:
    tags = [{"individual_request_tag": "jobA", "log_count": 12, "total_spend": 0.0042},
            {"individual_request_tag": "batch", "log_count": 2, "total_spend": 0.5}]
    routes = litellm_routes(fixture_metrics(), spend_tags=json_route(200, tags),
                            global_spend=json_route(200, {"spend": 1.23, "max_budget": 100}))
    budgets = (Budget("tag:jobA", 0.01, "monthly"),)
    with serve(routes) as server:
        status, _, _ = status_json(settings_for(tmp_path, server.url, budgets=budgets))
    assert status["spend"]["by_tag"] == {"jobA": 0.0042, "batch": 0.5}
    assert status["spend"]["by_tag_error"] is None
    assert status["budgets"] == [{"scope": "tag:jobA", "limit": 0.01, "spent": 0.0042, "period": "monthly",
                                  "fraction": pytest.approx(0.42)}]
    windowed = [path for path, _ in server.seen if path.startswith("/spend/tags?")]
    assert windowed and "start_date=2026-12-01" in windowed[0]


def test_budgets_come_from_the_ledger_when_the_app_keeps_one(tmp_path: Path) -> None:
    settings = settings_for(tmp_path, "", budgets=(Budget("global", 1.0, "monthly", timezone="UTC"),))
    store = Store(settings.store_path)
    start = fixture_start()
    # Earlier this month, before a proxy restart, the app recorded 0.4 $.
    record_metrics(store, MetricsSnapshot(taken_at=0, era="current", spend_by_model={"cheap": 0.0},
                                          process_start=start - 10_000), NOW.replace(day=2))
    record_metrics(store, MetricsSnapshot(taken_at=0, era="current", spend_by_model={"cheap": 0.4},
                                          process_start=start - 10_000), NOW.replace(day=3))
    store.close()
    with serve(litellm_routes(fixture_metrics())) as server:
        status, _, _ = status_json(settings_for(tmp_path, server.url, budgets=settings.budgets))
    (budget,) = status["budgets"]
    assert budget["spent"] == pytest.approx(0.4 + 0.009547)      # ledger + this poll's counters since restart


def fixture_start() -> float:
    line = next(l for l in fixture_metrics().splitlines() if l.startswith("process_start_time_seconds"))
    return float(line.split()[1])


def test_key_never_printed_or_logged(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                     caplog: pytest.LogCaptureFixture, capsys: pytest.CaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    monkeypatch.setenv("LITELLM_MASTER_KEY", KEY)

    def echo(handler: Any) -> None:   # a server that puts the Authorization header in its errors
        handler.send_json(401, {"error": {"message": f"bad {handler.headers.get('Authorization')}"}})

    routes = {**litellm_routes(""), "/metrics/": echo, "/spend/tags": echo, "/global/spend": echo}
    with serve(routes) as server:
        settings = settings_for(tmp_path, server.url)
        assert main(["status", "--json", "--proxy", server.url, "--log", str(settings.log_path)]) == 0
        assert main(["status", "--proxy", server.url]) == 0
    captured = capsys.readouterr()
    assert KEY not in captured.out + captured.err + caplog.text
    assert "require_auth_for_metrics_endpoint" in captured.out


def test_plain_http_warning_goes_to_stderr(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LITELLM_MASTER_KEY", KEY)

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, text="I'm alive!" if "liveliness" in request.url.path else "")

    status, err, _ = status_json(settings_for(tmp_path, "http://proxy.example:4000"),
                                 transport=httpx.MockTransport(handler))
    assert "unencrypted" in err and KEY not in err
    assert status["proxy"]["up"] is True


def test_missing_log_is_null_with_a_reason(tmp_path: Path) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(503, text="<html><title>Service Unavailable</title></html>")

    settings = settings_for(tmp_path, "http://127.0.0.1:4000", log_path=tmp_path / "nope.log")
    status, _ = collect_status(settings, log_given=False, transport=httpx.MockTransport(handler), now=NOW,
                               summarize=fake_summarize)
    assert status["log"] is None
    assert any("no file at" in e and "--log" in e for e in status["errors"])
    assert status["proxy"]["up"] is False and "Service Unavailable" in status["proxy"]["error"]


def test_broken_litellm_config_is_reported_not_fatal(tmp_path: Path) -> None:
    (tmp_path / "config.yaml").write_text("litellm_settings: [unclosed\n")

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, text="I'm alive!" if "liveliness" in request.url.path else "")

    status, _, code = status_json(settings_for(tmp_path, "http://127.0.0.1:4000"),
                                  transport=httpx.MockTransport(handler))
    assert code == 0 and any(e.startswith("LiteLLM config:") for e in status["errors"])


def test_readable_summary(tmp_path: Path) -> None:
    with serve(litellm_routes(fixture_metrics())) as server:
        out = io.StringIO()
        run_status(settings_for(tmp_path, server.url, budgets=(Budget("global", 0.01, "daily"),)),
                   as_json=False, log_given=True, out=out, err=io.StringIO(), now=NOW)
    text = out.getvalue()
    for expected in ("Proxy", "up", "Requests  43 total, 6 failed", "Tokens    1,160 (in 572 / out 588)",
                     "Spend     $0.0095", "LiteLLM has no database", "Latency   p50", "partial outage",
                     "Budget    global", "Log ", "43 requests"):
        assert expected in text, expected
