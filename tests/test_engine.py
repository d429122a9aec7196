"""The engine against the demo proxy: named threads, state, notifications, stop within 2 s."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path

import httpx

from tray.alerts.types import Notification
from tray.config import NotifySettings, Settings
from tray.demo import Demo
from tray.engine import Engine
from tray.state import TrayState


def wait_for(predicate, timeout: float = 10.0) -> bool:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if predicate():
            return True
        time.sleep(0.05)
    return False


def test_engine_follows_polls_alerts_and_stops() -> None:
    states: list[TrayState] = []
    notes: list[Notification] = []
    with Demo(Settings(), rate=10) as demo:
        demo.proxy.fail_rate = 0.3
        engine = Engine(demo.settings, on_state=states.append, deliver=notes.append, environ={}).start()
        try:
            names = {t.name for t in engine.threads}
            assert names == {"tray-log", "tray-poll", "tray-core", "tray-notify"}
            assert wait_for(lambda: engine.state is not None and engine.state.requests_today >= 5
                            and engine.state.proxy_up and engine.state.budgets)
            assert wait_for(lambda: any("failed" in n.title.lower() for n in notes))
            state = engine.state
            assert state is not None
            assert state.proxy_requests and state.spend_total and state.spend_by_model
            assert state.budgets[0].text.startswith("Monthly $")
            assert state.recent and state.prompts_hint is None
            before = state.requests_today
            assert wait_for(lambda: engine.state.requests_today > before, 5)
        finally:
            started = time.monotonic()
            assert engine.stop(2.0) == []
            assert time.monotonic() - started < 2.0
    assert not [t for t in threading.enumerate() if t.name.startswith(("tray-", "demo-"))]


def test_proxy_down_and_missing_log_are_shown(tmp_path: Path) -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    settings = Settings(log_path=tmp_path / "missing.log", proxy_url="http://127.0.0.1:9",
                        data_dir=tmp_path / "data", litellm_config=tmp_path / "none.yaml",
                        env_file=tmp_path / "none.env", follow_poll_seconds=0.1)
    engine = Engine(settings, transport=httpx.MockTransport(refuse), environ={}).start()
    try:
        assert wait_for(lambda: engine.state is not None and engine.state.proxy_up is False)
        state = engine.state
        assert state.level == "error" and "DOWN" in state.proxy_text
        assert any("proxy down" in e for e in state.errors)
        assert wait_for(lambda: any(e.startswith("log:") for e in engine.state.errors), 5)
    finally:
        assert engine.stop(2.0) == []


def test_pause_reaches_the_notifier(tmp_path: Path) -> None:
    settings = Settings(log_path=tmp_path / "l.log", proxy_url="http://127.0.0.1:9", data_dir=tmp_path / "d",
                        litellm_config=tmp_path / "none.yaml", env_file=tmp_path / "none.env")
    engine = Engine(settings, transport=httpx.MockTransport(lambda r: httpx.Response(503)), environ={})
    now = time.time()
    engine.handle("pause", 900.0, now)
    assert engine.notifier.paused_until == now + 900.0
    assert engine.compute(now).paused_until == now + 900.0
    engine.handle("resume", None, now + 1)
    assert engine.notifier.paused_until is None
    engine.stop(0.1)


def test_failed_delivery_is_shown_not_fatal(tmp_path: Path) -> None:
    def broken(notification: Notification) -> None:
        raise OSError("no D-Bus session")

    log = tmp_path / "l.log"
    log.touch()     # a log that is there: no "lost the log source" alert to race with ours
    settings = Settings(log_path=log, proxy_url="http://127.0.0.1:9", data_dir=tmp_path / "d",
                        litellm_config=tmp_path / "none.yaml", env_file=tmp_path / "none.env")
    engine = Engine(settings, deliver=broken, transport=httpx.MockTransport(lambda r: httpx.Response(503)),
                    environ={}).start()
    try:
        engine._send([Notification("Proxy down", "x", "critical", time.time(), request_ids=("r1",))])
        assert wait_for(lambda: engine.state is not None and engine.state.notify_error == "OSError: no D-Bus session")
        assert engine.state.last_alert is not None and engine.state.last_alert.request_ids == ("r1",)
        assert {t.name for t in engine.threads if t.is_alive()} >= {"tray-notify", "tray-core"}
    finally:
        assert engine.stop(2.0) == []


def test_a_budget_threshold_is_not_alerted_again_after_a_restart(tmp_path: Path) -> None:
    from tray.engine import _Poll
    from tray.model import BudgetStatus, Health, ProxySnapshot

    log = tmp_path / "l.log"
    log.touch()
    settings = Settings(log_path=log, proxy_url="http://127.0.0.1:9", data_dir=tmp_path / "d",
                        litellm_config=tmp_path / "none.yaml", env_file=tmp_path / "none.env")
    snap = ProxySnapshot(url="http://127.0.0.1:9", taken_at=time.time(), health=Health("x", True))

    def poll(spent: float) -> _Poll:
        return _Poll(snap, [BudgetStatus("global", 100.0, spent, "monthly", "2026-12-01T00:00:00+00:00")],
                     None, [])

    def budget_alerts(engine: Engine) -> list[str]:
        titles = []
        while not engine._outbox.empty():
            note = engine._outbox.get_nowait()
            if note is not None and "budget" in note.title.lower():
                titles.append(note.title)
        return titles

    now = time.time()
    first = Engine(settings, environ={})
    first.handle("poll", poll(85.0), now)
    assert len(budget_alerts(first)) == 1                # 80 % crossed: one alert
    first.stop(0.1)

    again = Engine(settings, environ={})                 # the app restarted, same period
    again.handle("poll", poll(86.0), now + 60)
    assert budget_alerts(again) == []
    again.handle("poll", poll(101.0), now + 120)
    assert len(budget_alerts(again)) == 1                # 100 % is new: one alert
    again.stop(0.1)


def test_a_request_with_no_answer_is_told_as_hanging_and_listed_under_way(tmp_path: Path) -> None:
    """A request that began in the followed log and has no outcome after `hanging_seconds`
    raises "Request hanging", naming its model and quoting its prompt (redacted); the menu's
    state lists it under way until its outcome comes."""
    log = tmp_path / "litellm.log"
    log.touch()
    settings = Settings(log_path=log, proxy_url="http://127.0.0.1:9", data_dir=tmp_path / "d",
                        litellm_config=tmp_path / "none.yaml", env_file=tmp_path / "none.env",
                        follow_poll_seconds=0.1, notify=NotifySettings(hanging_seconds=0.5))
    notes: list[Notification] = []
    engine = Engine(settings, deliver=notes.append, environ={},
                    transport=httpx.MockTransport(lambda r: httpx.Response(200, json={}))).start()
    try:
        assert wait_for(lambda: engine.state is not None and engine.state.proxy_up)
        prompt = "Draft the launch email, my key is sk-proj-abcdefghijklmnopqrstuvwxyz0123456789"
        call_id = "0badc0de-1111-2222-3333-444455556666"
        with open(log, "a") as handle:
            handle.write("20:00:00 - LiteLLM Proxy:DEBUG: common_request_processing.py:3121 - "
                         "Request received by LiteLLM:\n"
                         + json.dumps({"model": "cheap", "messages": [{"role": "user", "content": prompt}]}) + "\n"
                         "20:00:00 - LiteLLM:DEBUG: utils.py:600 - litellm.acompletion(REDACTED', "
                         f"model='openai/gpt-4o-mini', messages=[{{'role': 'user', 'content': '{prompt}'}}], "
                         f"litellm_call_id='{call_id}')\n")
        assert wait_for(lambda: any(n.title == "Request hanging: cheap" for n in notes))
        [hanging] = [n for n in notes if n.title == "Request hanging: cheap"]
        assert hanging.body.startswith("No answer after ")
        assert "“Draft the launch email, my key is " in hanging.body and "sk-proj-abc" not in hanging.body
        # the menu lists it under way once it has run a few seconds, until its outcome comes
        assert wait_for(lambda: engine.state is not None and len(engine.state.under_way) == 1)
        [running] = engine.state.under_way
        assert (running.id, running.model) == (call_id, "cheap")
        assert running.words.startswith("Draft the launch email") and "sk-proj-abc" not in running.words
        with open(log, "a") as handle:
            handle.write(f"20:00:09 - LiteLLM Proxy:DEBUG: common_request_processing.py:1884 - "
                         f"litellm_call_id={call_id}: response model mismatch - requested='cheap'\n"
                         'INFO:     127.0.0.1:40000 - "POST /v1/chat/completions HTTP/1.1" 200 OK\n')
        assert wait_for(lambda: engine.state.under_way == () and engine.state.requests_since_start == 1)
    finally:
        assert engine.stop(2.0) == []


def test_requests_already_in_the_log_show_their_prompts_in_the_menu(tmp_path: Path) -> None:
    """A first start on a log takes its last requests from it (backfill); a restart takes
    them from the store: either way the menu's recent prompts show their words."""
    log = tmp_path / "litellm.log"
    prompts = [f"Summarise chapter {n} of the manual" for n in range(3)]
    with open(log, "w") as handle:
        for n, prompt in enumerate(prompts):
            call_id = f"0badc0de-1111-2222-3333-44445555666{n}"
            handle.write("20:00:00 - LiteLLM Proxy:DEBUG: common_request_processing.py:3121 - "
                         "Request received by LiteLLM:\n"
                         + json.dumps({"model": "cheap", "messages": [{"role": "user", "content": prompt}]}) + "\n"
                         "20:00:00 - LiteLLM:DEBUG: utils.py:600 - litellm.acompletion(REDACTED', "
                         f"model='openai/gpt-4o-mini', messages=[{{'role': 'user', 'content': '{prompt}'}}], "
                         f"litellm_call_id='{call_id}')\n"
                         f"20:00:01 - LiteLLM Proxy:DEBUG: common_request_processing.py:1884 - "
                         f"litellm_call_id={call_id}: response model mismatch - requested='cheap'\n"
                         'INFO:     127.0.0.1:40000 - "POST /v1/chat/completions HTTP/1.1" 200 OK\n')
    settings = Settings(log_path=log, proxy_url="http://127.0.0.1:9", data_dir=tmp_path / "d",
                        litellm_config=tmp_path / "none.yaml", env_file=tmp_path / "none.env",
                        follow_poll_seconds=0.1)
    for start in ("first", "restart"):
        engine = Engine(settings, environ={},
                        transport=httpx.MockTransport(lambda r: httpx.Response(200, json={}))).start()
        try:
            assert wait_for(lambda: engine.state is not None and len(engine.state.recent) == 3), start
            assert [r.words for r in engine.state.recent] == [
                "Summarise chapter 2 of the manual", "Summarise chapter 1 of the manual",
                "Summarise chapter 0 of the manual"], start
        finally:
            assert engine.stop(2.0) == []
