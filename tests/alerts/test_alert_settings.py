"""The [notify] table of the app's TOML config."""

from __future__ import annotations

import pytest

from tray.alerts import Notifier
from tray.config import ConfigError, NotifySettings, load_settings


def test_defaults_follow_litellm_alerting():
    s = NotifySettings()
    assert (s.outage_minor, s.outage_major, s.outage_seconds, s.hanging_seconds) == (5, 10, 60, 300)
    assert s.failed_4xx == (401, 403, 429)
    assert (s.group_seconds, s.cap, s.cap_seconds) == (60, 5, 600)


def test_notify_table(tmp_path):
    path = tmp_path / "config.toml"
    path.write_text(
        '[notify]\nbackend = "notify-send"\nslow = false\nslow_seconds = 90\n'
        'failed_4xx = [401, 429]\nquiet_hours = "22:30-06:45"\nbudget_hysteresis = 5\n'
        '[budgets]\nthresholds = [75, 100]\n', encoding="utf-8")
    settings = load_settings(path, environ={})
    n = settings.notify
    assert (n.backend, n.slow, n.slow_seconds, n.failed_4xx) == ("notify-send", False, 90.0, (401, 429))
    assert (n.quiet_hours, n.budget_hysteresis) == ("22:30-06:45", 0.05)
    notifier = Notifier.from_settings(settings)
    assert notifier.rules.budget.thresholds == (0.75, 1.0)


@pytest.mark.parametrize("line, fault", [
    ('loud = true', "unknown setting 'notify.loud'"),
    ('cap = 0', "'notify.cap' has an invalid value 0"),
    ('slow = "yes"', "'notify.slow' has an invalid value 'yes'"),
    ('quiet_hours = "late"', "'notify.quiet_hours' has an invalid value 'late'"),
    ('backend = "growl"', "'notify.backend' has an invalid value 'growl'"),
    ('failed_4xx = [500]', "'notify.failed_4xx' has an invalid value [500]"),
])
def test_bad_values_name_the_line(tmp_path, line, fault):
    path = tmp_path / "config.toml"
    path.write_text(f"[proxy]\nurl = \"http://x\"\n[notify]\n{line}\n", encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        load_settings(path, environ={})
    assert f"{path}:4: {fault}" == str(err.value)
