"""`litellm-tray doctor`: one check per piece the app depends on, each saying what to do.

Every check is a small function returning a `Finding`; the modules hold one family each
(log file, LiteLLM's config, the proxy, the desktop) and `runner` wires them in order.
"""

from tray.doctor.finding import FAIL, OK, SKIP, WARN, Finding, exit_code, render

__all__ = ["FAIL", "OK", "SKIP", "WARN", "Finding", "exit_code", "render"]
