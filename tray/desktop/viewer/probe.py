"""A test hook: with LITELLM_TRAY_VIEWER_PROBE=FILE the window writes what it shows to FILE.

Desktop tests read it to assert on the list's cells and the detail's text exactly as the
widgets hold them; screenshots show the same. Unset (always, for users), it does nothing.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

ENV = "LITELLM_TRAY_VIEWER_PROBE"


class Probe:
    """Writes one JSON object per change, replacing the file atomically."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self.writes = 0

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> "Probe | None":
        value = (os.environ if environ is None else environ).get(ENV)
        return cls(Path(value)) if value else None

    def write(self, state: dict[str, Any]) -> None:
        self.writes += 1
        temp = self.path.with_name(self.path.name + ".tmp")
        temp.write_text(json.dumps({**state, "writes": self.writes}, ensure_ascii=False),
                        encoding="utf-8")
        os.replace(temp, self.path)
