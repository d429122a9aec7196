"""Icon pixels per state, and the menu model built from a state (no display needed)."""

from __future__ import annotations

import pytest

from tray.desktop.icon import COLOURS, LEVELS, render
from tray.desktop.menu import build_menu, texts
from tray.state import BudgetLine, RecentPrompt, TrayState


def _opaque(image) -> int:
    return sum(1 for a in image.getchannel("A").getdata() if a > 128)


@pytest.mark.parametrize("size", [16, 22, 32, 64])
def test_states_differ_by_shape_not_only_colour(size: int) -> None:
    masks = {level: [a > 128 for a in render(level, size).getchannel("A").tobytes()] for level in LEVELS}
    for a in LEVELS:
        for b in LEVELS:
            if a < b:
                differ = sum(x != y for x, y in zip(masks[a], masks[b]))
                assert differ > size * size * 0.05, (a, b)


def test_colours_and_crisp_shapes() -> None:
    for level in LEVELS:
        image = render(level, 64)
        assert image.size == (64, 64) and image.mode == "RGBA"
        assert image.getpixel((0, 0))[3] == 0                      # transparent corner
        r, g, b, _ = COLOURS[level]
        if level != "unknown":
            got = image.getpixel((32, 54 if level == "warning" else 20))[:3]
            assert all(abs(x - y) <= 3 for x, y in zip(got, (r, g, b))), (level, got)
    assert render("ok", 64).getpixel((32, 32))[3] == 255            # a filled disc
    assert render("unknown", 64).getpixel((32, 32))[3] == 0         # a ring: hollow
    assert render("error", 64).getpixel((32, 32))[3] == 0           # the cut-out cross
    assert render("error", 64).getpixel((2, 2))[3] == 0             # a diamond, not a square
    # the warning triangle is narrow at the top
    assert render("warning", 64).getpixel((10, 8))[3] == 0


def test_badge_adds_red_pixels_in_the_corner() -> None:
    plain, badged = render("ok", 32), render("ok", 32, badge=3)
    assert plain.getpixel((27, 27))[:3] != badged.getpixel((27, 27))[:3]
    assert badged.getpixel((27, 27))[0] > 150
    assert render("ok", 32, badge=12).tobytes() == render("ok", 32, badge=15).tobytes()   # both "9+"


def state(**changes) -> TrayState:
    base = dict(level="ok", proxy_url="http://x", proxy_up=True, proxy_text="Proxy up · http://x",
                requests_today=1204, failed_today=3, requests_since_start=40, failed_since_start=1,
                proxy_requests=2000, proxy_failed=5, per_minute=4.5, tokens_total=9000, tokens_in=1000,
                tokens_out=8000, spend_today=4.12, spend_total=10.0,
                budgets=(BudgetLine("global", "Monthly $412 of $1,000 · 41 %", 0.41),),
                spend_by_model=(("frontier", 3.0),), spend_by_tag=(("jobA", 0.0042),),
                recent=(RecentPrompt("abc", "15:29:00", "cheap", "Hello there", True),),
                tooltip="LiteLLM: 1,204 req today · 3 failed · $4.12")
    base.update(changes)
    return TrayState(**base)


def test_the_badge_text_is_laid_out_without_raqm() -> None:
    """With raqm, FreeType now and then measured a badge's digit at ~120 million pixels
    (Pillow's DecompressionBombWarning in `demo`): the badge uses the basic layout engine."""
    from PIL import ImageFont

    from tray.desktop.icon import _font

    font = _font(92)
    if isinstance(font, ImageFont.FreeTypeFont):
        assert font.layout_engine == ImageFont.Layout.BASIC


def test_menu_shows_the_numbers_and_every_command() -> None:
    entries = build_menu(state(), now=0)
    lines = texts(entries)
    assert "Requests today: 1,204 · 3 failed" in lines
    assert "Since start: 40 · 1 failed · 4.5/min" in lines
    assert "Tokens: 9,000 (in 1,000 / out 8,000)" in lines
    assert "Spend today: $4.12 · since proxy start $10.00" in lines
    assert "Budget Monthly $412 of $1,000 · 41 %" in lines
    assert "  frontier  $3.00" in lines and "  jobA  $0.0042" in lines
    assert "  ✗ 15:29:00  cheap · Hello there" in lines
    for command in ("Open viewer…", "Open log file", "Open LiteLLM UI", "Pause notifications",
                    "Settings…", "Refresh now", "Quit"):
        assert command in lines
    recent = next(e for e in entries if e.text == "Recent prompts")
    assert recent.children[0].action == ("open_request", "abc")
    pause = next(e for e in entries if e.text == "Pause notifications")
    assert [c.action for c in pause.children] == [("pause", 900.0), ("pause", 3600.0), ("pause", None)]


def test_menu_when_paused_and_before_start() -> None:
    paused = next(e for e in build_menu(state(paused_until=float("inf")), now=0) if e.text == "Pause notifications")
    assert paused.checked and ("resume", None) in [c.action for c in paused.children]
    assert texts(build_menu(None))[0] == "Starting…"


def test_menu_converts_to_pystray(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PYSTRAY_BACKEND", "dummy")
    pystray = pytest.importorskip("pystray")
    from tray.desktop.menu import to_pystray

    clicked = []
    items = to_pystray(build_menu(state(), now=0), clicked.append)
    menu = pystray.Menu(*items)
    quit_item = [i for i in menu.items if i.text == "Quit"][0]
    quit_item(None)
    assert clicked == [("quit", None)]
