"""Visible signature appearances, placed as Decree 30 (Phụ lục I) wants them.

- :class:`SignerStampStyle`: the competent person's stamp: position line, the blue signature image between
  it and the name, the name, and the signing time in small type.
- :class:`SealStampStyle`: the agency signature on a main document: only the red seal image, drawn over the
  whole field; the field itself is sized and placed by :mod:`eoffice.signing.layout` at the seal's real size,
  over the left third of the signer's image.
- :class:`TextStampStyle`: appendices and electronic copies: text only (Liberation Serif 10, black), top right.

Fonts and images are prepared once per process (:mod:`eoffice.signing.fonts`, :func:`_image_data`), and font
subsets are cached by glyph set, so after the first document a stamp costs a few shaping calls.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from io import BytesIO

from PIL import Image
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.content import PdfContent, ResourceType
from pyhanko.pdf_utils.generic import pdf_name
from pyhanko.stamp import BaseStamp, BaseStampStyle

from ..core.time import iso_local
from .fonts import serif_factory
from .images import check_stamp_image, make_demo_seal_png, make_demo_signature_png

__all__ = [
    "SignerStampStyle",
    "Typesetter",
    "signature_image_rect",
    "SealStampStyle",
    "TextStampStyle",
    "check_stamp_image",
    "make_demo_signature_png",
    "make_demo_seal_png",
]


@lru_cache(maxsize=64)
def _image_data(png: bytes) -> tuple[int, int, bytes, bytes]:
    """Width, height, and the Flate-compressed RGB and alpha planes of a PNG (decoded once per image)."""
    with Image.open(BytesIO(png)) as img:
        rgba = img.convert("RGBA")
    rgb = zlib.compress(rgba.convert("RGB").tobytes(), 6)
    alpha = zlib.compress(rgba.getchannel("A").tobytes(), 6)
    return rgba.width, rgba.height, rgb, alpha


def _image_xobject(writer, png: bytes) -> tuple[generic.IndirectObject, float]:
    """Add the PNG as an image XObject with a soft mask; return its reference and width/height ratio."""
    width, height, rgb, alpha = _image_data(png)

    def stream(colour_space: str, data: bytes, extra=None):
        entries = {
            pdf_name("/Type"): pdf_name("/XObject"), pdf_name("/Subtype"): pdf_name("/Image"),
            pdf_name("/Width"): generic.NumberObject(width), pdf_name("/Height"): generic.NumberObject(height),
            pdf_name("/ColorSpace"): pdf_name(colour_space), pdf_name("/BitsPerComponent"): generic.NumberObject(8),
            pdf_name("/Filter"): pdf_name("/FlateDecode"),
        }
        entries.update(extra or {})
        return generic.StreamObject(entries, encoded_data=data)

    smask = writer.add_object(stream("/DeviceGray", alpha))
    image = writer.add_object(stream("/DeviceRGB", rgb, {pdf_name("/SMask"): smask}))
    return image, width / height


class Typesetter:
    """Shapes lines of text for one appearance (stamp or form field): one font subset per weight, shared."""

    def __init__(self, content: PdfContent):
        self.content = content
        self.engines = {}

    def line(self, text: str, size: float, bold: bool = False) -> tuple[bytes, float]:
        """Shaped text operators (to be positioned by the caller) and the line's width in points."""
        name = "/FB" if bold else "/FR"
        engine = self.engines.get(name)
        if engine is None:
            engine = self.engines[name] = serif_factory(bold).create_font_engine(self.content.writer)
            self.content.set_resource(ResourceType.FONT, pdf_name(name), engine.as_resource())
        engine.font_size = size
        shaped = engine.shape(text)
        return b"%s %g Tf %s" % (name.encode(), size, shaped.graphics_ops), shaped.x_advance * size

    def centred(self, text: str, size: float, bold: bool, width: float, baseline: float) -> bytes:
        ops, line_width = self.line(text, size, bold)
        return b"BT 0 g %g %g Td %s ET" % (max(0.0, (width - line_width) / 2), baseline, ops)


def _format_time(params: dict) -> str:
    value = params.get("signing_time")
    return iso_local(value) if isinstance(value, datetime) else str(value or "")


def signature_image_rect(width: float, height: float, font_size: float, with_position: bool, with_time: bool,
                         ratio: float) -> tuple[float, float, float, float]:
    """Where :class:`SignerStamp` draws the signature image inside its box: ``(x, y, width, height)``.

    Public because the layout places the agency seal relative to this rectangle.
    """
    top = height - (font_size * 1.4 if with_position else 0)
    bottom = (font_size * 0.7 * 1.3 if with_time else 0) + font_size * 1.4
    img_h = max(0.0, top - bottom)
    img_w = min(width, img_h * ratio)
    img_h = img_w / ratio
    return (width - img_w) / 2, bottom + (top - bottom - img_h) / 2, img_w, img_h


@dataclass(frozen=True)
class SignerStampStyle(BaseStampStyle):
    """The signer's visible signature: ``position`` / signature image / ``name`` / signing time.

    The time comes from the ``signing_time`` text parameter (a datetime, printed in ISO 8601 Vietnam time).
    """

    signature_png: bytes = b""
    position: str = ""
    name: str = ""
    font_size: float = 12
    time_label: str = "Ký số: "
    border_width: int = 0

    def create_stamp(self, writer, box, text_params) -> SignerStamp:
        return SignerStamp(writer=writer, style=self, box=box, text_params=text_params)


class SignerStamp(BaseStamp):
    def __init__(self, writer, style: SignerStampStyle, box, text_params=None):
        super().__init__(writer=writer, style=style, box=box)
        self.text_params = text_params or {}

    def _render_inner_content(self):
        style: SignerStampStyle = self.style
        width, height = self.box.width, self.box.height
        size, small = style.font_size, style.font_size * 0.7
        typeset = Typesetter(self)
        ops = []
        if style.position:
            ops.append(typeset.centred(style.position, size, True, width, height - size * 0.95))
        time_text = _format_time(self.text_params)
        bottom = small * 1.3 if time_text else 0
        if time_text:
            ops.append(typeset.centred(style.time_label + time_text, small, False, width, small * 0.3))
        ops.append(typeset.centred(style.name, size, True, width, bottom + size * 0.3))
        if style.signature_png:
            image, ratio = _image_xobject(self.writer, style.signature_png)
            self.set_resource(ResourceType.XOBJECT, pdf_name("/Sig"), image)
            x, y, img_w, img_h = signature_image_rect(width, height, style.font_size, bool(style.position),
                                                      bool(time_text), ratio)
            if img_h > 0:
                ops.append(b"q %g 0 0 %g %g %g cm /Sig Do Q" % (img_w, img_h, x, y))
        return ops


@dataclass(frozen=True)
class SealStampStyle(BaseStampStyle):
    """The agency seal image, stretched to the field (which the layout sizes to the seal's real size)."""

    seal_png: bytes = b""
    border_width: int = 0

    def create_stamp(self, writer, box, text_params) -> SealStamp:
        return SealStamp(writer=writer, style=self, box=box)


class SealStamp(BaseStamp):
    def _render_inner_content(self):
        image, _ratio = _image_xobject(self.writer, self.style.seal_png)
        self.set_resource(ResourceType.XOBJECT, pdf_name("/Seal"), image)
        return [b"q %g 0 0 %g 0 0 cm /Seal Do Q" % (self.box.width, self.box.height)]


@dataclass(frozen=True)
class TextStampStyle(BaseStampStyle):
    """Text-only agency signature (appendix, electronic copy): each line right-aligned, regular, black.

    ``lines`` may contain ``%(signing_time)s``, replaced by the signing time in ISO 8601 Vietnam time.
    """

    lines: tuple[str, ...] = ()
    font_size: float = 10
    border_width: int = 0

    def create_stamp(self, writer, box, text_params) -> TextLinesStamp:
        return TextLinesStamp(writer=writer, style=self, box=box, text_params=text_params)


class TextLinesStamp(BaseStamp):
    def __init__(self, writer, style: TextStampStyle, box, text_params=None):
        super().__init__(writer=writer, style=style, box=box)
        self.text_params = text_params or {}

    def _render_inner_content(self):
        style: TextStampStyle = self.style
        typeset = Typesetter(self)
        values = {"signing_time": _format_time(self.text_params)}
        ops, baseline = [], self.box.height - style.font_size
        for line in style.lines:
            text_ops, line_width = typeset.line(line % values, style.font_size)
            ops.append(b"BT 0 g %g %g Td %s ET" % (max(0.0, self.box.width - line_width), baseline, text_ops))
            baseline -= style.font_size * 1.2
        return ops
