"""`litellm-tray doctor`: each check's finding and advice, against fakes, the recorded logs,
a closed port, and a real LiteLLM proxy with and without metrics auth."""

from __future__ import annotations

import shutil
import time
from pathlib import Path
from typing import Callable

import httpx
import pytest

from tests.support.litellm_proxy import MASTER_KEY, LiteLLMProxy, free_port, litellm_available, write_config
from tray.cli import build_parser, main
from tray.config import Budget, Settings
from tray.desktop.notify import Backend, NotifyError, NullBackend
from tray.doctor import FAIL, OK, SKIP, WARN, Finding, exit_code, render
from tray.doctor import desktop_checks, litellm_checks, log_checks
from tray.doctor.runner import Seams, run_checks

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "litellm-1.110.2"
CURRENT = ('litellm_proxy_total_requests_metric_total{requested_model="cheap"} 3\n'
           'litellm_proxy_failed_requests_metric_total{requested_model="cheap"} 1\n')
ERA_2024 = 'litellm_requests_metric_total{model="cheap"} 4\n'
ENTERPRISE = "litellm_not_a_premium_user_metric 0\n"
NO_DB = (500, '{"error": {"message": "/spend/tags ErrorDatabase not connected", "type": "internal_error"}}')


def settings_for(tmp_path: Path, **changes: object) -> Settings:
    base = Settings(log_path=tmp_path / "absent.log", proxy_url="http://proxy.test",
                    litellm_config=tmp_path / "absent.yaml", env_file=tmp_path / "absent-env",
                    config_path=tmp_path / "absent.toml", data_dir=tmp_path / "data")
    return base.with_overrides(**changes)


def fake_proxy(metrics: tuple[int, str] = (200, CURRENT), spend: tuple[int, str] = NO_DB,
               alive: int = 200) -> httpx.MockTransport:
    def handle(request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if path == "/health/liveliness":
            return httpx.Response(alive, text='"I\'m alive!"')
        if path == "/metrics":
            return httpx.Response(307, headers={"location": "/metrics/"})
        if path == "/metrics/":
            return httpx.Response(metrics[0], text=metrics[1])
        if path == "/spend/tags":
            return httpx.Response(spend[0], text=spend[1])
        return httpx.Response(404)
    return httpx.MockTransport(handle)


def seams(transport: httpx.BaseTransport | None = None, environ: dict[str, str] | None = None,
          backends: Callable[[Settings], list[object]] | None = None, tray: str | None = "gtk") -> Seams:
    return Seams(environ=environ or {}, transport=transport, platform="linux",
                 probe_tray=lambda: (tray, None if tray else "no display"),
                 probe_gi=lambda: (True, "AyatanaAppIndicator3", None),
                 backends=backends or (lambda s: [NullBackend()]))


def by_check(findings: list[Finding]) -> dict[str, Finding]:
    return {f.check: f for f in findings}


# -- the log ---------------------------------------------------------------------------------------------


def test_no_log(tmp_path: Path) -> None:
    found = log_checks.check_log_path(tmp_path / "litellm.log")
    assert found.level == FAIL and found.summary == f"no file at {tmp_path / 'litellm.log'}"
    assert f"--detailed_debug > {tmp_path / 'litellm.log'} 2>&1" in (found.advice or "")
    assert "--log PATH" in (found.advice or "") and "LITELLM_TRAY_LOG" in (found.advice or "")
    report = by_check(run_checks(settings_for(tmp_path), seams=seams(fake_proxy())))
    assert report["log file"].level == FAIL
    assert report["log permissions"].level == SKIP and report["log format"].level == SKIP


def test_unreadable_log(tmp_path: Path) -> None:
    """Tests run as root, where chmod 000 does not stop reading: a folder, and a refusing reader."""
    folder = log_checks.check_log_path(tmp_path)
    assert folder.level == FAIL and "is not a file" in folder.summary

    def refuse(path: Path) -> None:
        raise PermissionError(13, "Permission denied", str(path))

    log = tmp_path / "litellm.log"
    log.write_text("")
    log.chmod(0o000)
    found = log_checks.check_log_path(log, try_read=refuse)
    assert found.level == FAIL and found.summary == f"cannot read {log}: Permission denied"
    assert f"chown $USER {log}" in (found.advice or "")


def test_permissions(tmp_path: Path) -> None:
    log = tmp_path / "litellm.log"
    shutil.copy(FIXTURES / "debug.log", log)
    log.chmod(0o644)
    loose = log_checks.check_log_mode(log, log.stat().st_mode)
    assert loose.level == WARN and loose.summary.startswith("mode 0644: group and others can read it")
    assert loose.advice is not None and loose.advice.startswith(f"chmod 600 {log}")
    log.chmod(0o640)
    assert "mode 0640: group can read it" in log_checks.check_log_mode(log, log.stat().st_mode).summary
    log.chmod(0o600)
    tight = log_checks.check_log_mode(log, log.stat().st_mode)
    assert tight.level == OK and tight.advice is None


def test_plain_log_says_how_to_see_prompts(tmp_path: Path) -> None:
    log = tmp_path / "litellm.log"
    shutil.copy(FIXTURES / "plain.log", log)
    log.chmod(0o600)
    report = by_check(run_checks(settings_for(tmp_path, log_path=log), seams=seams(fake_proxy())))
    assert report["log file"].level == OK and "is readable" in report["log file"].summary
    assert report["log permissions"].level == OK
    fmt = report["log format"]
    assert fmt.level == WARN and fmt.summary.endswith("no prompts in the last 43 requests: counts and status codes only")
    assert "--detailed_debug" in (fmt.advice or "") and "JSON_LOGS=True" in (fmt.advice or "")


@pytest.mark.parametrize("name, shown", [("debug.log", "LiteLLM text"), ("json.log", "JSON (JSON_LOGS=True)")])
def test_debug_and_json_logs_show_prompts(name: str, shown: str) -> None:
    scan = log_checks.scan_log(FIXTURES / name)
    found = log_checks.describe_format(scan)
    assert found.level == OK and shown in found.summary and "prompts visible" in found.summary
    assert scan.requests == 43


def test_empty_log(tmp_path: Path) -> None:
    (tmp_path / "empty.log").write_text("")
    found = log_checks.describe_format(log_checks.scan_log(tmp_path / "empty.log"))
    assert found.level == WARN and "no LiteLLM lines" in found.summary


# -- LiteLLM's config and the key ------------------------------------------------------------------------


def test_budgets_and_key_from_litellm_config(tmp_path: Path) -> None:
    config = write_config(tmp_path)
    settings = settings_for(tmp_path, litellm_config=config,
                            budgets=(Budget("tag:jobA", 5.0, "daily"),))
    report = by_check(run_checks(settings, seams=seams(fake_proxy())))
    assert report["LiteLLM config"].level == OK
    budgets = report["budgets"].summary
    assert budgets.startswith("4 found") and "global $1,000.00 per 30d (LiteLLM)" in budgets
    assert "model:balanced $50.00 per 1d" in budgets and "tag:jobA $5.00 per daily (app)" in budgets
    assert report["master key"].summary == f"found in general_settings.master_key in {config} (not shown)"
    assert MASTER_KEY not in render(report.values())


def test_key_sources_in_order(tmp_path: Path) -> None:
    env_file = tmp_path / "env"
    env_file.write_text("export LITELLM_MASTER_KEY='sk-from-file-1234'\n")
    settings = settings_for(tmp_path, env_file=env_file)
    assert litellm_checks.key_source(settings, None, {"LITELLM_MASTER_KEY": "sk-env"}) == \
        "the environment (LITELLM_MASTER_KEY)"
    assert litellm_checks.key_source(settings, None, {}) == f"LITELLM_MASTER_KEY in {env_file}"
    missing = litellm_checks.check_master_key(litellm_checks.key_source(settings_for(tmp_path), None, {}))
    assert missing.level == WARN and "LITELLM_MASTER_KEY" in (missing.advice or "")
    report = render(run_checks(settings, seams=seams(fake_proxy())))
    assert "sk-from-file-1234" not in report and "found in LITELLM_MASTER_KEY in" in report


def test_missing_and_broken_litellm_config(tmp_path: Path) -> None:
    missing, _ = litellm_checks.load_litellm_config(settings_for(tmp_path), {})
    assert missing.level == WARN and "no file at" in missing.summary
    broken = tmp_path / "config.yaml"
    broken.write_text("litellm_settings:\n  max_budget: lots\n")
    found, config = litellm_checks.load_litellm_config(settings_for(tmp_path, litellm_config=broken), {})
    assert found.level == FAIL and config is None and "max_budget must be a number" in found.summary
    none = litellm_checks.check_budgets((), None)
    assert none.level == OK and "max_budget" in (none.advice or "")


# -- the proxy, faked ------------------------------------------------------------------------------------


@pytest.mark.parametrize("metrics, level, said", [
    ((200, CURRENT), OK, "authorised; current names (LiteLLM 1.80 or later); 3 requests so far"),
    ((200, ERA_2024), OK, "2024 names"),
    ((200, ENTERPRISE), WARN, "enterprise-only era"),
    ((200, "process_start_time_seconds 1\n"), WARN, "no LiteLLM request metrics yet"),
    ((401, '{"error": {"message": "Unauthorized access to metrics endpoint"}}'), FAIL, "not authorised (/metrics answered 401"),
    ((404, "Not Found"), WARN, "not served (404)"),
])
def test_metrics_findings(tmp_path: Path, metrics: tuple[int, str], level: str, said: str) -> None:
    found = by_check(run_checks(settings_for(tmp_path), seams=seams(fake_proxy(metrics))))["/metrics"]
    assert found.level == level and said in found.summary, found
    if level == FAIL:
        assert "require_auth_for_metrics_endpoint: false" in (found.advice or "")
        assert "no master key was found" in (found.advice or "")
    if "enterprise" in said:
        assert "1.80" in (found.advice or "")


def test_spend_with_and_without_database(tmp_path: Path) -> None:
    report = by_check(run_checks(settings_for(tmp_path), seams=seams(fake_proxy())))
    assert report["/spend/tags"].level == WARN
    assert report["/spend/tags"].summary == "LiteLLM has no database: spend by tag unavailable"
    assert "DATABASE_URL" in (report["/spend/tags"].advice or "")
    rows = '[{"individual_request_tag": "jobA", "log_count": 2, "total_spend": 0.01}]'
    report = by_check(run_checks(settings_for(tmp_path), seams=seams(fake_proxy(spend=(200, rows)))))
    assert report["/spend/tags"].level == OK and "database connected; 1 tag" in report["/spend/tags"].summary


def test_no_proxy_is_a_failure_quickly(tmp_path: Path) -> None:
    settings = settings_for(tmp_path, proxy_url=f"http://127.0.0.1:{free_port()}")
    started = time.monotonic()
    findings = run_checks(settings, seams=seams(transport=None))
    assert time.monotonic() - started < 10
    report = by_check(findings)
    assert report["proxy"].level == FAIL and "connection refused" in report["proxy"].summary
    assert "--proxy URL" in (report["proxy"].advice or "")
    assert report["/metrics"].level == SKIP and report["/spend/tags"].level == SKIP
    assert exit_code(findings) == 1


def test_silent_proxy_is_bounded(tmp_path: Path) -> None:
    def hang(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("timed out", request=request)
    settings = settings_for(tmp_path, request_timeout=60.0)
    found = by_check(run_checks(settings, seams=seams(httpx.MockTransport(hang))))["proxy"]
    assert found.level == FAIL and "within 5 s" in found.summary


# -- the desktop -----------------------------------------------------------------------------------------


class Broken(Backend):
    name = "broken"

    def send(self, message: object, on_click: object = None) -> None:
        raise NotifyError("no daemon")


class Missing(Backend):
    name = "missing"

    def unavailable(self) -> str | None:
        return "not installed"


def test_notifications(tmp_path: Path) -> None:
    null = NullBackend()
    sent = by_check(run_checks(settings_for(tmp_path), notify=True,
                               seams=seams(fake_proxy(), backends=lambda s: [Missing(), null])))
    assert sent["notifications"].level == OK and sent["notifications"].summary.startswith("test notification sent via null")
    assert len(null.sent) == 1
    failed = by_check(run_checks(settings_for(tmp_path), notify=True,
                                 seams=seams(fake_proxy(), backends=lambda s: [Broken()])))
    assert failed["notifications"].level == FAIL and "no daemon" in failed["notifications"].summary
    none = desktop_checks.check_notifications([Missing()])
    assert none.level == WARN and "missing: not installed" in none.summary
    listed = desktop_checks.check_notifications([Missing(), NullBackend(), Broken()])
    assert listed.level == OK and listed.summary.startswith("via null (then broken)")


@pytest.mark.parametrize("backend, level, said", [
    ("appindicator", OK, "icon and menus"), ("gtk", OK, "icon and menus"), ("darwin", OK, "icon and menus"),
    ("win32", OK, "icon and menus"), ("xorg", WARN, "has no menu"), (None, FAIL, "no tray backend loads"),
])
def test_tray_backend(backend: str | None, level: str, said: str) -> None:
    found = desktop_checks.check_tray(backend, None if backend else "DISPLAY not set", platform="linux")
    assert found.level == level and said in found.summary
    if level != OK:
        assert "litellm-tray[linux-menus]" in (found.advice or "") and "python3-gi" in (found.advice or "")


def test_gtk_detection() -> None:
    missing = desktop_checks.check_gi(False, None, "No module named 'gi'")
    assert missing.level == WARN and "litellm-tray[linux-menus]" in (missing.advice or "")
    assert desktop_checks.check_gi(True, None, None).level == OK
    assert "AyatanaAppIndicator3" in desktop_checks.check_gi(True, "AyatanaAppIndicator3", None).summary
    gtk, _, _ = desktop_checks.probe_gi()     # the test venv has the linux-menus extra
    assert gtk is True


# -- the report and the command --------------------------------------------------------------------------


def test_render_and_exit_code() -> None:
    findings = [Finding("a", OK, "fine"), Finding("bb", WARN, "meh", "do x")]
    assert exit_code(findings) == 0
    assert render(findings) == "ok    a   fine\nwarn  bb  meh\n          -> do x\ndoctor: 0 failed, 1 warning(s)\n"
    assert exit_code(findings + [Finding("c", FAIL, "bad")]) == 1
    assert render([Finding("a", OK, "fine")]).endswith("doctor: all is well\n")


def test_command_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["doctor", "--log", str(tmp_path / "none.log"), "--proxy", f"http://127.0.0.1:{free_port()}"])
    out = capsys.readouterr().out
    assert code == 1 and "fail  log file" in out and "doctor: " in out
    with pytest.raises(SystemExit):
        build_parser().parse_args(["doctor", "--help"])
    assert "1 when any check failed, 0 otherwise" in " ".join(capsys.readouterr().out.split())


# -- a real LiteLLM proxy --------------------------------------------------------------------------------

@pytest.mark.litellm
@pytest.mark.timeout(300)
@pytest.mark.skipif(not litellm_available(), reason="LiteLLM is not installed in .venv-litellm")
def test_real_proxy_without_metrics_auth(tmp_path: Path) -> None:
    port = free_port()
    config = write_config(tmp_path, port)
    with LiteLLMProxy(config, port, tmp_path / "litellm.log", detailed_debug=True) as proxy:
        httpx.post(proxy.base_url + "/v1/chat/completions", headers=proxy.headers, timeout=30,
                   json={"model": "cheap", "messages": [{"role": "user", "content": "hi doctor"}]})
        (tmp_path / "litellm.log").chmod(0o600)
        settings = settings_for(tmp_path, proxy_url=proxy.base_url, litellm_config=config,
                                log_path=tmp_path / "litellm.log")
        findings = run_checks(settings, seams=Seams(environ={}, platform="linux",
                                                    probe_tray=lambda: ("gtk", None),
                                                    backends=lambda s: [NullBackend()]))
    report = by_check(findings)
    assert report["proxy"].level == OK and "/health/liveliness answers" in report["proxy"].summary
    assert report["/metrics"].level == OK and "current names" in report["/metrics"].summary
    assert report["/spend/tags"].summary == "LiteLLM has no database: spend by tag unavailable"
    assert report["log format"].level == OK and "prompts visible" in report["log format"].summary
    assert report["master key"].level == OK and str(config) in report["master key"].summary
    assert MASTER_KEY not in render(findings)
    assert exit_code(findings) == 0, render(findings)


@pytest.mark.litellm
@pytest.mark.timeout(300)
@pytest.mark.skipif(not litellm_available(), reason="LiteLLM is not installed in .venv-litellm")
def test_real_proxy_with_metrics_auth(tmp_path: Path) -> None:
    port = free_port()
    config = write_config(tmp_path, port, require_auth_for_metrics=True)
    fakes = dict(platform="linux", probe_tray=lambda: ("gtk", None), backends=lambda s: [NullBackend()])
    with LiteLLMProxy(config, port, tmp_path / "litellm.log") as proxy:
        settings = settings_for(tmp_path, proxy_url=proxy.base_url)     # LiteLLM's config not found: no key
        without_key = by_check(run_checks(settings, seams=Seams(environ={}, **fakes)))
        with_key = by_check(run_checks(settings, seams=Seams(environ={"LITELLM_MASTER_KEY": MASTER_KEY}, **fakes)))
    refused = without_key["/metrics"]
    assert refused.level == FAIL and refused.summary.startswith("not authorised (/metrics answered 401")
    assert "no master key was found" in (refused.advice or "")
    assert "require_auth_for_metrics_endpoint: false" in (refused.advice or "")
    assert without_key["master key"].level == WARN
    assert with_key["master key"].summary == "found in the environment (LITELLM_MASTER_KEY) (not shown)"
    # LiteLLM without a database refuses even the right key there (1.108-1.110); newer ones may not.
    metrics = with_key["/metrics"]
    assert metrics.level == OK or (metrics.level == FAIL and "require_auth_for_metrics_endpoint: false"
                                   in (metrics.advice or "") and "master key was refused" in (metrics.advice or ""))
