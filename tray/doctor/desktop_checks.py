"""Checks on the desktop side: notifications, the tray backend, and GTK menus on Linux.

pystray picks its backend when imported (appindicator, gtk, then xorg on Linux). The xorg
backend shows the icon but no menu, which is most of the app: doctor says how to get GTK.
"""

from __future__ import annotations

import sys
from typing import Callable, Sequence

from tray.doctor.finding import FAIL, OK, WARN, Finding

CHECK_NOTIFY, CHECK_TRAY, CHECK_GI = "notifications", "tray backend", "GTK menus"

GI_ADVICE = ("pip install 'litellm-tray[linux-menus]' (PyGObject; needs libgirepository1.0-dev and "
             "libcairo2-dev to build), or with pipx: pipx inject litellm-tray PyGObject; or the distro's "
             "python3-gi and gir1.2-gtk-3.0 with a venv made with --system-site-packages")
MENUS = {"appindicator": True, "gtk": True, "darwin": True, "win32": True, "xorg": False, "dummy": False}

TrayProbe = Callable[[], tuple[str | None, str | None]]
GiProbe = Callable[[], tuple[bool, str | None, str | None]]


def check_notifications(backends: Sequence[object], *, send: bool = False,
                        deliver: Callable[[], tuple[str | None, str | None]] | None = None) -> Finding:
    """Which backend would show a notification; with `send`, show a test one through it.

    `backends` are tray.desktop.notify backends; `deliver` returns (backend used, error).
    """
    usable, reasons = [], []
    for backend in backends:
        why = backend.unavailable()   # type: ignore[attr-defined]
        if why:
            reasons.append(f"{backend.name}: {why}")   # type: ignore[attr-defined]
        else:
            usable.append(backend.name)   # type: ignore[attr-defined]
    if send and deliver is not None:
        used, error = deliver()
        if used is None:
            return Finding(CHECK_NOTIFY, FAIL, f"the test notification was not shown: {error}",
                           _notify_advice())
        return Finding(CHECK_NOTIFY, OK, f"test notification sent via {used}: did it appear?")
    if not usable:
        return Finding(CHECK_NOTIFY, WARN, "no backend can show notifications here: " + "; ".join(reasons),
                       _notify_advice())
    also = f" (then {', '.join(usable[1:])})" if len(usable) > 1 else ""
    return Finding(CHECK_NOTIFY, OK, f"via {usable[0]}{also}; `litellm-tray doctor --notify` sends a test")


def _notify_advice() -> str:
    if sys.platform.startswith("linux"):
        return "install libnotify-bin (notify-send) and run a notification daemon; then doctor --notify"
    return "allow notifications for Python / litellm-tray in the system settings; then doctor --notify"


def probe_tray() -> tuple[str | None, str | None]:
    """(backend name, None) as the app would choose it here, or (None, why no backend loads)."""
    from tray.desktop.backend import load_pystray

    try:
        pystray = load_pystray()
    except RuntimeError as exc:
        return None, str(exc)
    return pystray.Icon.__module__.rsplit("._", 1)[-1], None


def check_tray(backend: str | None, error: str | None, platform: str = sys.platform) -> Finding:
    """The tray backend and whether it has menus (gtk/appindicator do, xorg does not)."""
    if backend is None:
        advice = ("run it inside a desktop session (DISPLAY or WAYLAND_DISPLAY set); for menus "
                  + GI_ADVICE) if platform.startswith("linux") else "run it inside the desktop session"
        return Finding(CHECK_TRAY, FAIL, f"no tray backend loads: {error}", advice)
    if not MENUS.get(backend, False):
        return Finding(CHECK_TRAY, WARN, f"pystray {backend}: the icon shows but has no menu",
                       "for menus: " + GI_ADVICE)
    return Finding(CHECK_TRAY, OK, f"pystray {backend}: icon and menus")


def probe_gi() -> tuple[bool, str | None, str | None]:
    """(GTK 3 bindings usable, the AppIndicator namespace found or None, why GTK is not)."""
    try:
        import gi

        gi.require_version("Gtk", "3.0")
    except (ImportError, ValueError) as exc:
        return False, None, str(exc)
    for namespace in ("AyatanaAppIndicator3", "AppIndicator3"):
        try:
            gi.require_version(namespace, "0.1")
            return True, namespace, None
        except ValueError:
            continue
    return True, None, None


def check_gi(gtk: bool, indicator: str | None, error: str | None) -> Finding:
    """Linux only: PyGObject (the `linux-menus` extra or python3-gi) for GTK menus."""
    if not gtk:
        return Finding(CHECK_GI, WARN, f"PyGObject with GTK 3 not found ({error}): the tray falls back "
                       "to xorg, without menus", GI_ADVICE)
    if indicator is None:
        return Finding(CHECK_GI, OK, "PyGObject and GTK 3 found (no AppIndicator: GNOME needs the "
                       "AppIndicator extension to show tray icons)")
    return Finding(CHECK_GI, OK, f"PyGObject, GTK 3 and {indicator} found")
