"""The tray backend: the first that loads, menus first, the user's PYSTRAY_BACKEND as given."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from tray.desktop import backend

FAKE = '''
import os
if os.environ.get("PYSTRAY_BACKEND") != "gtk":
    raise ValueError("Namespace AyatanaAppIndicator3 not available")
BACKEND = os.environ["PYSTRAY_BACKEND"]
'''


@pytest.fixture
def fake_pystray(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """A pystray whose AppIndicator backend fails at import, as on a desktop without its typelib."""
    (tmp_path / "pystray").mkdir()
    (tmp_path / "pystray" / "__init__.py").write_text(FAKE)
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delenv("PYSTRAY_BACKEND", raising=False)
    saved = {n: m for n, m in sys.modules.items() if n == "pystray" or n.startswith("pystray.")}
    yield
    backend._forget_pystray()
    sys.modules.update(saved)


def test_falls_back_to_a_backend_that_loads(fake_pystray: None, monkeypatch: pytest.MonkeyPatch) -> None:
    module = backend.load_pystray()
    assert module.BACKEND == "gtk"
    import os
    assert os.environ["PYSTRAY_BACKEND"] == "gtk"    # the viewer and panel processes get it too


def test_says_why_when_none_loads(fake_pystray: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(backend, "FALLBACKS", (None, "xorg"))
    with pytest.raises(RuntimeError, match="default: Namespace AyatanaAppIndicator3.*xorg"):
        backend.load_pystray()
    import os
    assert "PYSTRAY_BACKEND" not in os.environ


def test_the_users_choice_is_kept(fake_pystray: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PYSTRAY_BACKEND", "xorg")
    with pytest.raises(RuntimeError, match="PYSTRAY_BACKEND=xorg: Namespace"):
        backend.load_pystray()
