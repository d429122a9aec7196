"""The running app, following a real LiteLLM proxy's log, tells the desktop when a request fails.

A real proxy (mock models, one whose upstream refuses connections), the app as a process
(`python -m tray run`), and a real session bus with dunst: a failed request must give one
Notify call within 2 s of the client getting its error, naming the model and the error.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.desktop.conftest import NotifyMonitor, stop_process, wait_until
from tests.support.litellm_proxy import MASTER_KEY, LiteLLMProxy, free_port, litellm_available, write_config

REPO = Path(__file__).resolve().parents[2]

pytestmark = [pytest.mark.desktop, pytest.mark.litellm]


@pytest.fixture
def proxy(tmp_path: Path):
    if not litellm_available():
        pytest.skip("needs a LiteLLM proxy: bash .ci/install-litellm.sh 1.110.2 .venv-litellm")
    port = free_port()
    config = write_config(tmp_path / "litellm", port)
    with LiteLLMProxy(config, port, tmp_path / "litellm.log", detailed_debug=True) as running:
        yield running


def _gi_available() -> bool:
    probe = subprocess.run([sys.executable, "-c", "import gi; gi.require_version('Gtk', '3.0')"],
                           capture_output=True)
    return probe.returncode == 0


def test_a_failed_request_notifies_once_within_two_seconds(
        proxy: LiteLLMProxy, notify_calls: NotifyMonitor, desktop_env: dict[str, str], tmp_path: Path) -> None:
    if not _gi_available():
        pytest.skip("needs PyGObject: pip install 'PyGObject<3.51' (see .ci/setup.sh)")
    home = tmp_path / "home"
    env = dict(os.environ, **desktop_env, PYSTRAY_BACKEND="gtk", HOME=str(home),
               XDG_DATA_HOME=str(home / "data"), XDG_CONFIG_HOME=str(home / "config"),
               XDG_STATE_HOME=str(home / "state"), XDG_CACHE_HOME=str(home / "cache"),
               LITELLM_MASTER_KEY=MASTER_KEY, LITELLM_TRAY_NOTIFY="notify-send", PYTHONPATH=str(REPO))
    app = subprocess.Popen([sys.executable, "-m", "tray", "run", "--log", str(proxy.log_path),
                            "--proxy", proxy.base_url], env=env, cwd=tmp_path,
                           stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        store = home / "data" / "litellm-tray" / "litellm-tray.sqlite3"
        wait_until(lambda: store.exists() or app.poll() is not None, 20, "the app to open its store")
        assert app.poll() is None, app.stderr.read().decode(errors="replace") if app.stderr else ""
        time.sleep(1.0)                       # its follower is at the end of the log
        before = len(notify_calls.calls())
        with httpx.Client(timeout=60) as client:
            ok = client.post(f"{proxy.base_url}/v1/chat/completions", headers=proxy.headers,
                             json={"model": "cheap", "messages": [{"role": "user", "content": "hi"}]})
            failed = client.post(f"{proxy.base_url}/v1/chat/completions", headers=proxy.headers,
                                 json={"model": "broken", "messages": [{"role": "user", "content": "fail"}]})
        answered = time.monotonic()
        assert ok.status_code == 200 and failed.status_code == 500
        notify_calls.wait(before + 1, timeout=2.0)
        assert time.monotonic() - answered < 2.5
        time.sleep(2.0)                       # nothing more arrives for the same failure
        mine = [c for c in notify_calls.calls()[before:] if "broken" in c.summary + c.body]
        assert len(mine) == 1, [c.summary for c in notify_calls.calls()[before:]]
        text = mine[0].summary + " " + mine[0].body
        assert "broken" in text and ("InternalServerError" in text or "Connection error" in text), text
        assert MASTER_KEY not in text and "cheap" not in mine[0].summary
    finally:
        app.terminate()
        try:
            app.wait(5)
        except subprocess.TimeoutExpired:
            stop_process(app)
