"""Packaging: desktop entries and plists are valid and match what `autostart` writes; a wheel
installs into a fresh venv and answers `--version`; a PyInstaller one-folder build does too.

The build tests share one throwaway venv (module fixture): made without system site-packages,
the wheel installed from PyPI's dependencies (pip's cache keeps it quick), then PyInstaller.
"""

from __future__ import annotations

import os
import plistlib
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tray import __version__, autostart

REPO = Path(__file__).resolve().parents[1]
PACKAGING = REPO / "packaging"
DESKTOP_FILES = sorted((PACKAGING / "linux").glob("*.desktop"))
APP_PATH = "/Applications/LiteLLM Tray.app/Contents/MacOS/litellm-tray"
# Read at import, before the isolated-home fixture moves XDG_CACHE_HOME: builds reuse pip's real cache.
PIP_CACHE = os.environ.get("PIP_CACHE_DIR") or str(
    Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "pip")


def validate_desktop(path: Path) -> None:
    validator = shutil.which("desktop-file-validate")
    if validator is None:
        pytest.skip("desktop-file-validate not installed (apt install desktop-file-utils)")
    done = subprocess.run([validator, str(path)], capture_output=True, text=True, timeout=30)
    assert done.returncode == 0 and not done.stdout.strip(), done.stdout + done.stderr


@pytest.mark.parametrize("path", DESKTOP_FILES, ids=lambda p: p.name)
def test_desktop_files_validate(path: Path) -> None:
    validate_desktop(path)


def test_desktop_files_are_what_autostart_writes() -> None:
    linux = PACKAGING / "linux"
    assert (linux / "litellm-tray.desktop").read_text() == autostart.desktop_entry(["litellm-tray"], autostart=False)
    assert (linux / "litellm-tray-autostart.desktop").read_text() == autostart.desktop_entry(
        ["litellm-tray"], autostart=True)


def test_written_entry_with_awkward_path_validates(tmp_path: Path) -> None:
    entry = tmp_path / "x.desktop"
    entry.write_text(autostart.desktop_entry(["/opt/my apps/100%/litellm-tray", "--config", "/a b/c.toml"],
                                             autostart=True))
    validate_desktop(entry)
    assert 'Exec="/opt/my apps/100%%/litellm-tray" --config "/a b/c.toml"' in entry.read_text()


def test_launch_agent_plist_parses() -> None:
    data = plistlib.loads((PACKAGING / "macos" / "com.github.litellm-tray.plist").read_bytes())
    assert data["Label"] == autostart.LAUNCH_AGENT_LABEL
    assert data["ProgramArguments"] == [APP_PATH]
    assert data["RunAtLoad"] is True and data["KeepAlive"] is False
    assert (PACKAGING / "macos" / "com.github.litellm-tray.plist").read_text() == autostart.launch_agent([APP_PATH])


def test_app_bundle_has_no_dock_icon() -> None:
    info = plistlib.loads((PACKAGING / "macos" / "Info.plist").read_bytes())
    assert info["LSUIElement"] is True
    assert info["CFBundleIdentifier"] == autostart.LAUNCH_AGENT_LABEL
    spec = (PACKAGING / "pyinstaller" / "litellm-tray.spec").read_text()
    assert "Info.plist" in spec and "BUNDLE(" in spec
    compile(spec, "litellm-tray.spec", "exec")


# -- builds ------------------------------------------------------------------------------------------


def run(argv: list[str], timeout: float, **kwargs: object) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV", "PYTHONHOME")}
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    env["PIP_CACHE_DIR"] = PIP_CACHE
    done = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, env=env, **kwargs)  # type: ignore[call-overload]
    assert done.returncode == 0, f"{argv}\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    return done


@pytest.fixture(scope="module")
def wheel_venv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh venv (no system site-packages) with the app installed from its wheel."""
    root = tmp_path_factory.mktemp("wheel")
    started = time.monotonic()
    run([sys.executable, "-m", "pip", "wheel", str(REPO), "--no-deps", "-w", str(root / "dist")], 300,
        cwd=str(root))
    (wheel,) = (root / "dist").glob("litellm_tray-*.whl")
    built = time.monotonic()
    run([sys.executable, "-m", "venv", str(root / "venv")], 120)
    assert "include-system-site-packages = false" in (root / "venv" / "pyvenv.cfg").read_text()
    run([str(root / "venv" / "bin" / "python"), "-m", "pip", "install", "--quiet", str(wheel)], 600)
    print(f"\nwheel built in {built - started:.1f} s, venv + install in {time.monotonic() - built:.1f} s")
    return root / "venv"


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_wheel_installs_and_answers_version(wheel_venv: Path) -> None:
    done = run([str(wheel_venv / "bin" / "litellm-tray"), "--version"], 60, cwd=str(wheel_venv))
    assert done.stdout.strip() == f"litellm-tray {__version__}"
    # The tray package came from the wheel, not from this checkout.
    where = run([str(wheel_venv / "bin" / "python"), "-c", "import tray; print(tray.__file__)"], 60,
                cwd=str(wheel_venv))
    assert str(wheel_venv) in where.stdout


@pytest.mark.slow
@pytest.mark.timeout(1200)
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the build test runs on Linux")
def test_pyinstaller_build_answers_version(wheel_venv: Path, tmp_path: Path) -> None:
    started = time.monotonic()
    run([str(wheel_venv / "bin" / "python"), "-m", "pip", "install", "--quiet", "pyinstaller"], 600)
    installed = time.monotonic()
    run([str(wheel_venv / "bin" / "pyinstaller"), "--noconfirm", "--log-level", "WARN",
         "--distpath", str(tmp_path / "dist"), "--workpath", str(tmp_path / "build"),
         str(PACKAGING / "pyinstaller" / "litellm-tray.spec")], 900, cwd=str(tmp_path))
    built = time.monotonic()
    program = tmp_path / "dist" / "litellm-tray" / "litellm-tray"
    done = run([str(program), "--version"], 60, cwd=str(tmp_path))
    assert done.stdout.strip() == f"litellm-tray {__version__}"
    done = run([str(program), "config", "--init", "--config", str(tmp_path / "c.toml")], 60, cwd=str(tmp_path))
    assert (tmp_path / "c.toml").exists()
    print(f"\npyinstaller installed in {installed - started:.1f} s, one-folder build in {built - installed:.1f} s")
