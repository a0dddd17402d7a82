"""Liberation Serif (metric-compatible with Times New Roman, full Vietnamese coverage; OFL, see LICENSE).

The font files are read once per process. pyHanko's own factory reopens and re-parses the TTF for every
document, which dominated the cost of a visible stamp; here each engine starts from the cached bytes.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from io import BytesIO
from pathlib import Path

from pyhanko.pdf_utils.font.api import FontEngineFactory
from pyhanko.pdf_utils.font.opentype import GlyphAccumulator

FONT_DIR = Path(__file__).resolve().parent
SERIF = FONT_DIR / "LiberationSerif-Regular.ttf"
SERIF_BOLD = FONT_DIR / "LiberationSerif-Bold.ttf"

__all__ = ["FONT_DIR", "SERIF", "SERIF_BOLD", "CachedFontFactory", "EmScaledGlyphAccumulator", "font_bytes", "serif_factory"]


@cache
def font_bytes(path: Path) -> bytes:
    """The bytes of a font file, read from disk only the first time."""
    return Path(path).read_bytes()


class EmScaledGlyphAccumulator(GlyphAccumulator):
    """pyHanko's glyph accumulator, measuring in thousandths of an em as PDF requires.

    pyHanko 0.38 writes glyph widths (/W) and TJ adjustments in the font's own units; that is right only for
    fonts with 1000 units per em. Liberation Serif has 2048, so text came out with every glyph twice as far
    apart. Scaling HarfBuzz to 1000 and the widths by 1000/upem fixes both.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._to_thousandths = 1000 / self.units_per_em
        self.hb_font.scale = (1000, 1000)
        self.units_per_em = 1000

    def _get_cid_and_width(self, glyph_id: int) -> tuple[int, int]:
        try:
            return self._glyphs[glyph_id]
        except KeyError:
            cid, width = super()._get_cid_and_width(glyph_id)
            self._glyphs[glyph_id] = result = (cid, round(width * self._to_thousandths))
            return result


@dataclass(frozen=True)
class CachedFontFactory(FontEngineFactory):
    """A pyHanko font engine factory embedding a subset of ``path``, whose file is read once per process."""

    path: Path
    font_size: int = 10

    def create_font_engine(self, writer, obj_stream=None) -> EmScaledGlyphAccumulator:
        if obj_stream is None and writer.stream_xrefs:
            obj_stream = writer.prepare_object_stream()
        return EmScaledGlyphAccumulator(writer=writer, font_handle=BytesIO(font_bytes(self.path)),
                                font_size=self.font_size, obj_stream=obj_stream, bcp47_lang_code="vi")


@cache
def serif_factory(bold: bool = False) -> CachedFontFactory:
    return CachedFontFactory(SERIF_BOLD if bold else SERIF)
