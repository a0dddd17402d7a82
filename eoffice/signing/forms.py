"""The signing copy: form fields for the number, the date and both signatures, and filling them after signing.

Numbering happens after the leader has signed (DESIGN.md, "Numbering after the leader's signature"). PDF allows
filling form fields after an approval signature, and pyHanko's difference analysis then reports the
signature intact with modification level FORM_FILLING — provided that the fields existed before the signature
and that filling only sets ``/V`` and points ``/AP /N`` at a *new* appearance stream. So:

- :func:`prepare_signing_copy` adds, in one incremental revision, two read-only text fields (empty value,
  empty appearance) and the two empty signature fields;
- :func:`fill_number_and_date` writes, in one incremental revision, each field's ``/V`` and a fresh
  appearance stream whose font lives in the stream's own resources (the AcroForm ``/DR`` is not touched).

The number is never written as a free-text annotation: pyHanko flags that as a suspicious modification.
"""

from __future__ import annotations

from io import BytesIO

from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.content import PdfContent
from pyhanko.pdf_utils.generic import pdf_name, pdf_string
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.layout import BoxConstraints
from pyhanko.pdf_utils.writer import init_xobject_dictionary
from pyhanko.sign.fields import SigFieldSpec, append_signature_field

from .layout import AGENCY_FIELD, DATE_FIELD, LEADER_FIELD, NUMBER_FIELD, Box, SigningLayout
from .stamps import Typesetter

FIELD_FONT_SIZE = 13  # Decree 30: number and date are set in 13 pt
_READ_ONLY = 1  # /Ff bit 1: nobody types into these fields; only the system fills them

__all__ = ["prepare_signing_copy", "fill_number_and_date", "FIELD_FONT_SIZE"]


def _page_index(writer, index: int) -> int:
    count = int(writer.root["/Pages"]["/Count"])
    return index % count


def _acroform(writer) -> generic.DictionaryObject:
    root = writer.root
    if "/AcroForm" not in root:
        root[pdf_name("/AcroForm")] = writer.add_object(generic.DictionaryObject({
            pdf_name("/Fields"): generic.ArrayObject()}))
        writer.update_root()
    return root["/AcroForm"]


def _fields(writer) -> list:
    root = writer.root
    return list(root["/AcroForm"]["/Fields"]) if "/AcroForm" in root else []


def _mark_updated(writer, container_owner, key: str) -> None:
    """Register a change of ``container_owner[key]`` with the incremental writer (direct or indirect value)."""
    raw = container_owner.raw_get(key)
    if isinstance(raw, generic.IndirectObject):
        writer.mark_update(raw)
    else:
        writer.update_container(container_owner)


def _add_text_field(writer, name: str, page_ix: int, box: Box) -> None:
    page_ref = writer.find_page_for_modification(page_ix)[0]
    width, height = box[2] - box[0], box[3] - box[1]
    empty_ap = writer.add_object(init_xobject_dictionary(b"", width, height))
    field = generic.DictionaryObject({
        pdf_name("/Type"): pdf_name("/Annot"),
        pdf_name("/Subtype"): pdf_name("/Widget"),
        pdf_name("/FT"): pdf_name("/Tx"),
        pdf_name("/T"): pdf_string(name),
        pdf_name("/Ff"): generic.NumberObject(_READ_ONLY),
        pdf_name("/F"): generic.NumberObject(4),  # print
        pdf_name("/Rect"): generic.ArrayObject(generic.FloatObject(v) for v in box),
        pdf_name("/P"): page_ref,
        pdf_name("/DA"): pdf_string(f"/Helv {FIELD_FONT_SIZE} Tf 0 g"),
        pdf_name("/AP"): generic.DictionaryObject({pdf_name("/N"): empty_ap}),
    })
    field_ref = writer.add_object(field)
    page = page_ref.get_object()
    if "/Annots" in page:
        page["/Annots"].append(field_ref)
        _mark_updated(writer, page, "/Annots")
    else:
        page[pdf_name("/Annots")] = generic.ArrayObject([field_ref])
        writer.update_container(page)
    form = _acroform(writer)
    form["/Fields"].append(field_ref)
    _mark_updated(writer, form, "/Fields")


def prepare_signing_copy(pdf_bytes: bytes, layout: SigningLayout = SigningLayout()) -> bytes:
    """Return the PDF plus one incremental revision holding the four empty fields of ``layout``.

    Fields: ``SoKyHieu`` and ``NgayBanHanh`` (read-only text), ``ChuKyLanhDao`` and ``ChuKyCoQuan``
    (signature). Raises ``ValueError`` if the document already has a field of one of these names.
    """
    writer = IncrementalPdfFileWriter(BytesIO(pdf_bytes), strict=False)
    existing = {str(f.get_object().get("/T")) for f in _fields(writer)}
    clash = existing & {LEADER_FIELD, AGENCY_FIELD, NUMBER_FIELD, DATE_FIELD}
    if clash:
        raise ValueError(f"the document already has the fields {sorted(clash)}")
    sig_page = _page_index(writer, layout.signature_page)
    text_page = _page_index(writer, layout.text_page)
    _add_text_field(writer, NUMBER_FIELD, text_page, layout.number_box)
    _add_text_field(writer, DATE_FIELD, text_page, layout.date_box)
    for name, box in ((LEADER_FIELD, layout.leader_box), (AGENCY_FIELD, layout.seal_box())):
        append_signature_field(writer, SigFieldSpec(name, on_page=sig_page, box=tuple(round(v, 2) for v in box)))
    out = BytesIO()
    writer.write(out)
    return out.getvalue()


class _FieldText(PdfContent):
    """A one-line text appearance, centred in the field both ways.

    Centred because Decree 30 centres the number under the issuer's name and the place and date under the
    national motto; the default fields of :class:`~eoffice.signing.layout.SigningLayout` span those headers.
    """

    def __init__(self, writer, text: str, width: float, height: float):
        super().__init__(writer=writer, box=BoxConstraints(width=width, height=height))
        self.text = text

    def render(self) -> bytes:
        ops, width = Typesetter(self).line(self.text, FIELD_FONT_SIZE)
        baseline = (self.box.height - FIELD_FONT_SIZE * 0.7) / 2
        left = max(2.0, (self.box.width - width) / 2)
        return b"/Tx BMC q BT 0 g %g %g Td %s ET Q EMC" % (left, baseline, ops)


def _find_field(writer, name: str) -> tuple[generic.IndirectObject, generic.DictionaryObject]:
    for ref in _fields(writer):
        field = ref.get_object()
        if field.get("/T") == name:
            return ref, field
    raise ValueError(f"the document has no field {name!r}: was it prepared with prepare_signing_copy?")


def fill_number_and_date(pdf_bytes: bytes, number_text: str, date_text: str) -> bytes:
    """Return the PDF plus one incremental revision setting the number and the date (value and appearance).

    ``number_text`` is printed as given (e.g. ``"Số: 15/QĐ-UBND"``), likewise ``date_text``
    (``"Thạnh Trị, ngày 05 tháng 01 năm 2026"``). Raises ``ValueError`` if a field is missing or already filled.
    """
    writer = IncrementalPdfFileWriter(BytesIO(pdf_bytes), strict=False)
    for name, text in ((NUMBER_FIELD, number_text), (DATE_FIELD, date_text)):
        ref, field = _find_field(writer, name)
        if str(field.get("/V", "")):
            raise ValueError(f"the field {name!r} is already filled")
        x1, y1, x2, y2 = (float(v) for v in field["/Rect"])
        appearance = _FieldText(writer, text, x2 - x1, y2 - y1)
        stream = writer.add_object(appearance.as_form_xobject())
        field[pdf_name("/V")] = pdf_string(text)
        field[pdf_name("/AP")] = generic.DictionaryObject({pdf_name("/N"): stream})
        writer.mark_update(ref)
    out = BytesIO()
    writer.write(out)
    return out.getvalue()
