"""Small real pictures for the tests of job photos and signatures (Pillow)."""

from __future__ import annotations

import io
import os

from PIL import Image, ImageDraw

RED, BLUE = (220, 30, 30), (30, 60, 220)


def photo(color=RED, size=(400, 300), fmt: str = "JPEG") -> bytes:
    """A one-colour photo (a colour the completion report's image can be searched for)."""
    out = io.BytesIO()
    Image.new("RGB", size, color).save(out, fmt)
    return out.getvalue()


def signature(size=(600, 200), blank: bool = False) -> bytes:
    """A PNG as the app's canvas makes it: dark strokes on a transparent ground."""
    img = Image.new("RGBA", size, (0, 0, 0, 0))
    if not blank:
        d = ImageDraw.Draw(img)
        d.line([(40, 150), (120, 40), (200, 160), (290, 50), (380, 150), (520, 70)], fill=(17, 17, 17, 255), width=8)
    out = io.BytesIO()
    img.save(out, "PNG")
    return out.getvalue()


def noise(size=(700, 700), fmt: str = "PNG") -> bytes:
    """A picture that does not compress: a large file from a modest size."""
    out = io.BytesIO()
    Image.frombytes("RGB", size, os.urandom(size[0] * size[1] * 3)).save(out, fmt)
    return out.getvalue()
