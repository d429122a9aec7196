"""`litellm-tray doctor [--notify]`: check every piece and say what to do about each.

Exit 1 when any check failed, 0 otherwise (warnings included): a script can gate on it.
"""

from __future__ import annotations

import sys
from typing import TextIO

from tray.config import Settings
from tray.doctor import exit_code, render
from tray.doctor.runner import Seams, run_checks


def run_doctor(settings: Settings, *, notify: bool = False, seams: Seams | None = None,
               out: TextIO | None = None) -> int:
    findings = run_checks(settings, notify=notify, seams=seams)
    (out or sys.stdout).write(render(findings))
    return exit_code(findings)
