"""Which pystray backend draws the icon: the first one that loads on this desktop.

pystray picks AppIndicator whenever PyGObject is installed, and its import then fails outright
where the AppIndicator typelib is missing (a plain GTK desktop, Xvfb): pystray only falls back
on ImportError. The app tries the backends with menus first, then the menu-less xorg one.
`PYSTRAY_BACKEND`, when set, is the user's choice and is used as it is.
"""

from __future__ import annotations

import os
import sys
from types import ModuleType

#: In order of preference; None is pystray's own choice.
FALLBACKS: tuple[str | None, ...] = (None, "gtk", "xorg")


def _forget_pystray() -> None:
    for name in [n for n in sys.modules if n == "pystray" or n.startswith("pystray.")]:
        del sys.modules[name]


def load_pystray() -> ModuleType:
    """Import pystray with a backend that works here; raises RuntimeError saying why none did."""
    chosen = os.environ.get("PYSTRAY_BACKEND")
    if chosen:
        try:
            import pystray
        except Exception as exc:  # noqa: BLE001
            raise RuntimeError(f"PYSTRAY_BACKEND={chosen}: {exc}") from exc
        return pystray
    reasons = []
    for name in FALLBACKS:
        _forget_pystray()
        if name is not None:
            os.environ["PYSTRAY_BACKEND"] = name   # the viewer and panel processes inherit it
        try:
            import pystray

            return pystray
        except Exception as exc:  # noqa: BLE001 - backends fail with ImportError, ValueError, Xlib errors
            reasons.append(f"{name or 'default'}: {exc}")
    os.environ.pop("PYSTRAY_BACKEND", None)
    raise RuntimeError("; ".join(reasons))
