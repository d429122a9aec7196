"""Starting the viewer from the tray, reading a log in the background, and the command's exits."""

from __future__ import annotations

import sys
import time
import types
from pathlib import Path

import pytest

from tray.commands.viewer import run_viewer
from tray.config import Settings
from tray.desktop.viewer.ingest_task import LogIngest
from tray.desktop.viewer.probe import ENV, Probe
from tray.desktop.viewer.process import viewer_command, viewer_environment
from tray.model import RequestRecord
from tray.store import Store


def settings(tmp_path: Path, **changes: object) -> Settings:
    return Settings(data_dir=tmp_path / "data", log_path=tmp_path / "litellm.log",
                    config_path=tmp_path / "absent.toml").with_overrides(**changes)


def test_command_line_is_python_dash_m_tray(tmp_path: Path) -> None:
    command = viewer_command(settings(tmp_path, proxy_url="http://localhost:4000"), "chatcmpl-7")
    assert command == [sys.executable, "-m", "tray", "viewer", "--proxy", "http://localhost:4000",
                       "--request", "chatcmpl-7"]
    config = tmp_path / "config.toml"
    config.write_text("")
    assert viewer_command(settings(tmp_path, config_path=config))[-2:] == ["--config", str(config)]


def test_child_reads_the_same_store_and_never_gets_a_key_flag(tmp_path: Path) -> None:
    env = viewer_environment(settings(tmp_path), {"PATH": "/bin", "PYTHONPATH": "/x"})
    assert env["LITELLM_TRAY_DATA_DIR"] == str(tmp_path / "data")
    assert env["PYTHONPATH"].endswith("/x") and env["PATH"] == "/bin"
    assert not any("key" in part.lower() for part in viewer_command(settings(tmp_path)))


def fake_ingest(monkeypatch: pytest.MonkeyPatch, ingest_file: object) -> None:
    module = types.ModuleType("tray.logs.ingest")
    module.ingest_file = ingest_file  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "tray.logs.ingest", module)


def wait_for_result(task: LogIngest) -> object:
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        result = task.poll()
        if result is not None:
            return result
        time.sleep(0.01)
    raise AssertionError("the log reader never reported")


def test_log_is_read_into_the_store_on_a_named_thread(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    seen: dict[str, object] = {}

    def ingest_file(path: Path, store: Store, secrets: tuple[str, ...], max_line_bytes: int) -> int:
        import threading

        seen.update(thread=threading.current_thread().name, secrets=secrets, max_line_bytes=max_line_bytes)
        store.commit([RequestRecord("from-log", model="cheap")])
        return 1

    fake_ingest(monkeypatch, ingest_file)
    task = LogIngest(settings(tmp_path, max_line_bytes=1024), tmp_path / "litellm.log", ["sk-m", ""]).start()
    result = wait_for_result(task)
    assert (result.count, result.error) == (1, None)
    assert seen == {"thread": "viewer-ingest", "secrets": ("sk-m",), "max_line_bytes": 1024}
    assert Store(tmp_path / "data" / "litellm-tray.sqlite3", readonly=True).get("from-log") is not None


def test_a_failing_log_reader_is_reported_not_raised(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def ingest_file(path: Path, store: Store, secrets: tuple[str, ...], max_line_bytes: int) -> int:
        raise ValueError("unrecognised log format")

    fake_ingest(monkeypatch, ingest_file)
    result = wait_for_result(LogIngest(settings(tmp_path), tmp_path / "x.log").start())
    assert result.error == "ValueError: unrecognised log format"


def test_a_real_recorded_log_is_read(tmp_path: Path) -> None:
    log = Path(__file__).resolve().parents[1] / "fixtures" / "litellm-1.74.15.post2" / "debug.log"
    truth = log.with_name("truth-debug.jsonl").read_text(encoding="utf-8").splitlines()
    result = wait_for_result(LogIngest(settings(tmp_path), log).start())
    assert result.error is None
    store = Store(tmp_path / "data" / "litellm-tray.sqlite3", readonly=True)
    assert store.count() == len(truth)
    store.close()


def test_missing_log_is_a_usage_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run_viewer(settings(tmp_path), log_given=True, request_id=None) == 2
    assert "no such log file" in capsys.readouterr().err


def test_no_display_is_reported(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    if sys.platform != "linux":
        pytest.skip("only X11 needs $DISPLAY")
    assert run_viewer(settings(tmp_path), log_given=False, request_id=None) == 2
    assert "cannot open a window" in capsys.readouterr().err


def test_probe_only_when_asked(tmp_path: Path) -> None:
    assert Probe.from_env({}) is None
    probe = Probe.from_env({ENV: str(tmp_path / "p.json")})
    assert probe is not None
    probe.write({"rows": [["a"]]})
    assert (tmp_path / "p.json").read_text(encoding="utf-8") == '{"rows": [["a"]], "writes": 1}'
