"""Draw the app's icons (a white wrench on the brand green) with Pillow, offline.

    .venv/bin/python scripts/make_icons.py

writes backend/web/static/icons/: icon-192.png and icon-512.png (rounded
corners, purpose "any"), maskable-512.png (full bleed, the wrench inside the
safe zone) and apple-touch-icon.png (180 px). The PNGs are committed; run
this again only to change the drawing."""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageDraw

OUT = Path(__file__).resolve().parents[1] / "backend" / "web" / "static" / "icons"
GREEN = (11, 110, 79, 255)
WHITE = (255, 255, 255, 255)
SCALE = 4  # drawn this much larger, then scaled down: smooth edges


def wrench(size: int, extent: float) -> Image.Image:
    """A white wrench on a transparent square of ``size``, ``extent`` of it wide, at 45 degrees."""
    s = size * SCALE
    layer = Image.new("RGBA", (s, s), (0, 0, 0, 0))
    d = ImageDraw.Draw(layer)
    c, span = s / 2, s * extent
    left, right = c - span / 2, c + span / 2
    head_r = span * 0.2
    handle_h = span * 0.13
    head_x = left + head_r
    d.rounded_rectangle([head_x, c - handle_h / 2, right - handle_h / 2, c + handle_h / 2], radius=handle_h / 2,
                        fill=WHITE)
    d.ellipse([right - handle_h * 1.1, c - handle_h * 0.55, right, c + handle_h * 0.55], fill=WHITE)
    d.ellipse([head_x - head_r, c - head_r, head_x + head_r, c + head_r], fill=WHITE)
    jaw = head_r * 0.42  # the open jaw: a notch cut out of the head
    d.rectangle([head_x - head_r - 1, c - jaw / 2, head_x + head_r * 0.1, c + jaw / 2], fill=(0, 0, 0, 0))
    hole = handle_h * 0.22
    d.ellipse([right - handle_h * 0.55 - hole, c - hole, right - handle_h * 0.55 + hole, c + hole], fill=(0, 0, 0, 0))
    return layer.rotate(45, resample=Image.Resampling.BICUBIC)


def icon(size: int, *, maskable: bool) -> Image.Image:
    s = size * SCALE
    img = Image.new("RGBA", (s, s), (0, 0, 0, 0))
    d = ImageDraw.Draw(img)
    if maskable:
        d.rectangle([0, 0, s, s], fill=GREEN)
    else:
        d.rounded_rectangle([0, 0, s - 1, s - 1], radius=s * 0.22, fill=GREEN)
    img.alpha_composite(wrench(size, 0.62 if maskable else 0.78))
    return img.resize((size, size), Image.Resampling.LANCZOS)


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    for size in (192, 512):
        icon(size, maskable=False).save(OUT / f"icon-{size}.png", optimize=True)
    icon(512, maskable=True).save(OUT / "maskable-512.png", optimize=True)
    icon(180, maskable=True).convert("RGB").save(OUT / "apple-touch-icon.png", optimize=True)
    for path in sorted(OUT.glob("*.png")):
        print(path.relative_to(OUT.parents[3]), path.stat().st_size, "bytes")


if __name__ == "__main__":
    main()
