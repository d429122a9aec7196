"""The tray icon, drawn with Pillow: one shape per state, so it reads without colour too.

- ok       a filled green disc
- warning  an amber triangle with a "!" cut out
- error    a red square standing on its corner (a diamond) with an "×" cut out
- unknown  a grey ring (hollow: nothing known yet)

Drawn four times larger and scaled down, so 16 px is as crisp as 64 px. An optional badge
in the lower right corner counts recent failures (9+ beyond nine).
"""

from __future__ import annotations

from functools import lru_cache

from PIL import Image, ImageDraw, ImageFont

LEVELS = ("ok", "warning", "error", "unknown")
COLOURS: dict[str, tuple[int, int, int, int]] = {
    "ok": (46, 160, 67, 255),
    "warning": (230, 160, 0, 255),
    "error": (208, 40, 40, 255),
    "unknown": (128, 128, 128, 255),
}
BADGE = (208, 40, 40, 255)
_SCALE = 4


def render(level: str, size: int = 64, badge: int = 0) -> Image.Image:
    """The icon for `level` at `size` px (RGBA, transparent background)."""
    return _render(level if level in LEVELS else "unknown", int(size), max(0, int(badge))).copy()


@lru_cache(maxsize=64)
def _render(level: str, size: int, badge: int) -> Image.Image:
    big = size * _SCALE
    image = Image.new("RGBA", (big, big), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    colour = COLOURS[level]
    pad = big * 0.06
    lo, hi = pad, big - pad
    clear = (0, 0, 0, 0)
    if level == "ok":
        draw.ellipse((lo, lo, hi, hi), fill=colour)
    elif level == "warning":
        draw.polygon([(big / 2, lo), (hi, hi - big * 0.04), (lo, hi - big * 0.04)], fill=colour)
        w = big * 0.09
        draw.rectangle((big / 2 - w / 2, big * 0.36, big / 2 + w / 2, big * 0.66), fill=clear)
        draw.rectangle((big / 2 - w / 2, big * 0.73, big / 2 + w / 2, big * 0.82), fill=clear)
    elif level == "error":
        c = big / 2
        draw.polygon([(c, lo), (hi, c), (c, hi), (lo, c)], fill=colour)
        w = big * 0.09
        a, b = big * 0.36, big * 0.64
        draw.line((a, a, b, b), fill=clear, width=int(w))
        draw.line((a, b, b, a), fill=clear, width=int(w))
    else:
        draw.ellipse((lo, lo, hi, hi), outline=colour, width=int(big * 0.14))
    if badge > 0 and size >= 16:
        _badge(draw, big, badge)
    return image.resize((size, size), Image.LANCZOS)


def _badge(draw: ImageDraw.ImageDraw, big: int, count: int) -> None:
    text = str(count) if count < 10 else "9+"
    r = big * (0.24 if len(text) == 1 else 0.3)
    cx, cy = big - r, big - r
    draw.ellipse((cx - r - big * 0.03, cy - r - big * 0.03, cx + r + big * 0.03, cy + r + big * 0.03),
                 fill=(255, 255, 255, 255))
    draw.ellipse((cx - r, cy - r, cx + r, cy + r), fill=BADGE)
    font = _font(int(r * 1.5))
    draw.text((cx, cy), text, fill=(255, 255, 255, 255), font=font, anchor="mm")


@lru_cache(maxsize=8)
def _font(px: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    """The badge's font, laid out by Pillow's basic engine: a digit needs no shaping, and with
    the raqm engine 8 of 20 `demo` runs drew badges whose text mask FreeType measured at
    about 120 million pixels (DecompressionBombWarning; none in 20 runs with basic layout)."""
    for name in ("DejaVuSans-Bold.ttf", "Arial Bold.ttf", "arialbd.ttf"):
        try:
            return ImageFont.truetype(name, px, layout_engine=ImageFont.Layout.BASIC)
        except OSError:
            continue
    try:
        return ImageFont.load_default(size=px)
    except TypeError:  # Pillow < 10.1
        return ImageFont.load_default()


def save_assets(folder: str, sizes: tuple[int, ...] = (16, 22, 24, 32, 48, 64)) -> list[str]:
    """Write the icons as PNG files (for packaging): ``litellm-tray-LEVEL-SIZE.png``."""
    from pathlib import Path

    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for level in LEVELS:
        for size in sizes:
            path = out / f"litellm-tray-{level}-{size}.png"
            render(level, size).save(path)
            written.append(str(path))
    return written
