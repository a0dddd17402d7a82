"""Liberation Serif (metric-compatible with Times New Roman, full Vietnamese coverage; OFL, see LICENSE).

Every visible signature embeds a subset of the font, and pyHanko's own engine (``GlyphAccumulator``) reopens the
TTF, re-parses its tables and runs fontTools' subsetter on the whole 2,600-glyph font for every document: that was
most of the cost of a visible stamp. Here each font file is prepared once per process (:class:`FontProgram`):

- one HarfBuzz font and one set of metric tables, shared by all documents (they are only read);
- a *reduced* copy of the font holding the Vietnamese and Latin repertoire (plus what the OpenType layout can
  reach from it), with the original glyph ids, built once; subsets are cut from it, which is three times
  faster than from the full font; text outside it falls back to the full font;
- the embedded subsets themselves, compressed, cached by glyph set. The digits and the punctuation of an ISO
  8601 time are always part of the set, so that the signing time, which changes with every document, does not
  change the subset: a batch signed with one stamp subsets each weight once.

The embedded font is still a proper subset carrying every glyph the stamp shows, with its widths and a
ToUnicode map, exactly as pyHanko would write it.
"""

from __future__ import annotations

import logging
import threading
import zlib
from collections import OrderedDict
from dataclasses import dataclass
from functools import cache, cached_property
from io import BytesIO
from pathlib import Path

import uharfbuzz as hb
from fontTools import subset
from fontTools.ttLib import TTFont
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.font.api import FontEngine, FontEngineFactory
# private helpers of pyHanko 0.38 (building the Type0 dictionary, reading the PostScript name): reused rather
# than rewritten so that the embedded font is exactly what pyHanko's own engine writes
from pyhanko.pdf_utils.font.opentype import (CIDFontType2, GlyphAccumulator, _build_type0_font_from_cidfont,
                                             _read_ps_name)
from pyhanko.pdf_utils.generic import pdf_name

FONT_DIR = Path(__file__).resolve().parent
SERIF = FONT_DIR / "LiberationSerif-Regular.ttf"
SERIF_BOLD = FONT_DIR / "LiberationSerif-Bold.ttf"

__all__ = ["FONT_DIR", "SERIF", "SERIF_BOLD", "CachedFontFactory", "EmScaledGlyphAccumulator", "FontProgram",
           "font_bytes", "font_program", "serif_factory", "VIETNAMESE"]

# fontTools logs every dropped table at WARNING; that is expected here and only noise in the application log
logging.getLogger("fontTools.subset").setLevel(logging.ERROR)

#: Every precomposed Vietnamese letter; with printable ASCII and common typographic punctuation, the repertoire
#: of the reduced font.
VIETNAMESE = (
    "ÀÁÂÃÈÉÊÌÍÒÓÔÕÙÚÝàáâãèéêìíòóôõùúýĂăĐđĨĩŨũƠơƯư"
    "ẠạẢảẤấẦầẨẩẪẫẬậẮắẰằẲẳẴẵẶặẸẹẺẻẼẽẾếỀềỂểỄễỆệỈỉỊịỌọỎỏỐốỒồỔổỖỗỘộỚớỜờỞởỠỡỢợỤụỦủỨứỪừỬửỮữỰựỲỳỴỵỶỷỸỹ"
    "\u0300\u0301\u0303\u0309\u0323\u0302\u0306\u031b"  # combining marks, for text typed in decomposed form
)
_PUNCTUATION = "\u00a0\u00a7\u00b0\u00ab\u00bb\u2013\u2014\u2018\u2019\u201c\u201d\u2026\u2116"
_REPERTOIRE = frozenset(range(0x20, 0x7F)) | {ord(c) for c in VIETNAMESE + _PUNCTUATION}
#: Always embedded, so that a changing signing time keeps the same glyph set (see the module docstring).
_TIME_CHARACTERS = "0123456789:+-T "
_SUBSET_CACHE_SIZE = 64


@cache
def font_bytes(path: Path) -> bytes:
    """The bytes of a font file, read from disk only the first time."""
    return Path(path).read_bytes()


class FontProgram:
    """One TrueType font prepared for shaping and subsetting many times (see the module docstring).

    Thread-safe: the shared HarfBuzz font and the preloaded tables are only read; subsets are built under a lock.
    """

    def __init__(self, path: Path):
        self.path = Path(path)
        data = font_bytes(self.path)
        self.hb_font = hb.Font(hb.Face(data))
        # PDF measures glyphs in thousandths of an em; Liberation Serif has 2048 units per em. Shaping at a
        # scale of 1000 gives advances in PDF units directly (pyHanko 0.38 assumes 1000-unit fonts).
        self.hb_font.scale = (1000, 1000)
        self.tt = TTFont(BytesIO(data))
        # load now, in one thread, every table the engines read later, so that no lazy load races
        for tag in ("head", "hhea", "OS/2", "post", "name", "hmtx", "cmap", "maxp"):
            self.tt[tag]  # noqa: B018
        self.glyph_order = self.tt.getGlyphOrder()
        self.units_per_em = self.tt["head"].unitsPerEm
        self.ps_name = _read_ps_name(self.tt)
        self.reverse_cmap = self.tt["cmap"].buildReversed()
        cmap = self.tt.getBestCmap()
        self.time_gids = frozenset(self.glyph_order.index(cmap[ord(c)]) for c in _TIME_CHARACTERS if ord(c) in cmap)
        self._lock = threading.Lock()
        self._subsets: OrderedDict[frozenset[int], bytes] = OrderedDict()

    def width(self, gid: int) -> int:
        """Advance width of glyph ``gid`` in thousandths of an em."""
        advance, _lsb = self.tt["hmtx"][self.glyph_order[gid]]
        return round(advance * 1000 / self.units_per_em)

    @cached_property
    def _reduced(self) -> tuple[bytes, frozenset[int]]:
        """The reduced font (original glyph ids kept) and the glyph ids it carries."""
        tt = TTFont(BytesIO(font_bytes(self.path)))
        options = subset.Options(retain_gids=True, notdef_outline=True, name_IDs=["*"], name_languages=["*"])
        subsetter = subset.Subsetter(options=options)
        subsetter.populate(unicodes=sorted(_REPERTOIRE))
        subsetter.subset(tt)
        kept = frozenset(gid for gid, name in enumerate(tt.getGlyphOrder()) if name in subsetter.glyphs_retained)
        out = BytesIO()
        tt.save(out)
        return out.getvalue(), kept

    def subset(self, gids: frozenset[int]) -> bytes:
        """The Flate-compressed TrueType program of a subset holding ``gids`` (glyph ids kept), cached."""
        key = frozenset(gids) | self.time_gids | {0}
        with self._lock:
            cached = self._subsets.get(key)
            if cached is not None:
                self._subsets.move_to_end(key)
                return cached
            reduced, kept = self._reduced
            source = reduced if key <= kept else font_bytes(self.path)
            tt = TTFont(BytesIO(source))
            # the text is already shaped: the layout tables are not needed in the PDF
            options = subset.Options(layout_closure=False, retain_gids=True, notdef_outline=True)
            options.drop_tables += ["GPOS", "GDEF", "GSUB"]
            subsetter = subset.Subsetter(options=options)
            subsetter.populate(gids=sorted(key))
            subsetter.subset(tt)
            out = BytesIO()
            tt.save(out)
            data = self._subsets[key] = zlib.compress(out.getvalue(), 6)
            if len(self._subsets) > _SUBSET_CACHE_SIZE:
                self._subsets.popitem(last=False)
            return data


@cache
def font_program(path: Path) -> FontProgram:
    return FontProgram(path)


class _CachedSubsetCIDFont(CIDFontType2):
    """pyHanko's TrueType CID font, whose font file comes from :meth:`FontProgram.subset`."""

    def __init__(self, program: FontProgram, subset_prefix: str, gids: frozenset[int]):
        super().__init__(program.tt, program.ps_name, subset_prefix)
        self._program, self._gids = program, gids

    def set_font_file(self, writer):
        stream = generic.StreamObject({pdf_name("/Filter"): pdf_name("/FlateDecode")},
                                      encoded_data=self._program.subset(self._gids))
        ref = writer.add_object(stream)
        self._font_descriptor[pdf_name("/FontFile2")] = ref
        return ref


class EmScaledGlyphAccumulator(GlyphAccumulator):
    """pyHanko's glyph accumulator (shaping, ToUnicode, /W) over a shared :class:`FontProgram`.

    Only the constructor and the embedding differ from pyHanko's: nothing is parsed per document and the subset
    comes from the program's cache. Widths and advances are in thousandths of an em, as PDF requires.
    """

    def __init__(self, writer, program: FontProgram, font_size: float = 10, obj_stream=None,
                 bcp47_lang_code: str | None = "vi"):
        # GlyphAccumulator.__init__ would re-read the font file; set up the attributes its methods use instead
        FontEngine.__init__(self, writer, program.ps_name, embedded_subset=True, obj_stream=obj_stream,
                            font_size=font_size)
        self.program = program
        self.hb_font, self.tt = program.hb_font, program.tt
        self._font_ref = writer.allocate_placeholder()
        self.cff_charset, self.use_raw_gids = None, True
        self.features = None
        self.units_per_em = 1000
        self._glyphs: dict[int, tuple[int, int]] = {}
        self._cid_to_unicode: dict[int, str] = {}
        self.ot_language_tag = self.ot_script_tag = self.writing_direction = None
        self.bcp47_lang_code = bcp47_lang_code
        self._subset_created = self._write_prepared = False

    @property
    def _reverse_cmap(self):
        return self.program.reverse_cmap

    def _get_cid_and_width(self, glyph_id: int) -> tuple[int, int]:
        # CIDToGIDMap /Identity: the CID is the glyph id
        found = self._glyphs.get(glyph_id)
        if found is None:
            found = self._glyphs[glyph_id] = (glyph_id, self.program.width(glyph_id))
        return found

    def prepare_write(self):
        if self._write_prepared:
            return
        if not self._glyphs:
            # nothing was shaped with this engine: an empty font resource is still valid, keep it minimal
            self._get_cid_and_width(0)
        cidfont = _CachedSubsetCIDFont(self.program, self.subset_prefix, frozenset(self._glyphs))
        type0 = _build_type0_font_from_cidfont(writer=self.writer, cidfont_obj=cidfont,
                                               widths_by_cid_iter=iter(sorted(self._glyphs.values())),
                                               obj_stream=self.obj_stream, vertical=False)
        type0["/ToUnicode"] = self.writer.add_object(self._format_tounicode_cmap())
        self.writer.add_object(type0, self.obj_stream, idnum=self._font_ref.idnum)
        self._write_prepared = True


@dataclass(frozen=True)
class CachedFontFactory(FontEngineFactory):
    """A pyHanko font engine factory embedding a subset of ``path``; the font is prepared once per process."""

    path: Path
    font_size: int = 10

    def create_font_engine(self, writer, obj_stream=None) -> EmScaledGlyphAccumulator:
        if obj_stream is None and writer.stream_xrefs:
            obj_stream = writer.prepare_object_stream()
        return EmScaledGlyphAccumulator(writer, font_program(self.path), font_size=self.font_size,
                                        obj_stream=obj_stream)


@cache
def serif_factory(bold: bool = False) -> CachedFontFactory:
    return CachedFontFactory(SERIF_BOLD if bold else SERIF)
