"""Start the tray at login: one login item per platform, written and removed by the app itself.

- Linux and the BSDs: an XDG autostart entry, ``$XDG_CONFIG_HOME/autostart/litellm-tray.desktop``.
- macOS: a LaunchAgent, ``~/Library/LaunchAgents/com.github.litellm-tray.plist`` (launchd reads it
  at the next login; ``LimitLoadToSessionType: Aqua`` keeps it out of ssh sessions).
- Windows: ``litellm-tray.cmd`` in the Startup folder, starting the app without a console.

The item runs the command that is running now (a PyInstaller build, the `litellm-tray` script on
PATH, or this interpreter with ``-m tray``), by absolute path: login sessions often lack
``~/.local/bin`` on PATH. The texts are also the templates in ``packaging/`` (a test compares them).
"""

from __future__ import annotations

import os
import plistlib
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping, Sequence

APP_ID = "litellm-tray"
LAUNCH_AGENT_LABEL = "com.github.litellm-tray"
DISPLAY_NAME = "LiteLLM Tray"
COMMENT = "Tray monitor for a LiteLLM proxy: requests, failures, spend, recent prompts"


@dataclass(frozen=True)
class LoginItem:
    """Where the login item lives on one platform, and the text it should hold."""

    platform: str          # "linux", "darwin" or "windows"
    path: Path
    text: str


def platform_family(platform: str = sys.platform) -> str:
    if platform.startswith(("win", "cygwin")):
        return "windows"
    return "darwin" if platform.startswith("darwin") else "linux"


def launch_command(environ: Mapping[str, str] | None = None) -> list[str]:
    """The absolute command that starts the tray as it is installed now."""
    if getattr(sys, "frozen", False):          # a PyInstaller build: the executable itself
        return [sys.executable]
    environ = os.environ if environ is None else environ
    script = shutil.which(APP_ID, path=environ.get("PATH"))
    if script:
        return [str(Path(script).resolve())]
    python = Path(sys.executable)
    if platform_family() == "windows" and (python.parent / "pythonw.exe").exists():
        python = python.parent / "pythonw.exe"  # no console window at login
    return [str(python), "-m", "tray"]


# -- Linux: XDG autostart ------------------------------------------------------------------------

def _desktop_quote(arg: str) -> str:
    """Quote one Exec argument as the Desktop Entry spec wants (and escape `%`)."""
    arg = arg.replace("%", "%%")
    if arg and not any(c in arg for c in ' \t\n"\'\\><~|&;$*?#()`='):
        return arg
    escaped = "".join("\\" + c if c in '"`$\\' else c for c in arg)
    return f'"{escaped}"'


def desktop_entry(command: Sequence[str], *, autostart: bool) -> str:
    """A Desktop Entry that `desktop-file-validate` accepts: the menu entry, or the autostart one."""
    lines = [
        "[Desktop Entry]",
        "Type=Application",
        f"Name={DISPLAY_NAME}",
        "GenericName=LiteLLM proxy monitor",
        f"Comment={COMMENT}",
        "Exec=" + " ".join(_desktop_quote(arg) for arg in command),
        f"Icon={APP_ID}",
        "Terminal=false",
        "Categories=Network;Monitor;",
        "Keywords=LiteLLM;LLM;proxy;tray;",
        "StartupNotify=false",
    ]
    if autostart:
        lines += ["X-GNOME-Autostart-enabled=true", "X-GNOME-Autostart-Delay=5"]
    return "\n".join(lines) + "\n"


def _xdg_config_home(environ: Mapping[str, str]) -> Path:
    configured = environ.get("XDG_CONFIG_HOME", "")
    if configured and Path(configured).is_absolute():   # the spec ignores relative values
        return Path(configured)
    return Path(environ.get("HOME") or Path.home()) / ".config"


# -- macOS: LaunchAgent --------------------------------------------------------------------------

def launch_agent(command: Sequence[str]) -> str:
    """The LaunchAgent plist: start at login in the GUI session, do not restart after Quit."""
    data = {
        "Label": LAUNCH_AGENT_LABEL,
        "ProgramArguments": list(command),
        "RunAtLoad": True,
        "KeepAlive": False,
        "ProcessType": "Interactive",
        "LimitLoadToSessionType": "Aqua",
    }
    return plistlib.dumps(data, sort_keys=False).decode("utf-8")


# -- Windows: Startup folder ---------------------------------------------------------------------

def startup_cmd(command: Sequence[str]) -> str:
    """A .cmd for the Startup folder; `start` detaches so no console stays open."""
    quoted = " ".join(f'"{arg}"' for arg in command)
    return f'@echo off\r\nrem Starts {DISPLAY_NAME} at login (litellm-tray autostart on)\r\nstart "" {quoted}\r\n'


def _startup_folder(environ: Mapping[str, str]) -> Path:
    appdata = environ.get("APPDATA") or str(Path(environ.get("USERPROFILE") or Path.home()) / "AppData" / "Roaming")
    return Path(appdata) / "Microsoft" / "Windows" / "Start Menu" / "Programs" / "Startup"


# -- the one entry point -------------------------------------------------------------------------

def login_item(command: Sequence[str], platform: str = sys.platform,
               environ: Mapping[str, str] | None = None) -> LoginItem:
    """The login item for `platform` that runs `command`."""
    environ = os.environ if environ is None else environ
    family = platform_family(platform)
    if family == "windows":
        return LoginItem(family, _startup_folder(environ) / f"{APP_ID}.cmd", startup_cmd(command))
    if family == "darwin":
        home = Path(environ.get("HOME") or Path.home())
        return LoginItem(family, home / "Library" / "LaunchAgents" / f"{LAUNCH_AGENT_LABEL}.plist",
                         launch_agent(command))
    return LoginItem(family, _xdg_config_home(environ) / "autostart" / f"{APP_ID}.desktop",
                     desktop_entry(command, autostart=True))


def enable(item: LoginItem) -> bool:
    """Write the login item; False when it was already there with the same text."""
    try:
        if item.path.read_text(encoding="utf-8") == item.text:
            return False
    except OSError:
        pass
    item.path.parent.mkdir(parents=True, exist_ok=True)
    newline = "" if item.platform == "windows" else "\n"   # the .cmd text has its CRLFs already
    with open(item.path, "w", encoding="utf-8", newline=newline) as handle:
        handle.write(item.text)
    return True


def disable(item: LoginItem) -> bool:
    """Remove the login item; False when there was none."""
    try:
        item.path.unlink()
    except FileNotFoundError:
        return False
    return True


def state(item: LoginItem) -> str:
    """"on" (as this install would write it), "other" (written for another command) or "off"."""
    try:
        text = item.path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return "off"
    except OSError:
        return "other"
    return "on" if text.replace("\r\n", "\n") == item.text.replace("\r\n", "\n") else "other"
