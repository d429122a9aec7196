"""`litellm-tray config --init` writes every setting at its default; invalid files are refused
with the file, the line and what is wrong (exit 2)."""

from __future__ import annotations

import sys
from dataclasses import replace
from pathlib import Path

import pytest

from tray.cli import main
from tray.config import (_NOTIFY_KEYS, _TOML_KEYS, ConfigError, Settings, default_config_path, expand,
                         load_settings, render_default_toml)

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib


def test_rendered_file_holds_every_setting_at_its_default(tmp_path: Path) -> None:
    text = render_default_toml()
    data = tomllib.loads(text)
    for dotted in _TOML_KEYS:
        table, key = dotted.split(".")
        if dotted == "store.dir":     # platform-dependent: written as a comment
            assert f"# {key} = " in text
            continue
        assert key in data[table], dotted
    assert set(data["notify"]) == set(_NOTIFY_KEYS)
    path = tmp_path / "config.toml"
    path.write_text(text)
    assert load_settings(path, environ={}) == expand(replace(Settings(), config_path=path))


def test_init_writes_default_path_and_refuses_to_overwrite(capsys: pytest.CaptureFixture[str]) -> None:
    path = default_config_path()
    assert not path.exists()
    assert main(["config", "--init"]) == 0
    assert path.read_text() == render_default_toml()
    assert path.stat().st_mode & 0o077 == 0
    path.write_text("# mine\n")
    assert main(["config", "--init"]) == 2
    assert "add --force" in capsys.readouterr().err and path.read_text() == "# mine\n"
    assert main(["config", "--init", "--force"]) == 0
    assert path.read_text() == render_default_toml()
    assert main(["config"]) == 0 and "valid" in capsys.readouterr().out


def test_init_to_given_path_even_when_the_old_file_is_broken(tmp_path: Path) -> None:
    path = tmp_path / "sub" / "my.toml"
    assert main(["config", "--init", "--config", str(path)]) == 0
    path.write_text("[log\n")
    assert main(["config", "--config", str(path)]) == 2
    assert main(["config", "--init", "--force", "--config", str(path)]) == 0
    assert main(["config", "--config", str(path)]) == 0


@pytest.mark.parametrize("text, where, fault", [
    ('[log]\npath = "/x"\n[proxy\nurl = "http://x"\n', ":3:", "not valid TOML"),
    ('[proxy]\nurl = "http://x"\nuser = "me"\n', ":3:", "unknown setting 'proxy.user'"),
    ('[log]\npath = "/x"\n\n[proxy]\npoll_secnds = 3\n', ":5:", "(did you mean 'proxy.poll_seconds'?)"),
    ('[logs]\npath = "/x"\n', ":2:", "unknown setting 'logs.path'"),
    ('[store]\nretention = "lots"\n', ":2:", "'store.retention' has an invalid value 'lots' (expected a whole number"),
    ('[store]\nretention = 1.5\n', ":2:", "'store.retention' has an invalid value 1.5"),
    ('[proxy]\nurl = 8000\n', ":2:", "'proxy.url' has an invalid value 8000 (expected an http:// or https:// URL)"),
    ('[log]\npath = "/a"\n[proxy]\npoll_seconds = -1\n', ":4:", "'proxy.poll_seconds' has an invalid value -1"),
    ('[budgets]\nthresholds = "80"\n', ":2:", "'budgets.thresholds' has an invalid value '80'"),
    ('[[budget]]\nscope = "global"\nlimit = 5\n\n[[budget]]\nscope = "team:x"\nlimit = 9\n', ":6:",
     "budget scope must be global, model:NAME or tag:NAME, not 'team:x'"),
    ('[[budget]]\nscope = "model:"\nlimit = 5\n', ":2:", "budget scope must be"),
    ('[[budget]]\nscope = "global"\nlimit = "lots"\n', ":3:", "budget limit must be a number, not 'lots'"),
    ('[[budget]]\nscope = "global"\nlimit = 5\nperiod = 30\n', ":4:", "budget period must be a string"),
    ('[[budget]]\nscope = "global"\nlimit = 5\ncurrency = "EUR"\n', ":4:", "unknown setting 'budget.currency'"),
    ('[notify]\ncap = 0\n', ":2:", "'notify.cap' has an invalid value 0"),
])
def test_invalid_files_name_file_line_and_fault(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                text: str, where: str, fault: str) -> None:
    path = tmp_path / "config.toml"
    path.write_text(text)
    with pytest.raises(ConfigError) as err:
        load_settings(path, environ={})
    assert str(err.value).startswith(f"{path}{where}") and fault in str(err.value), str(err.value)
    assert main(["status", "--config", str(path)]) == 2
    assert main(["config", "--config", str(path)]) == 2
    assert f"config error: {path}{where}" in capsys.readouterr().err


def test_not_utf8_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_bytes(b"[log]\npath = \"\xff\"\n")
    with pytest.raises(ConfigError, match="not UTF-8"):
        load_settings(path, environ={})
