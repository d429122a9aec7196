"""Start and stop a real LiteLLM proxy for tests and fixture recording.

Stdlib + httpx only. The proxy runs from its own virtualenv (see
``.ci/install-litellm.sh``), found through the ``LITELLM_VENV`` environment
variable, by default ``<repo>/.venv-litellm``.

Typical use::

    port = free_port()
    cfg = write_config(tmp_path, port)
    with LiteLLMProxy(cfg, port, tmp_path / "litellm.log", detailed_debug=True) as proxy:
        httpx.get(proxy.base_url + "/health/liveliness")

The proxy's stdout and stderr both go to the log file, as they do when a user
runs ``litellm ... > litellm.log 2>&1``. Two ways of writing it:

* ``log_via_pipe=False`` (default): the proxy writes to the file directly
  through a descriptor opened with ``O_APPEND``. Truncating the file
  (``copytruncate`` rotation) works; renaming it does not make the proxy
  write to a new file, just as with a real redirected proxy.
* ``log_via_pipe=True``: the proxy writes to a pipe and a thread copies each
  line into the file. ``reopen()`` closes and reopens the path, so a test can
  rename the file (``create`` rotation) and then call ``reopen()``, as
  logrotate's ``postrotate`` would signal a daemon.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import IO, Mapping

import httpx

REPO_ROOT = Path(__file__).resolve().parents[2]
MASTER_KEY = "sk-master-fixture-0000"
BROKEN_API_BASE = "http://127.0.0.1:9/v1"

# model group -> (deployment model, mock_response, api_base).
# No mock_response means a real upstream call; broken's api_base refuses connections.
MODELS: dict[str, tuple[str, str | None, str | None]] = {
    "cheap": ("openai/gpt-4o-mini", "Hello from cheap", None),
    "balanced": ("openai/gpt-4o", "Hello from balanced, a somewhat longer answer.", None),
    "frontier": (
        "openai/gpt-4-turbo",
        "Hello from frontier. Ünïcödé ✓ 你好 — a longer, careful answer.",
        None,
    ),
    "broken": ("openai/gpt-4o-mini", None, BROKEN_API_BASE),
}


def default_venv() -> Path:
    return Path(os.environ.get("LITELLM_VENV", REPO_ROOT / ".venv-litellm"))


def litellm_binary(venv: Path | str | None = None) -> Path:
    venv = Path(venv) if venv is not None else default_venv()
    return venv / "bin" / "litellm"


def litellm_version(venv: Path | str | None = None) -> str | None:
    """Version of LiteLLM installed in ``venv``, or None if it is not installed."""
    venv = Path(venv) if venv is not None else default_venv()
    python = venv / "bin" / "python"
    if not python.exists():
        return None
    out = subprocess.run(
        [str(python), "-c", "from importlib.metadata import version; print(version('litellm'))"],
        capture_output=True,
        text=True,
    )
    return out.stdout.strip() or None if out.returncode == 0 else None


def litellm_available(venv: Path | str | None = None) -> bool:
    return litellm_binary(venv).exists()


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _yaml_str(s: str) -> str:
    # JSON strings are valid YAML double-quoted scalars.
    import json

    return json.dumps(s, ensure_ascii=False)


def config_text(
    port: int | None = None,
    *,
    master_key: str = MASTER_KEY,
    require_auth_for_metrics: bool = False,
    prometheus: bool = True,
    budgets: bool = True,
    max_budget: float = 1000.0,
    budget_duration: str = "30d",
) -> str:
    """The text of a LiteLLM config.yaml that needs no network.

    ``port`` is unused by LiteLLM (the port is a command-line option) but is
    written as a comment so a fixture's config says how it was run.
    """
    lines = ["# LiteLLM proxy config used to record test fixtures (no upstream network needed)."]
    if port is not None:
        lines.append(f"# started with: litellm --config config.yaml --port {port}")
    lines.append("model_list:")
    for name, (model, mock, api_base) in MODELS.items():
        lines += [
            f"  - model_name: {name}",
            "    litellm_params:",
            f"      model: {model}",
            "      api_key: sk-fake-upstream-key",
        ]
        if mock is not None:
            lines.append(f"      mock_response: {_yaml_str(mock)}")
        if api_base is not None:
            lines.append(f"      api_base: {api_base}")
    lines.append("litellm_settings:")
    if prometheus:
        lines.append('  callbacks: ["prometheus"]')
    lines.append(f"  require_auth_for_metrics_endpoint: {'true' if require_auth_for_metrics else 'false'}")
    if budgets:
        lines += [
            f"  max_budget: {max_budget}",
            f"  budget_duration: {budget_duration}",
        ]
    lines += [
        "general_settings:",
        f"  master_key: {master_key}",
    ]
    if budgets:
        # Per-model budgets, both shapes users write. Generous: never reached by tests.
        lines += [
            "  model_max_budget:",
            "    cheap: 100.0",
            "    balanced:",
            "      budget_limit: 50.0",
            "      time_period: 1d",
        ]
    return "\n".join(lines) + "\n"


def write_config(dir: Path | str, port: int | None = None, **kwargs) -> Path:
    """Write ``config.yaml`` into ``dir`` and return its path. See ``config_text``."""
    path = Path(dir) / "config.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(config_text(port, **kwargs), encoding="utf-8")
    return path


class ProxyStartError(RuntimeError):
    pass


class LiteLLMProxy:
    """A LiteLLM proxy process, used as a context manager."""

    def __init__(
        self,
        config: Path | str,
        port: int,
        log_path: Path | str,
        *,
        detailed_debug: bool = False,
        json_logs: bool = False,
        venv: Path | str | None = None,
        env: Mapping[str, str] | None = None,
        extra_args: list[str] | None = None,
        log_via_pipe: bool = False,
        startup_timeout: float = 90.0,
        master_key: str = MASTER_KEY,
    ) -> None:
        self.config = Path(config).absolute()
        self.port = port
        self.log_path = Path(log_path).absolute()
        self.detailed_debug = detailed_debug
        self.json_logs = json_logs
        self.venv = (Path(venv) if venv is not None else default_venv()).absolute()
        self.env = dict(env or {})
        self.extra_args = list(extra_args or [])
        self.log_via_pipe = log_via_pipe
        self.startup_timeout = startup_timeout
        self.master_key = master_key
        self.proc: subprocess.Popen | None = None
        self._fd: int | None = None
        self._out: IO[bytes] | None = None
        self._lock = threading.Lock()
        self._relay: threading.Thread | None = None

    # -- properties -------------------------------------------------------
    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.master_key}"}

    def command(self) -> list[str]:
        cmd = [str(litellm_binary(self.venv)), "--config", str(self.config), "--port", str(self.port)]
        cmd += ["--host", "127.0.0.1"]
        if self.detailed_debug:
            cmd.append("--detailed_debug")
        return cmd + self.extra_args

    def environment(self) -> dict[str, str]:
        env = dict(os.environ)
        # Do not leak the app's venv into the proxy's interpreter.
        for var in ("VIRTUAL_ENV", "PYTHONPATH", "PYTHONHOME"):
            env.pop(var, None)
        env["PATH"] = str(self.venv / "bin") + os.pathsep + env.get("PATH", "")
        # Use the bundled model price map instead of fetching it from GitHub at start-up.
        env.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
        env.setdefault("LITELLM_TELEMETRY", "False")
        env.setdefault("PYTHONUNBUFFERED", "1")
        if self.json_logs:
            env["JSON_LOGS"] = "True"
        else:
            env.pop("JSON_LOGS", None)
        env.update(self.env)
        return env

    # -- lifecycle --------------------------------------------------------
    def start(self) -> "LiteLLMProxy":
        binary = litellm_binary(self.venv)
        if not binary.exists():
            raise ProxyStartError(
                f"{binary} not found: run .ci/install-litellm.sh VERSION {self.venv} or set LITELLM_VENV"
            )
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        if self.log_via_pipe:
            self._out = open(self.log_path, "ab", buffering=0)
            stdout = subprocess.PIPE
        else:
            self._fd = os.open(self.log_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
            stdout = self._fd
        self.proc = subprocess.Popen(
            self.command(),
            stdin=subprocess.DEVNULL,
            stdout=stdout,
            stderr=subprocess.STDOUT,
            env=self.environment(),
            cwd=str(self.config.parent),
            start_new_session=True,
        )
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None
        if self.log_via_pipe:
            self._relay = threading.Thread(target=self._relay_lines, name="litellm-log-relay", daemon=True)
            self._relay.start()
        try:
            self.wait_ready()
        except BaseException:
            self.stop()
            raise
        return self

    def wait_ready(self) -> None:
        deadline = time.monotonic() + self.startup_timeout
        url = self.base_url + "/health/liveliness"
        last_err: Exception | None = None
        while time.monotonic() < deadline:
            assert self.proc is not None
            if self.proc.poll() is not None:
                raise ProxyStartError(
                    f"litellm exited with code {self.proc.returncode} before it was ready:\n{self.log_tail()}"
                )
            try:
                r = httpx.get(url, timeout=2.0)
                if r.status_code == 200:
                    return
            except httpx.HTTPError as e:
                last_err = e
            time.sleep(0.25)
        raise ProxyStartError(
            f"litellm not ready after {self.startup_timeout:.0f}s ({last_err!r}):\n{self.log_tail()}"
        )

    def stop(self, timeout: float = 15.0) -> int | None:
        proc = self.proc
        if proc is None:
            return None
        if proc.poll() is None:
            self._signal(signal.SIGTERM)
            try:
                proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self._signal(signal.SIGKILL)
                proc.wait(timeout=timeout)
        # Workers or reloaders left in the process group.
        self._signal(signal.SIGKILL)
        if self._relay is not None:
            self._relay.join(timeout=5)
            self._relay = None
        with self._lock:
            if self._out is not None:
                self._out.close()
                self._out = None
        return proc.returncode

    def _signal(self, sig: int) -> None:
        assert self.proc is not None
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.proc.pid, sig)

    def __enter__(self) -> "LiteLLMProxy":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    # -- log handling -------------------------------------------------------
    def _relay_lines(self) -> None:
        assert self.proc is not None and self.proc.stdout is not None
        for line in iter(self.proc.stdout.readline, b""):
            with self._lock:
                if self._out is not None:
                    self._out.write(line)
        self.proc.stdout.close()

    def reopen(self) -> None:
        """Close the log file and open ``log_path`` again (after a rename). Pipe mode only."""
        if not self.log_via_pipe:
            raise RuntimeError("reopen() needs log_via_pipe=True: the proxy owns its file descriptor")
        with self._lock:
            if self._out is not None:
                self._out.close()
            self._out = open(self.log_path, "ab", buffering=0)

    def log_tail(self, n: int = 60) -> str:
        try:
            data = self.log_path.read_bytes()
        except OSError:
            return "(no log)"
        return "\n".join(data.decode("utf-8", "replace").splitlines()[-n:])

    # -- HTTP ---------------------------------------------------------------
    def client(self, **kwargs) -> httpx.Client:
        kwargs.setdefault("timeout", 60.0)
        return httpx.Client(base_url=self.base_url, headers=self.headers, **kwargs)

    def metrics(self, timeout: float = 30.0) -> str:
        """The /metrics exposition text (follows the 307 to /metrics/)."""
        r = httpx.get(
            self.base_url + "/metrics/", headers=self.headers, follow_redirects=True, timeout=timeout
        )
        r.raise_for_status()
        return r.text


def main(argv: list[str] | None = None) -> int:
    """Run a proxy by hand: python -m tests.support.litellm_proxy DIR [--debug] [--json]."""
    import argparse

    p = argparse.ArgumentParser(description=main.__doc__)
    p.add_argument("dir", type=Path)
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--debug", action="store_true")
    p.add_argument("--json", action="store_true")
    p.add_argument("--venv", type=Path, default=None)
    a = p.parse_args(argv)
    port = a.port or free_port()
    cfg = write_config(a.dir, port)
    with LiteLLMProxy(cfg, port, a.dir / "litellm.log", detailed_debug=a.debug, json_logs=a.json, venv=a.venv) as px:
        print(f"LiteLLM proxy on {px.base_url}, log {px.log_path}; Ctrl-C to stop", file=sys.stderr)
        with contextlib.suppress(KeyboardInterrupt):
            while px.proc and px.proc.poll() is None:
                time.sleep(1)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
