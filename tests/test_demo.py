"""The built-in demo: its log parses as LiteLLM's --detailed_debug log, its endpoints poll, it cleans up."""

from __future__ import annotations

import io
import threading
import time
from pathlib import Path

import pytest

from tray.commands.demo import run_demo
from tray.config import Settings
from tray.demo import Demo, DemoProxy
from tray.logs.reader import read_whole_file
from tray.proxy.client import ProxyClient
from tray.proxy.poll import poll_once


@pytest.fixture
def proxy(tmp_path: Path):
    p = DemoProxy(tmp_path / "litellm.log", rate=0, seed=7).start()
    yield p
    p.stop()


def test_log_parses_with_the_real_reader(proxy: DemoProxy) -> None:
    ids = {proxy.one_request(fail=(i % 5 == 0)) for i in range(25)}
    records, reader, _ = read_whole_file(proxy.log_path)
    assert {r.id for r in records} == ids
    assert sum(r.status == "error" for r in records) == 5
    assert all(r.source == "debug" and r.model in ("cheap", "balanced", "frontier") for r in records)
    assert all(r.messages and r.last_user_text for r in records)
    failed = [r for r in records if r.status == "error"]
    assert all(r.status_code == 500 and "InternalServerError" in (r.error or "") for r in failed)
    assert any(r.tags for r in records)
    assert reader.prompts_visible
    answered = [r for r in records if r.status == "ok" and not r.stream]
    assert answered and all(r.response and r.last_user_text in r.response and r.total_tokens for r in answered)


def test_endpoints_answer_like_litellm(proxy: DemoProxy) -> None:
    for i in range(10):
        proxy.one_request(fail=i == 0, model="cheap" if i % 2 else "frontier")
    with ProxyClient(proxy.url) as client:
        snap = poll_once(client)
        assert snap.health.up and not snap.errors
        m = snap.metrics
        assert m is not None and m.era == "current"
        assert m.requests_total == 10 and m.requests_failed == 1
        assert set(m.requests_by_model) == {"cheap", "frontier"}
        assert m.tokens_total and m.spend_total and m.spend_total > 2.0   # starts part-way into the budget
        assert snap.spend is not None and snap.spend.by_tag and snap.spend.global_spend == pytest.approx(m.spend_total)
        assert client.get("/health/liveliness", auth=False).json() == "I'm alive!"
        rows = client.get("/spend/tags").json()
        assert set(rows[0]) == {"individual_request_tag", "log_count", "total_spend"}


def test_counters_grow_with_live_traffic(tmp_path: Path) -> None:
    p = DemoProxy(tmp_path / "l.log", rate=20, seed=1).start()
    try:
        with ProxyClient(p.url) as client:
            first = poll_once(client).metrics
            time.sleep(0.6)
            second = poll_once(client).metrics
        assert first is not None and second is not None
        assert second.requests_total > first.requests_total
        assert second.spend_total >= first.spend_total
    finally:
        p.stop()
    assert not [t for t in threading.enumerate() if t.name.startswith("demo-")]


def test_demo_settings_and_cleanup() -> None:
    demo = Demo(Settings(), rate=5).start()
    folder = demo.dir
    assert folder is not None and folder.exists()
    assert demo.settings.data_dir.is_relative_to(folder) and demo.settings.log_path.is_relative_to(folder)
    assert any(b.scope == "global" for b in demo.settings.budgets)
    demo.stop()
    assert not folder.exists()
    assert not [t for t in threading.enumerate() if t.name.startswith("demo-")]


def test_real_says_so_without_litellm(monkeypatch: pytest.MonkeyPatch) -> None:
    import tray.demo

    monkeypatch.setattr(tray.demo, "real_support", lambda: None)
    err = io.StringIO()
    assert run_demo(Settings(), real=True, out=io.StringIO(), err=err) == 2
    assert "needs LiteLLM" in err.getvalue()


@pytest.mark.litellm
def test_real_demo_runs_a_real_proxy_whose_log_and_metrics_the_app_reads() -> None:
    """`demo --real`: a real LiteLLM proxy with mock models, live traffic, all cleaned up."""
    import tray.demo

    if tray.demo.real_support() is None:
        pytest.skip("needs LiteLLM in .venv-litellm: bash .ci/install-litellm.sh 1.110.2 .venv-litellm")
    demo = Demo(Settings(), rate=4, real=True).start()
    folder, process = demo.dir, demo.real_proxy.proc
    try:
        deadline = time.monotonic() + 30
        records: list = []
        while len(records) < 3 and time.monotonic() < deadline:
            time.sleep(0.5)
            records, reader, _ = read_whole_file(demo.settings.log_path)
        assert len(records) >= 3 and reader.prompts_visible
        assert {r.model for r in records} <= {"cheap", "balanced", "frontier", "broken"}
        snapshot = poll_once(ProxyClient.from_settings(demo.settings, demo.real_proxy.master_key))
        assert snapshot.health.up and snapshot.metrics is not None
    finally:
        demo.stop()
    assert folder is not None and not folder.exists()
    assert process.poll() is not None


def test_a_long_request_is_under_way_until_the_rest_of_its_lines_come(proxy: DemoProxy) -> None:
    """One request in twenty of the demo's traffic takes 4-9 s: its body and call line are
    written at once, its answer and access line when it finishes, as LiteLLM writes them."""
    quick = proxy.one_request(fail=False, model="cheap")
    slow = proxy.one_request(fail=False, model="frontier", finish_after=0.3)
    proxy.finish_due()                                    # too early: nothing more yet
    records, reader, _ = read_whole_file(proxy.log_path)
    assert [r.id for r in records] == [quick]
    assert [(r.id, r.model) for r in reader.under_way()] == [(slow, "frontier")]
    time.sleep(0.35)
    proxy.finish_due()
    records, reader, _ = read_whole_file(proxy.log_path)
    assert {r.id: r.status for r in records} == {quick: "ok", slow: "ok"} and reader.under_way() == []
    finished = next(r for r in records if r.id == slow)
    assert finished.response or finished.stream          # a stream's answer is not logged whole
