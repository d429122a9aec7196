"""`litellm-tray autostart on|off|status` on each platform's login-item location, in an
isolated home (tests/conftest.py); Linux honours XDG_CONFIG_HOME."""

from __future__ import annotations

import io
import plistlib
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tray import autostart
from tray.cli import main
from tray.commands.autostart import EXIT_OFF, run_autostart

COMMAND = ["/opt/litellm tray/bin/litellm-tray"]


def cycle(platform: str, environ: dict[str, str]) -> tuple[Path, list[tuple[int, str]]]:
    steps = []
    for action in ("status", "on", "status", "on", "off", "status", "off"):
        out = io.StringIO()
        code = run_autostart(action, {}, out=out, platform=platform, environ=environ, base=COMMAND)
        steps.append((code, out.getvalue()))
    return autostart.login_item(COMMAND, platform, environ).path, steps


def test_linux_round_trip(isolated_user_dirs: Path) -> None:
    environ = {"HOME": str(isolated_user_dirs), "XDG_CONFIG_HOME": str(isolated_user_dirs / "cfg")}
    path, steps = cycle("linux", environ)
    assert path == isolated_user_dirs / "cfg" / "autostart" / "litellm-tray.desktop"
    codes = [code for code, _ in steps]
    assert codes == [EXIT_OFF, 0, 0, 0, 0, EXIT_OFF, 0]
    assert "already there" in steps[3][1] and "removed" in steps[4][1] and "nothing at" in steps[6][1]
    assert not path.exists()


def test_linux_entry_validates(isolated_user_dirs: Path) -> None:
    item = autostart.login_item(COMMAND, "linux", {"HOME": str(isolated_user_dirs)})
    assert item.path == isolated_user_dirs / ".config" / "autostart" / "litellm-tray.desktop"
    autostart.enable(item)
    text = item.path.read_text()
    assert 'Exec="/opt/litellm tray/bin/litellm-tray"' in text and "X-GNOME-Autostart-enabled=true" in text
    if shutil.which("desktop-file-validate") is None:
        pytest.skip("desktop-file-validate not installed")
    done = subprocess.run(["desktop-file-validate", str(item.path)], capture_output=True, text=True)
    assert done.returncode == 0 and not done.stdout.strip(), done.stdout


def test_macos_launch_agent(isolated_user_dirs: Path) -> None:
    path, steps = cycle("darwin", {"HOME": str(isolated_user_dirs)})
    assert path == isolated_user_dirs / "Library" / "LaunchAgents" / "com.github.litellm-tray.plist"
    assert [code for code, _ in steps] == [EXIT_OFF, 0, 0, 0, 0, EXIT_OFF, 0]
    autostart.enable(autostart.login_item(COMMAND, "darwin", {"HOME": str(isolated_user_dirs)}))
    data = plistlib.loads(path.read_bytes())
    assert data["ProgramArguments"] == COMMAND and data["RunAtLoad"] is True


def test_windows_startup_folder(tmp_path: Path) -> None:
    environ = {"APPDATA": str(tmp_path / "Roaming")}
    path, steps = cycle("win32", environ)
    assert path == tmp_path / "Roaming" / "Microsoft" / "Windows" / "Start Menu" / "Programs" / "Startup" / "litellm-tray.cmd"
    assert [code for code, _ in steps] == [EXIT_OFF, 0, 0, 0, 0, EXIT_OFF, 0]
    autostart.enable(autostart.login_item(["C:\\Python\\pythonw.exe", "-m", "tray"], "win32", environ))
    raw = path.read_bytes()
    assert b'start "" "C:\\Python\\pythonw.exe" "-m" "tray"\r\n' in raw and b"\r\r" not in raw


def test_status_notices_an_entry_for_another_command(isolated_user_dirs: Path) -> None:
    environ = {"HOME": str(isolated_user_dirs)}
    autostart.enable(autostart.login_item(["/old/litellm-tray"], "linux", environ))
    out = io.StringIO()
    assert run_autostart("status", {}, out=out, platform="linux", environ=environ, base=COMMAND) == 0
    assert "another command" in out.getvalue()


def test_cli_passes_given_options_through(isolated_user_dirs: Path, tmp_path: Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    if not sys.platform.startswith("linux"):
        pytest.skip("the CLI test writes the Linux entry")
    assert main(["autostart", "status"]) == EXIT_OFF
    assert main(["--proxy", "http://127.0.0.1:4000", "autostart", "on", "--config", str(tmp_path / "c.toml")]) == 0
    entry = isolated_user_dirs / ".config" / "autostart" / "litellm-tray.desktop"
    text = entry.read_text()
    assert f"--config {tmp_path / 'c.toml'}" in text and "--proxy http://127.0.0.1:4000" in text
    assert main(["autostart", "off"]) == 0 and not entry.exists()
    assert "autostart on:" in capsys.readouterr().out


def test_launch_command_prefers_the_installed_script(tmp_path: Path) -> None:
    script = tmp_path / "litellm-tray"
    script.write_text("#!/bin/sh\n")
    script.chmod(0o755)
    assert autostart.launch_command({"PATH": str(tmp_path)}) == [str(script.resolve())]
    assert autostart.launch_command({"PATH": str(tmp_path / "none")})[1:] == ["-m", "tray"]
