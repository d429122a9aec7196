"""The doctor's wiring: every check in order, with what each needs; a check that cannot run
because an earlier one failed (no proxy: no /metrics) is reported as skipped, not failed."""

from __future__ import annotations

import os
import sys
import time
from dataclasses import dataclass, field
from typing import Callable, Mapping

import httpx

from tray.config import Settings
from tray.doctor import desktop_checks, litellm_checks, log_checks, proxy_checks
from tray.doctor.finding import FAIL, OK, SKIP, Finding

PROXY_TIMEOUT = 5.0   # seconds per request at most, whatever the config says


@dataclass
class Seams:
    """What the checks reach outside the process; tests replace these with fakes."""

    environ: Mapping[str, str] = field(default_factory=lambda: dict(os.environ))
    transport: httpx.BaseTransport | None = None
    platform: str = sys.platform
    probe_tray: desktop_checks.TrayProbe = desktop_checks.probe_tray
    probe_gi: desktop_checks.GiProbe = desktop_checks.probe_gi
    backends: Callable[[Settings], list[object]] | None = None


def run_checks(settings: Settings, *, notify: bool = False, seams: Seams | None = None) -> list[Finding]:
    seams = seams or Seams()
    findings = [_app_config(settings)]
    findings += _log(settings, seams)
    config_finding, config = litellm_checks.load_litellm_config(settings, seams.environ)
    source = litellm_checks.key_source(settings, config, seams.environ)
    findings += [config_finding, litellm_checks.check_budgets(settings.budgets, config),
                 litellm_checks.check_master_key(source)]
    findings += _proxy(settings, config, seams)
    findings.append(_notifications(settings, notify, seams))
    findings.append(desktop_checks.check_tray(*seams.probe_tray(), platform=seams.platform))
    if seams.platform.startswith("linux"):
        findings.append(desktop_checks.check_gi(*seams.probe_gi()))
    return findings


def _app_config(settings: Settings) -> Finding:
    path = settings.config_path
    if path is None or not path.exists():
        return Finding("app config", OK, f"no file at {path}: defaults",
                       "`litellm-tray config --init` writes one with every setting")
    return Finding("app config", OK, f"{path}")


def _log(settings: Settings, seams: Seams) -> list[Finding]:
    path = settings.log_path
    found = log_checks.check_log_path(path)
    if found.level == FAIL:
        return [found, Finding(log_checks.CHECK_MODE, SKIP, "no readable log"),
                Finding(log_checks.CHECK_FORMAT, SKIP, "no readable log")]
    scan = log_checks.scan_log(path, _secrets(settings, seams))
    return [found, log_checks.check_log_mode(path, path.stat().st_mode), log_checks.describe_format(scan)]


def _secrets(settings: Settings, seams: Seams) -> list[str]:
    from tray.config import master_key

    return [key for key in (master_key(settings, dict(seams.environ)),) if key]


def _proxy(settings: Settings, config: object, seams: Seams) -> list[Finding]:
    from tray.proxy.client import ProxyClient
    from tray.proxy.litellm_config import find_master_key

    key = find_master_key(settings, config, seams.environ)   # type: ignore[arg-type]
    timeout = min(settings.request_timeout, PROXY_TIMEOUT)
    with ProxyClient(settings.proxy_url, key, timeout=timeout, max_bytes=settings.max_response_bytes,
                     transport=seams.transport) as client:
        alive = proxy_checks.check_proxy(client)
        if alive.level == FAIL:
            return [alive, Finding(proxy_checks.CHECK_METRICS, SKIP, "proxy unreachable"),
                    Finding(proxy_checks.CHECK_SPEND, SKIP, "proxy unreachable")]
        return [alive, proxy_checks.check_metrics(client), proxy_checks.check_spend(client)]


def _notifications(settings: Settings, send: bool, seams: Seams) -> Finding:
    from tray.desktop.notify import DesktopNotifier, choose_backends

    try:
        backends = (seams.backends(settings) if seams.backends is not None
                    else choose_backends(settings.notify.backend, environ=seams.environ,
                                         platform=seams.platform))
    except ValueError as exc:
        return Finding(desktop_checks.CHECK_NOTIFY, FAIL, str(exc), "fix `backend` under [notify]")

    def deliver() -> tuple[str | None, str | None]:
        from tray.alerts.types import Notification
        from tray.commands.notify_test import TEST_BODY, TEST_TITLE

        notifier = DesktopNotifier(backends, log_failures=False)   # type: ignore[arg-type]
        try:
            used = notifier.deliver(Notification(title=TEST_TITLE, body=TEST_BODY, severity="info",
                                                 time=time.time()))
        finally:
            notifier.close()
        return used, notifier.error

    return desktop_checks.check_notifications(backends, send=send, deliver=deliver)
