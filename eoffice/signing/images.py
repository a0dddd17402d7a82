"""Stamp images: the checks every uploaded signature or seal image passes, and the demo images.

Decree 30 (Phụ lục I) wants the signer's handwritten signature in blue and the agency seal in red, both as PNG
with a transparent background; the seal is shown at its real size.
"""

from __future__ import annotations

import math
import random
from io import BytesIO

from PIL import Image, ImageDraw, ImageFont

from .fonts import SERIF_BOLD, font_bytes

MAX_IMAGE_BYTES = 2 * 1024 * 1024
MIN_SIDE, MAX_SIDE = 32, 3000
BLUE = (18, 52, 170)
RED = (210, 20, 30)

__all__ = ["check_stamp_image", "make_demo_signature_png", "make_demo_seal_png", "MAX_IMAGE_BYTES"]


def check_stamp_image(data: bytes) -> bytes:
    """Return ``data`` if it is a usable stamp image, else raise ``ValueError`` saying why.

    Usable: a PNG of at most 2 MiB, between 32 and 3000 pixels on each side, with an alpha channel (or a
    transparent colour) that actually makes some pixels transparent, as the decree's "transparent background"
    requires.
    """
    if not data.startswith(b"\x89PNG\r\n\x1a\n"):
        raise ValueError("the image must be a PNG file")
    if len(data) > MAX_IMAGE_BYTES:
        raise ValueError(f"the image is larger than {MAX_IMAGE_BYTES // 1024} KiB")
    try:
        with Image.open(BytesIO(data)) as img:
            width, height = img.size
            if not (MIN_SIDE <= width <= MAX_SIDE and MIN_SIDE <= height <= MAX_SIDE):
                raise ValueError(f"the image must be {MIN_SIDE}–{MAX_SIDE} pixels on each side, not {width}×{height}")
            img.load()
            has_alpha = img.mode in ("RGBA", "LA", "PA") or "transparency" in img.info
            if not has_alpha:
                raise ValueError("the image has no transparency (alpha channel)")
            low, _high = img.convert("RGBA").getchannel("A").getextrema()
    except (OSError, Image.DecompressionBombError) as exc:
        raise ValueError(f"the image cannot be read: {exc}") from exc
    if low == 255:
        raise ValueError("the image has an alpha channel but no transparent pixel")
    return data


def _png(img: Image.Image) -> bytes:
    out = BytesIO()
    img.save(out, format="PNG", optimize=True)
    return out.getvalue()


def _font(size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(BytesIO(font_bytes(SERIF_BOLD)), size)


def make_demo_signature_png(name: str, width: int = 600, height: int = 240) -> bytes:
    """A blue, handwriting-like scribble on a transparent background, stable for a given ``name``."""
    rng = random.Random(name)  # same name, same signature: demo documents look the same on every run
    scale = 3  # draw large and shrink, for smooth anti-aliased strokes
    img = Image.new("RGBA", (width * scale, height * scale), (0, 0, 0, 0))
    draw = ImageDraw.Draw(img)
    points = []
    loops = max(3, min(len(name.split()) * 2 + 1, 8))
    for i in range(loops * 24 + 1):
        t = i / 24
        x = (0.08 + 0.84 * t / loops) * width
        y = (0.5 + 0.28 * math.sin(t * 2 * math.pi + rng.random() * 0.4) * (0.6 + 0.4 * math.cos(t * 1.3))) * height
        points.append((x * scale, y * scale))
    draw.line(points, fill=(*BLUE, 255), width=5 * scale, joint="curve")
    # the final flourish, underlining the scribble
    y0 = height * (0.78 + 0.08 * rng.random())
    draw.line([(0.12 * width * scale, y0 * scale), (0.9 * width * scale, (y0 - 18) * scale)],
              fill=(*BLUE, 255), width=4 * scale)
    return _png(img.resize((width, height), Image.LANCZOS))


def _text_on_circle(img: Image.Image, text: str, centre: float, radius: float, size: int, top: bool) -> None:
    font = _font(size)
    widths = [font.getlength(ch) for ch in text]
    total_angle = sum(widths) / radius
    angle = (-math.pi / 2 - total_angle / 2) if top else (math.pi / 2 + total_angle / 2)
    for ch, w in zip(text, widths):
        step = w / radius
        mid = angle + step / 2 if top else angle - step / 2
        tile = Image.new("RGBA", (size * 2, size * 2), (0, 0, 0, 0))
        ImageDraw.Draw(tile).text((size, size), ch, font=font, fill=(*RED, 255), anchor="mm")
        rotation = -math.degrees(mid) - 90 if top else -math.degrees(mid) + 90
        tile = tile.rotate(rotation, resample=Image.BICUBIC)
        x = centre + radius * math.cos(mid) - size
        y = centre + radius * math.sin(mid) - size
        img.alpha_composite(tile, (round(x), round(y)))
        angle += step if top else -step


def make_demo_seal_png(agency_name: str, diameter_px: int = 480) -> bytes:
    """A red round seal with ``agency_name`` around the rim and a star in the centre, transparent background.

    Shown at 36 mm (the size of an agency seal) by the stamp code, whatever the pixel size.
    """
    d = diameter_px
    img = Image.new("RGBA", (d, d), (0, 0, 0, 0))
    draw = ImageDraw.Draw(img)
    draw.ellipse([4, 4, d - 5, d - 5], outline=(*RED, 255), width=max(6, d // 45))
    draw.ellipse([d * 0.2, d * 0.2, d * 0.8, d * 0.8], outline=(*RED, 255), width=max(3, d // 110))
    words = agency_name.upper().split()
    half = max(1, len(words) // 2)
    _text_on_circle(img, " ".join(words[:half]), d / 2, d * 0.39, d // 12, top=True)
    _text_on_circle(img, " ".join(words[half:]), d / 2, d * 0.39, d // 12, top=False)
    star = []
    for i in range(10):
        r = d * (0.17 if i % 2 == 0 else 0.07)
        a = -math.pi / 2 + i * math.pi / 5
        star.append((d / 2 + r * math.cos(a), d / 2 + r * math.sin(a)))
    draw.polygon(star, fill=(*RED, 255))
    return _png(img)
