"""The built-in demo behind `litellm-tray demo`: a small LiteLLM look-alike with live traffic.

`DemoProxy` serves what the app polls (`/metrics` with today's metric names and
`requested_model` labels, `/spend/tags`, `/global/spend`, `/health/liveliness`) from a
stdlib HTTP server on 127.0.0.1, and a writer thread appends requests to a log in the format
LiteLLM writes with `--detailed_debug`: several models and tags, occasional failures, and
spend that climbs toward the demo budget. `Demo` puts both in a temporary folder with the
settings the tray app needs, and removes everything again on `stop()`.
"""

from __future__ import annotations

import json
import random
import shutil
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Callable

from tray.config import Budget, Settings

#: model group -> (deployment, price per 1k tokens in $)
MODELS: dict[str, tuple[str, float]] = {
    "cheap": ("gpt-4o-mini", 0.0006),
    "balanced": ("gpt-4o", 0.01),
    "frontier": ("gpt-4-turbo", 0.03),
}
TAGS: tuple[tuple[str, ...], ...] = ((), (), ("jobA",), ("jobB", "batch"), ("nightly",))
PROMPTS = (
    "Summarise the release notes for version {n} in three bullet points.",
    "Translate 'good morning, how are you?' into French and German. (#{n})",
    "Write a haiku about proxies and budgets, number {n}.",
    "Explain the difference between a process and a thread. [{n}]",
    "Draft a polite reply declining the meeting on Thursday ({n}).",
    "List five edge cases for a log file follower across rotation. #{n}",
    "What is 17 * {n}? Answer with the number only.",
    "Review this SQL: SELECT * FROM requests WHERE id = {n};",
)
DEMO_BUDGET = 5.0          # $ per month: the demo starts near 40 % of it and climbs
LONG_SHARE = 0.05          # requests that take a while: the menu lists them under way
LONG_SECONDS = (4.0, 9.0)
#: Lines a request writes before LiteLLM calls the model (body, pre-call hook, call line).
_BEGUN_LINES = 4


def _answer(prompt: str) -> str:
    """The demo model's reply: it says what it was asked, and that it is the demo."""
    return f"(Demo answer) You asked: \"{prompt}\". A real model would answer here."


@dataclass
class _Counters:
    """What the demo proxy has served since it started (its Prometheus counters)."""

    started: float = field(default_factory=time.time)
    total: dict[tuple[str, int], float] = field(default_factory=dict)      # (model, status) -> n
    failed: dict[tuple[str, int], float] = field(default_factory=dict)
    tokens_in: dict[str, float] = field(default_factory=dict)
    tokens_out: dict[str, float] = field(default_factory=dict)
    spend: dict[str, float] = field(default_factory=dict)
    tag_spend: dict[str, tuple[int, float]] = field(default_factory=dict)
    latency: dict[str, list[float]] = field(default_factory=dict)


_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 5.0, 10.0, 30.0)


def _labels(**labels: Any) -> str:
    base = {"api_key_alias": "None", "hashed_api_key": "litellm_proxy_master_key", "team": "None",
            "user": "default_user_id", "route": "/v1/chat/completions"}
    base.update({k: str(v) for k, v in labels.items()})
    return "{" + ",".join(f'{k}="{v}"' for k, v in sorted(base.items())) + "}"


class DemoProxy:
    """A LiteLLM look-alike: serves the polled endpoints and writes a `--detailed_debug` log."""

    def __init__(self, log_path: Path, *, rate: float = 3.0, fail_rate: float = 0.08,
                 seed: int | None = None, start_spend: float = DEMO_BUDGET * 0.4,
                 clock: Callable[[], float] = time.time) -> None:
        self.log_path = Path(log_path)
        self.rate = rate
        self.fail_rate = fail_rate
        self.random = random.Random(seed)
        self.clock = clock
        self.counters = _Counters(started=clock())
        self.lock = threading.Lock()
        self.served = 0
        self._n = 0
        self._stop = threading.Event()
        self._server: ThreadingHTTPServer | None = None
        self._threads: list[threading.Thread] = []
        self._later: list[tuple[float, list[str]]] = []      # (when, lines) of requests under way
        if start_spend > 0:  # spend before the app started watching: the budget is partly used
            self.counters.spend = {"frontier": start_spend * 0.7, "balanced": start_spend * 0.25,
                                   "cheap": start_spend * 0.05}
            self.counters.tag_spend = {"jobA": (40, start_spend * 0.3), "jobB": (25, start_spend * 0.2)}

    # -- lifecycle -------------------------------------------------------------------------------
    @property
    def url(self) -> str:
        assert self._server is not None, "not started"
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self, traffic: bool = True) -> "DemoProxy":
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        self.log_path.touch()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self._server.daemon_threads = True
        self._threads.append(threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.1},
                                              name="demo-http", daemon=True))
        port = self._server.server_address[1]
        self._write([f"INFO:     Started server process [{12345}]",
                     "INFO:     Waiting for application startup.",
                     "INFO:     Application startup complete.",
                     f"INFO:     Uvicorn running on http://127.0.0.1:{port} (Press CTRL+C to quit)"])
        if traffic and self.rate > 0:
            self._threads.append(threading.Thread(target=self._traffic, name="demo-traffic", daemon=True))
        for thread in self._threads:
            thread.start()
        return self

    def stop(self, timeout: float = 2.0) -> None:
        self._stop.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        for thread in self._threads:
            thread.join(timeout)
        self._threads.clear()

    # -- traffic ---------------------------------------------------------------------------------
    def _traffic(self) -> None:
        while not self._stop.is_set():
            long = self.random.random() < LONG_SHARE
            self.one_request(finish_after=self.random.uniform(*LONG_SECONDS) if long else 0.0)
            self._stop.wait(self.random.expovariate(self.rate))
            self.finish_due()

    def finish_due(self) -> None:
        """Write the rest of the requests whose time has come (see one_request)."""
        now = time.monotonic()
        with self.lock:
            due = [lines for when, lines in self._later if when <= now]
            self._later = [(when, lines) for when, lines in self._later if when > now]
        for lines in due:
            self._write(lines)

    def one_request(self, *, fail: bool | None = None, model: str | None = None,
                    finish_after: float = 0.0) -> str:
        """Serve one made-up request: count it and log it. Returns its litellm_call_id.
        `finish_after` seconds: only its first lines now, the rest once `finish_due` is called
        that much later (the request is under way meanwhile)."""
        rnd = self.random
        with self.lock:
            self._n += 1
            n = self._n
        model = model or rnd.choices(list(MODELS), weights=(6, 3, 1))[0]
        deployment, price = MODELS[model]
        tags = list(rnd.choice(TAGS))
        fail = rnd.random() < self.fail_rate if fail is None else fail
        stream = rnd.random() < 0.3
        prompt = rnd.choice(PROMPTS).format(n=n)
        messages: list[dict[str, str]] = []
        if rnd.random() < 0.3:
            messages.append({"role": "system", "content": "You are a concise assistant."})
        messages.append({"role": "user", "content": prompt})
        call_id = str(uuid.UUID(int=rnd.getrandbits(128), version=4))
        tokens_in = len(prompt.split()) * 2 + 8
        tokens_out = 0 if fail else rnd.randint(20, 400)
        cost = 0.0 if fail else (tokens_in + tokens_out) / 1000 * price * 2  # demo: spend climbs visibly
        latency = finish_after or rnd.uniform(0.2, 2.5)
        status = 500 if fail else 200
        with self.lock:
            c = self.counters
            c.total[(model, status)] = c.total.get((model, status), 0) + 1
            if fail:
                c.failed[(model, status)] = c.failed.get((model, status), 0) + 1
            c.tokens_in[model] = c.tokens_in.get(model, 0) + tokens_in
            c.tokens_out[model] = c.tokens_out.get(model, 0) + tokens_out
            c.spend[model] = c.spend.get(model, 0.0) + cost
            for tag in tags:
                count, spent = c.tag_spend.get(tag, (0, 0.0))
                c.tag_spend[tag] = (count + 1, spent + cost)
            c.latency.setdefault(model, []).append(latency)
            self.served += 1
        usage = {"completion_tokens": tokens_out, "prompt_tokens": tokens_in, "total_tokens": tokens_in + tokens_out}
        lines = self._lines(call_id, model, deployment, messages, tags, stream, fail, usage)
        if finish_after > 0:
            self._write(lines[:_BEGUN_LINES])
            with self.lock:
                self._later.append((time.monotonic() + finish_after, lines[_BEGUN_LINES:]))
        else:
            self._write(lines)
        return call_id

    def _lines(self, call_id: str, model: str, deployment: str, messages: list[dict[str, str]],
               tags: list[str], stream: bool, fail: bool, usage: dict[str, int]) -> list[str]:
        """The lines LiteLLM 1.110 writes for one request with `--detailed_debug`, its model
        on a real upstream (whose raw answer it logs, for a request not streamed)."""
        clock = time.strftime("%H:%M:%S", time.localtime(self.clock()))
        body: dict[str, Any] = {"model": model, "messages": messages}
        metadata: dict[str, Any] = {"user_api_key_user_id": "default_user_id"}
        if tags:
            metadata = {"tags": tags, **metadata}
        body["metadata"] = metadata
        if stream:
            body.update({"stream": True, "stream_options": {"include_usage": True}})
        port = self.random.randint(40000, 60000)
        py_messages = repr(messages)
        lines = [
            f"{clock} - LiteLLM Proxy:DEBUG: common_request_processing.py:3121 - Request received by LiteLLM:",
            json.dumps(body, ensure_ascii=False),
            f"{clock} - LiteLLM Proxy:DEBUG: utils.py:3245 - Inside Proxy Logging Pre-call hook!",
            f"{clock} - LiteLLM:DEBUG: utils.py:600 - litellm.acompletion(REDACTED', "
            f"use_in_pass_through=False, use_litellm_proxy=False, model='openai/{deployment}', "
            f"messages={py_messages}, caching=False, client=None, "
            + ("stream=True, stream_options={'include_usage': True}, " if stream else "")
            + "metadata=<dict len=67>, proxy_server_request=<dict len=7>, secret_fields='REDACTED', "
            f"litellm_call_id='{call_id}', "
            "litellm_logging_obj=<litellm.litellm_core_utils.litellm_logging.Logging object at 0x7f6105038790>, "
            + ("" if stream else "stream=False, ")
            + f"litellm_trace_id='{uuid.uuid4()}', timeout=6000.0, max_retries=0)",
        ]
        if fail:
            lines += [
                f"{clock} - LiteLLM Proxy:ERROR: common_request_processing.py:2164 - "
                "litellm.proxy.proxy_server._handle_llm_api_exception(): Exception occured - "
                f"litellm_call_id={call_id} - litellm.InternalServerError: InternalServerError: "
                "OpenAIException - Connection error.",
                f'INFO:     127.0.0.1:{port} - "POST /v1/chat/completions HTTP/1.1" 500 Internal Server Error',
            ]
        else:
            if not stream:
                answer = {"id": f"chatcmpl-{call_id[:8]}", "object": "chat.completion", "model": deployment,
                          "choices": [{"index": 0, "finish_reason": "stop", "message": {
                              "role": "assistant", "content": _answer(messages[-1]["content"])}}],
                          "usage": usage}
                lines += [f"{clock} - LiteLLM:DEBUG: litellm_logging.py:1910 - RAW RESPONSE:",
                          json.dumps(answer, ensure_ascii=False), ""]
            lines += [
                f"{clock} - LiteLLM Proxy:DEBUG: common_request_processing.py:1884 - "
                f"litellm_call_id={call_id}: response model mismatch - requested='{model}' "
                f"downstream='{deployment}'. Overriding response.model to requested model.",
                f'INFO:     127.0.0.1:{port} - "POST /v1/chat/completions HTTP/1.1" 200 OK',
            ]
        return lines

    def _write(self, lines: list[str]) -> None:
        with self.lock, open(self.log_path, "a", encoding="utf-8") as out:
            out.write("\n".join(lines) + "\n")

    # -- what the endpoints answer ---------------------------------------------------------------
    def metrics_text(self) -> str:
        with self.lock:
            c = self.counters
            out = ["# HELP process_start_time_seconds Start time of the process since unix epoch in seconds.",
                   "# TYPE process_start_time_seconds gauge",
                   f"process_start_time_seconds {c.started:.2f}"]

            def family(name: str, kind: str, rows: list[tuple[str, float]]) -> None:
                base = name[:-6] if name.endswith("_total") else name
                out.append(f"# HELP {base} {base}")
                out.append(f"# TYPE {base} {kind}")
                out.extend(f"{name}{labels} {value!r}" for labels, value in rows)

            family("litellm_proxy_total_requests_metric_total", "counter",
                   [(_labels(requested_model=m, status_code=s), v) for (m, s), v in sorted(c.total.items())])
            family("litellm_proxy_failed_requests_metric_total", "counter",
                   [(_labels(requested_model=m, exception_status=s,
                             exception_class="Openai.InternalServerError"), v)
                    for (m, s), v in sorted(c.failed.items())])
            family("litellm_input_tokens_metric_total", "counter",
                   [(_labels(requested_model=m, model=MODELS[m][0]), v) for m, v in sorted(c.tokens_in.items())])
            family("litellm_output_tokens_metric_total", "counter",
                   [(_labels(requested_model=m, model=MODELS[m][0]), v) for m, v in sorted(c.tokens_out.items())])
            family("litellm_total_tokens_metric_total", "counter",
                   [(_labels(requested_model=m, model=MODELS[m][0]), v + c.tokens_out.get(m, 0))
                    for m, v in sorted(c.tokens_in.items())])
            family("litellm_spend_metric_total", "counter",
                   [(_labels(requested_model=m, model=MODELS[m][0]), v) for m, v in sorted(c.spend.items())])
            rows: list[tuple[str, float]] = []
            for m, values in sorted(c.latency.items()):
                for le in _BUCKETS:
                    rows.append((_labels(requested_model=m, model_group=m, le=le),
                                 float(sum(1 for v in values if v <= le))))
                rows.append((_labels(requested_model=m, model_group=m, le="+Inf"), float(len(values))))
            out.append("# TYPE litellm_request_total_latency_metric histogram")
            out.extend(f"litellm_request_total_latency_metric_bucket{labels} {value!r}" for labels, value in rows)
        return "\n".join(out) + "\n"

    def spend_tags(self) -> list[dict[str, Any]]:
        with self.lock:
            return [{"individual_request_tag": tag, "log_count": count, "total_spend": round(spent, 8)}
                    for tag, (count, spent) in sorted(self.counters.tag_spend.items(), key=lambda kv: -kv[1][1])]

    def global_spend(self) -> dict[str, Any]:
        with self.lock:
            return {"spend": round(sum(self.counters.spend.values()), 8), "max_budget": DEMO_BUDGET}


def _handler(proxy: DemoProxy) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        server_version = "uvicorn"

        def do_GET(self) -> None:  # noqa: N802 - http.server's naming
            path = self.path.split("?", 1)[0].rstrip("/")
            if path == "/health/liveliness":
                self._send(200, "application/json", json.dumps("I'm alive!"))
            elif path == "/metrics":
                self._send(200, "text/plain; version=0.0.4; charset=utf-8", proxy.metrics_text())
            elif path == "/spend/tags":
                self._send(200, "application/json", json.dumps(proxy.spend_tags()))
            elif path == "/global/spend":
                self._send(200, "application/json", json.dumps(proxy.global_spend()))
            elif path in ("", "/ui"):
                self._send(200, "text/html", "<html><body><h1>LiteLLM demo proxy</h1>"
                           "<p>This is litellm-tray's demo; the real LiteLLM UI lives at /ui.</p></body></html>")
            else:
                self._send(404, "application/json", json.dumps({"detail": "Not Found"}))

        def _send(self, status: int, content_type: str, text: str) -> None:
            data = text.encode("utf-8")
            self.send_response(status)
            self.send_header("content-type", content_type)
            self.send_header("content-length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - quiet
            return

    return Handler


class Demo:
    """The demo's temporary world: folder, log, proxy (fake or real), settings. `stop()` removes it."""

    def __init__(self, base: Settings | None = None, *, rate: float = 3.0, real: bool = False,
                 seed: int | None = None) -> None:
        self.base = base or Settings()
        self.rate = rate
        self.real = real
        self.seed = seed
        self.dir: Path | None = None
        self.proxy: DemoProxy | None = None
        self.real_proxy: Any = None
        self._real_traffic: RealTraffic | None = None

    def start(self) -> "Demo":
        self.dir = Path(tempfile.mkdtemp(prefix="litellm-tray-demo-"))
        log_path = self.dir / "litellm.log"
        try:
            if self.real:
                url = self._start_real(log_path)
            else:
                self.proxy = DemoProxy(log_path, rate=self.rate, seed=self.seed).start()
                url = self.proxy.url
        except BaseException:
            self.stop()
            raise
        self.settings = Settings(
            log_path=log_path, proxy_url=url,
            litellm_config=self.dir / "config.yaml" if self.real else self.dir / "no-litellm-config.yaml",
            env_file=self.dir / "no-env-file", data_dir=self.dir / "data", log_dir=self.dir / "app-logs",
            poll_seconds=1.0, follow_poll_seconds=0.2,
            budgets=(Budget("global", DEMO_BUDGET, "monthly"), Budget("tag:jobA", 2.0, "daily")),
            notify=self.base.notify,
        )
        return self

    def _start_real(self, log_path: Path) -> str:
        support = real_support()
        if support is None:
            raise RuntimeError(REAL_MISSING)
        assert self.dir is not None
        port = support.free_port()
        config = support.write_config(self.dir, port)
        self.real_proxy = support.LiteLLMProxy(config, port, log_path, detailed_debug=True).start()
        self._real_traffic = RealTraffic(self.real_proxy.base_url, self.real_proxy.headers, self.rate)
        self._real_traffic.start()
        return self.real_proxy.base_url

    def stop(self) -> None:
        if self._real_traffic is not None:
            self._real_traffic.stop()
            self._real_traffic = None
        if self.proxy is not None:
            self.proxy.stop()
            self.proxy = None
        if self.real_proxy is not None:
            self.real_proxy.stop()
            self.real_proxy = None
        if self.dir is not None:
            shutil.rmtree(self.dir, ignore_errors=True)
            self.dir = None

    def __enter__(self) -> "Demo":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


REAL_MISSING = ("`demo --real` needs LiteLLM: install it into .venv-litellm (.ci/install-litellm.sh) "
                "in a checkout of litellm-tray, or set LITELLM_VENV")


def real_support() -> Any:
    """The checkout's LiteLLM launcher (tests/support), when LiteLLM is installed; else None."""
    import importlib.util
    import sys

    root = Path(__file__).resolve().parents[1]
    path = root / "tests" / "support" / "litellm_proxy.py"
    if not path.exists():
        return None
    spec = importlib.util.spec_from_file_location("_tray_demo_litellm_proxy", path)
    if spec is None or spec.loader is None:
        return None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module if module.litellm_available() else None


class RealTraffic:
    """Sends chat requests to a real proxy (mock models), a few a second, until stopped."""

    def __init__(self, url: str, headers: dict[str, str], rate: float = 1.0) -> None:
        self.url, self.headers, self.rate = url, headers, rate
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="demo-real-traffic", daemon=True)
        self.random = random.Random()

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(5)

    def _run(self) -> None:
        import httpx

        n = 0
        with httpx.Client(base_url=self.url, headers=self.headers, timeout=10) as client:
            while not self._stop.is_set():
                n += 1
                model = self.random.choice(["cheap", "balanced", "frontier", "cheap", "broken"])
                body = {"model": model, "messages": [{"role": "user", "content": self.random.choice(PROMPTS).format(n=n)}]}
                tags = self.random.choice(TAGS)
                if tags:
                    body["metadata"] = {"tags": list(tags)}
                try:
                    client.post("/v1/chat/completions", json=body)
                except httpx.HTTPError:
                    pass
                self._stop.wait(self.random.expovariate(self.rate))
