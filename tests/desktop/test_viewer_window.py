"""The prompt viewer on a real X server: the window a person sees, driven by the keyboard.

Each test starts `python -m tray viewer` on an Xvfb of its own (display number chosen by Xvfb,
stopped by PID), reads what the widgets hold through the viewer's probe file, types with
xdotool, and keeps screenshots in test-artifacts/ (look at them).
Needs: xvfb, xdotool, imagemagick (Debian package names) and Tk for this Python.
"""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Callable, Iterator

import pytest

from tests.viewer import viewer_samples as SAMPLES
from tray.model import RequestRecord
from tray.store import Store

pytestmark = pytest.mark.desktop

REPO = Path(__file__).resolve().parents[2]
RECORDED = REPO / "tests" / "fixtures" / "litellm-1.74.15.post2"
ARTIFACTS = REPO / "test-artifacts"
TOOLS = {"Xvfb": "xvfb", "xdotool": "xdotool", "import": "imagemagick"}


def _missing() -> list[str]:
    missing = [package for tool, package in TOOLS.items() if shutil.which(tool) is None]
    try:
        import tkinter  # noqa: F401
    except ImportError:
        missing.append("Tk for this Python (python3-tk, or libtk8.6 for a pyenv build)")
    return missing


def _require_desktop() -> None:
    """Skip naming what to install (tests/conftest.py turns a skip into a failure in CI)."""
    missing = _missing()
    if missing:
        pytest.skip("desktop test needs: " + ", ".join(missing))




# -- the X server ----------------------------------------------------------------------------
@pytest.fixture(scope="module")
def display() -> Iterator[str]:
    """A private Xvfb; `-displayfd` makes it pick a free display number and tell us."""
    _require_desktop()
    read_end, write_end = os.pipe()
    xvfb = subprocess.Popen(
        ["Xvfb", "-displayfd", str(write_end), "-screen", "0", "1280x800x24", "-nolisten", "tcp"],
        pass_fds=(write_end,), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    os.close(write_end)
    try:
        with os.fdopen(read_end) as pipe:
            number = pipe.readline().strip()
        assert number, "Xvfb did not report its display"
        yield f":{number}"
    finally:
        xvfb.terminate()
        try:
            xvfb.wait(timeout=5)
        except subprocess.TimeoutExpired:
            xvfb.kill()
            xvfb.wait()


class Viewer:
    """One viewer process on `display`, with helpers to drive it and read what it shows."""

    def __init__(self, display: str, home: Path, args: list[str]):
        self.display, self.home = display, home
        self.probe = home / "probe.json"
        self.env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"), "DISPLAY": display, "TZ": "UTC",
            "HOME": str(home), "XDG_CONFIG_HOME": str(home / "config"),
            "LITELLM_TRAY_DATA_DIR": str(home / "data"), "LITELLM_TRAY_VIEWER_PROBE": str(self.probe),
            "PYTHONPATH": str(REPO), "LANG": "C.UTF-8",
        }
        self.started = time.monotonic()
        self.process = subprocess.Popen([sys.executable, "-m", "tray", "viewer", *args], env=self.env,
                                        stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        self.window = ""

    def wait_for_window(self, timeout: float = 10) -> float:
        """Block until the window is mapped; returns seconds since the process started."""
        found = self.xdotool("search", "--sync", "--onlyvisible", "--name", "litellm-tray",
                             timeout=timeout)
        self.window = found.split()[0]
        return time.monotonic() - self.started

    def xdotool(self, *args: str, timeout: float = 10) -> str:
        return subprocess.run(["xdotool", *args], env=self.env, capture_output=True, text=True,
                              check=True, timeout=timeout).stdout

    def keys(self, *keys: str) -> None:
        self.xdotool("windowfocus", "--sync", self.window)
        for key in keys:
            self.xdotool("key", "--clearmodifiers", key)

    def type(self, text: str) -> None:
        self.xdotool("windowfocus", "--sync", self.window)
        self.xdotool("type", "--delay", "15", text)

    def find_and_open(self, text: str, expected: list[str] | None = None) -> dict[str, Any]:
        """Ctrl+F, type `text`, wait for the list to narrow (to `expected`, or one row), press Down
        to select the first match; returns the state showing its detail."""
        self.keys("ctrl+f")  # selects the old search text, so typing replaces it
        self.type(text)
        self.wait_until(lambda s: s["ids"] == expected if expected else len(s["ids"]) == 1,
                        f"the search for {text!r} to narrow the list")
        self.keys("Down")
        return self.wait_until(lambda s: s["selected"] == s["ids"][:1] and s["detail"].startswith("user"),
                               f"the first match for {text!r} opened")

    def clipboard(self) -> str:
        """The CLIPBOARD selection as another X client reads it (the viewer owns it)."""
        read = "import tkinter; r = tkinter.Tk(); r.withdraw(); print(r.clipboard_get(), end='')"
        return subprocess.run([sys.executable, "-c", read], env=self.env, capture_output=True,
                              text=True, check=True, timeout=10).stdout

    def state(self) -> dict[str, Any]:
        try:
            return json.loads(self.probe.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}

    def wait_until(self, check: Callable[[dict[str, Any]], bool], what: str, timeout: float = 10) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            state = self.state()
            if state and check(state):
                return state
            assert self.process.poll() is None, f"viewer exited: {self.output()}"
            time.sleep(0.05)
        raise AssertionError(f"timed out waiting for {what}; last state: {json.dumps(self.state())[:2000]}")

    def screenshot(self, name: str) -> Path:
        ARTIFACTS.mkdir(exist_ok=True)
        path = ARTIFACTS / f"viewer-{name}.png"
        subprocess.run(["import", "-display", self.display, "-window", "root", str(path)],
                       check=True, timeout=20)
        return path

    def output(self) -> str:
        return self.process.stdout.read().decode(errors="replace") if self.process.stdout else ""

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


@pytest.fixture
def records() -> list[RequestRecord]:
    return SAMPLES.sample_records()


@pytest.fixture
def home(tmp_path: Path, records: list[RequestRecord]) -> Path:
    """A user home whose store holds the sample requests (later: filled from a real LiteLLM log)."""
    SAMPLES.fill_store(tmp_path / "data" / "litellm-tray.sqlite3", records).close()
    return tmp_path


@pytest.fixture
def start_viewer(display: str, home: Path) -> Iterator[Callable[..., Viewer]]:
    started: list[Viewer] = []

    def start(*args: str) -> Viewer:
        viewer = Viewer(display, home, list(args))
        started.append(viewer)
        viewer.wait_for_window()
        return viewer

    yield start
    for viewer in started:
        viewer.stop()


def by_id(records: list[RequestRecord], request_id: str) -> RequestRecord:
    return next(r for r in records if r.id == request_id)


# -- the tests ------------------------------------------------------------------------------
def test_a_real_litellm_log_is_read_and_shown(display: str, tmp_path: Path) -> None:
    """`viewer --log`: the window is up at once and fills as the recorded log is read."""
    truth = [json.loads(line) for line in
             (RECORDED / "truth-debug.jsonl").read_text(encoding="utf-8").splitlines()]
    viewer = Viewer(display, tmp_path, ["--log", str(RECORDED / "debug.log")])
    try:
        assert viewer.wait_for_window() < 5
        state = viewer.wait_until(lambda s: len(s["ids"]) == len(truth), "every recorded request")
        viewer.wait_until(lambda s: "Finished reading debug.log" in s["status"], "the read to end")
        assert len(state["failed"]) == sum(t["expected_status"] == "error" for t in truth)
        wanted = next(t for t in truth if t["marker"] == "[req-005]")  # the multi-line prompt
        state = viewer.find_and_open("[req-005]")
        assert state["detail"] == (f"user\n{wanted['messages'][-1]['content']}\n"
                                   f"response\n{wanted['response']}\n")
        viewer.screenshot("real-log")
    finally:
        viewer.stop()


def test_window_lists_the_stored_requests_newest_first(start_viewer: Callable[..., Viewer],
                                                       records: list[RequestRecord]) -> None:
    viewer = start_viewer()
    state = viewer.wait_until(lambda s: len(s["ids"]) == 15, "15 listed requests")
    assert state["title"] == "litellm-tray — prompts"
    assert state["ids"] == [r.id for r in reversed(records)]
    assert state["failed"] == ["chatcmpl-014", "chatcmpl-011", "chatcmpl-010"]
    rows = dict(zip(state["ids"], state["rows"]))
    assert rows["chatcmpl-010"] == ["2026-12-04 19:09:07", "broken", "✗ 500", "", "", "2.0 s", "",
                                    "This goes to a dead upstream. [req-010]"]
    assert rows["chatcmpl-008"] == ["2026-12-04 19:07:07", "balanced", "ok", "20", "$0.0001", "480 ms",
                                    "jobB, batch", "Tagged job B streaming request. [req-008]"]
    assert rows["chatcmpl-004"][7] == SAMPLES.UNICODE_TEXT + " [req-004]"
    assert "15 newest of 15 stored requests" in state["status"]
    viewer.screenshot("list")


def test_search_narrows_the_list_and_the_detail_shows_the_exact_texts(
        start_viewer: Callable[..., Viewer], records: list[RequestRecord]) -> None:
    viewer = start_viewer()
    viewer.wait_until(lambda s: len(s["ids"]) == 15, "the full list")
    state = viewer.find_and_open("indented with a tab", ["chatcmpl-005"])
    record = by_id(records, "chatcmpl-005")
    assert state["detail"] == (f"user\n{record.messages[0]['content']}\n"
                               f"response\n{record.response}\n")
    assert "1 matching of 15 stored requests" in state["status"]
    viewer.screenshot("search-multiline")

    state = viewer.find_and_open("こんにちは", ["chatcmpl-004"])
    assert state["detail"] == f"user\n{SAMPLES.UNICODE_TEXT} [req-004]\nresponse (streamed)\nBonjour ! 你好！ 👋\n"
    viewer.screenshot("search-unicode")


def test_a_50_kb_prompt_is_shown_whole(start_viewer: Callable[..., Viewer],
                                       records: list[RequestRecord]) -> None:
    viewer = start_viewer()
    viewer.wait_until(lambda s: len(s["ids"]) == 15, "the full list")
    state = viewer.find_and_open("Sentence 00700", ["chatcmpl-013"])
    prompt = by_id(records, "chatcmpl-013").messages[0]["content"]
    assert len(prompt) > 50_000
    assert state["detail"] == f"user\n{prompt}\nresponse\nHello from cheap\n"
    viewer.screenshot("50kb")


def test_opened_on_a_failed_request_shows_the_error(start_viewer: Callable[..., Viewer]) -> None:
    viewer = start_viewer("--request", "chatcmpl-010")
    state = viewer.wait_until(lambda s: s["selected"] == ["chatcmpl-010"], "the requested row selected")
    assert state["detail"].startswith("user\nThis goes to a dead upstream. [req-010]\nerror 500\n"
                                      "litellm.InternalServerError: InternalServerError: OpenAIException")
    assert "httpx.ConnectError: All connection attempts failed" in state["detail"]
    assert json.loads(state["raw"])["error"] == SAMPLES.ERROR_TRACEBACK
    viewer.screenshot("error")


def test_filters_from_the_keyboard_and_esc_clears_the_search(start_viewer: Callable[..., Viewer]) -> None:
    viewer = start_viewer()
    viewer.wait_until(lambda s: len(s["ids"]) == 15, "the full list")
    viewer.keys("ctrl+f", "Tab", "Tab")  # Find -> Model -> Status (Tab selects the field's text)
    viewer.type("error")
    state = viewer.wait_until(lambda s: len(s["ids"]) == 3, "only the failed requests")
    assert state["ids"] == state["failed"] == ["chatcmpl-014", "chatcmpl-011", "chatcmpl-010"]
    viewer.keys("shift+Tab")  # back to Model
    viewer.type("cheap")
    viewer.wait_until(lambda s: s["ids"] == ["chatcmpl-014"], "failed requests to model cheap")
    viewer.screenshot("filtered")
    viewer.keys("Tab")
    viewer.type("any")
    viewer.keys("shift+Tab")
    viewer.type("any")
    viewer.wait_until(lambda s: len(s["ids"]) == 15, "the filters cleared")

    viewer.keys("ctrl+f")
    viewer.type("job")
    viewer.wait_until(lambda s: s["ids"] == ["chatcmpl-008", "chatcmpl-007"], "two job requests")
    viewer.keys("Escape")
    state = viewer.wait_until(lambda s: len(s["ids"]) == 15 and s["selected"], "Esc to clear the search")
    assert state["selected"] == ["chatcmpl-008"]  # the match in view stays selected in the full list
    viewer.keys("Down", "Down")
    after = state["ids"][state["ids"].index("chatcmpl-008") + 2]
    viewer.wait_until(lambda s: s["selected"] == [after], "arrow keys to move the selection")


def test_follows_new_requests_and_exports_what_it_shows(start_viewer: Callable[..., Viewer],
                                                        home: Path) -> None:
    viewer = start_viewer()
    viewer.wait_until(lambda s: len(s["ids"]) == 15, "the full list")
    writer = Store(home / "data" / "litellm-tray.sqlite3")
    writer.commit([RequestRecord("live-1", "2026-12-04T19:30:00+00:00", "cheap",
                                 [{"role": "user", "content": "Arrived while the window was open"}],
                                 None, "error", 429, "Rate limit exceeded", latency_ms=40.0)])
    writer.close()
    state = viewer.wait_until(lambda s: s["ids"][:1] == ["live-1"], "the new request, live", timeout=5)
    assert "live-1" in state["failed"] and len(state["ids"]) == 16

    target = home / "export.jsonl"
    viewer.keys("ctrl+e")
    time.sleep(0.5)  # the file dialog takes the focus
    viewer.xdotool("type", "--delay", "10", str(target))
    viewer.xdotool("key", "Return")
    state = viewer.wait_until(lambda s: "Exported 16 requests" in s["status"], "the export")
    viewer.screenshot("exported")
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    reader = Store(home / "data" / "litellm-tray.sqlite3", readonly=True)
    expected = [reader.get(request_id).to_json() for request_id in state["ids"]]  # type: ignore[union-attr]
    exported = [json.loads(line) for line in target.read_text(encoding="utf-8").splitlines()]
    assert exported == expected


def test_copy_buttons_put_texts_on_the_clipboard(start_viewer: Callable[..., Viewer],
                                                records: list[RequestRecord]) -> None:
    from tray.desktop.viewer.curl import curl_command

    viewer = start_viewer("--request", "chatcmpl-009", "--proxy", "http://localhost:4000")
    viewer.wait_until(lambda s: s["selected"] == ["chatcmpl-009"], "the request")
    record = by_id(records, "chatcmpl-009")
    expected = {
        "Copy as curl": curl_command(record, "http://localhost:4000"),
        "Copy message": "And times three? [req-009]",  # nothing clicked: the last user message
        "Copy response": "12",
    }
    for label, text in expected.items():
        state = viewer.state()
        viewer.xdotool("mousemove", "--sync", *map(str, state["buttons"][label]), "click", "1")
        viewer.wait_until(lambda s: "Copied" in s["status"] and s["writes"] > state["writes"], label)
        assert viewer.clipboard() == text, label
    assert '-H "Authorization: Bearer $LITELLM_MASTER_KEY"' in expected["Copy as curl"]


def test_hide_content_masks_prompts_and_responses(start_viewer: Callable[..., Viewer]) -> None:
    viewer = start_viewer("--request", "chatcmpl-005")
    viewer.wait_until(lambda s: s["selected"] == ["chatcmpl-005"], "the request")
    viewer.keys("ctrl+shift+h")
    state = viewer.wait_until(lambda s: s["hidden"], "content hidden")
    assert all(row[7].startswith("[hidden: ") for row in state["rows"])
    assert "Line one" not in state["detail"] and "Line one" not in state["raw"]
    assert state["detail"].startswith("user\n[hidden: ")
    viewer.screenshot("hidden")


def test_started_as_its_own_process_from_the_tray(display: str, home: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    from tray.config import Settings
    from tray.desktop.viewer.process import open_viewer_process

    probe = home / "probe.json"
    for name, value in (("DISPLAY", display), ("XDG_CONFIG_HOME", str(home / "config")),
                        ("LITELLM_TRAY_VIEWER_PROBE", str(probe))):
        monkeypatch.setenv(name, value)
    child = open_viewer_process(Settings(data_dir=home / "data"), request_id="chatcmpl-003")
    try:
        assert os.getpgid(child.pid) != os.getpgid(0)  # its own session: the tray's Ctrl+C spares it
        subprocess.run(["xdotool", "search", "--sync", "--onlyvisible", "--name", "litellm-tray"],
                       check=True, timeout=10, capture_output=True)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and '"selected": ["chatcmpl-003"]' not in (
                probe.read_text(encoding="utf-8") if probe.exists() else ""):
            time.sleep(0.05)
        assert json.loads(probe.read_text(encoding="utf-8"))["selected"] == ["chatcmpl-003"]
    finally:
        child.terminate()
        child.wait(timeout=5)
