"""The outgoing register (Sổ đăng ký văn bản đi, Decree 30 Phụ lục IV) for a period: rows, PDF and XLSX.

Ten columns, as the decree lists them; "Ký nhận" stays empty for the handwritten receipt when the register is
printed and bound (Art. 16). "Ngày chuyển" is the date the document was transferred, not the issue date: the
first copy taken in (a package accepted by the recipient, 01 or later; see `exchange.transmissions`).
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass
from datetime import date
from io import BytesIO

from sqlalchemy import select

from eoffice.core.time import format_date
from eoffice.exchange.transmissions import transfer_times
from eoffice.extensions import db
from eoffice.outgoing.models import APPENDIX, ISSUED, PAPER, RECALLED, REPLACED, OutgoingDocument

COLUMNS = ("Số, ký hiệu văn bản", "Ngày tháng văn bản", "Tên loại và trích yếu nội dung", "Người ký",
           "Nơi nhận văn bản", "Đơn vị, người nhận bản lưu", "Số lượng bản", "Ngày chuyển", "Ký nhận", "Ghi chú")
#: Relative column widths in the PDF (landscape A4).
WIDTHS = (70, 55, 170, 75, 140, 80, 40, 55, 45, 70)
NOTES = {RECALLED: "Đã thu hồi", REPLACED: "Đã bị thay thế"}


@dataclass
class RegisterRow:
    document_id: int
    cells: tuple[str, ...]


def register_rows(agency_id: int, start: date, end: date) -> list[RegisterRow]:
    """The documents issued from `start` to `end` (inclusive), in the order of their numbers."""
    docs = db.session.scalars(select(OutgoingDocument).where(
        OutgoingDocument.agency_id == agency_id, OutgoingDocument.status.in_((ISSUED, RECALLED, REPLACED)),
        OutgoingDocument.issued_date >= start, OutgoingDocument.issued_date <= end)
        .order_by(OutgoingDocument.issued_date, OutgoingDocument.book_id, OutgoingDocument.number)).all()
    transferred = transfer_times(docs)
    rows = []
    for doc in docs:
        places = [r.name + (" (giấy)" if r.mode == PAPER else "") for r in doc.recipients]
        places += [line.strip().rstrip(";.") for line in (doc.places or "").splitlines() if line.strip()]
        keeper = f"VT; {doc.drafting_unit.abbreviation}" if doc.drafting_unit else "VT"
        notes = [NOTES.get(doc.status, ""), doc.description if doc.status == ISSUED else doc.status_reason]
        copies = doc.issued_amount or len(doc.recipients) or 1
        appendices = len({f.position for f in doc.files if f.role == APPENDIX})
        if appendices:
            notes.append(f"{appendices} phụ lục")
        rows.append(RegisterRow(doc.id, (
            doc.symbol or "", format_date(doc.issued_date),
            f"{doc.document_type.name}: {doc.subject}", doc.signer_name, "; ".join(places), keeper, str(copies),
            format_date(transferred.get(doc.id)), "", "; ".join(n for n in notes if n))))
    return rows


def register_xlsx(rows: list[RegisterRow], title: str) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font

    book = Workbook()
    sheet = book.active
    sheet.title = "So van ban di"
    sheet.append([title])
    sheet["A1"].font = Font(bold=True, size=13)
    sheet.append(list(COLUMNS))
    for cell in sheet[2]:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    for row in rows:
        sheet.append(list(row.cells))
    for index, width in enumerate(WIDTHS):
        sheet.column_dimensions[chr(ord("A") + index)].width = max(10, width // 4)
    for row in sheet.iter_rows(min_row=3):
        for cell in row:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    out = BytesIO()
    book.save(out)
    return out.getvalue()


PAGE_W, PAGE_H, MARGIN, SIZE = 842, 595, 28, 8


def register_pdf(rows: list[RegisterRow], title: str) -> bytes:
    """The register on landscape A4 pages, text in Liberation Serif (embedded) so Vietnamese prints anywhere."""
    from pyhanko.pdf_utils import generic
    from pyhanko.pdf_utils.content import PdfContent, PdfResources
    from pyhanko.pdf_utils.generic import pdf_name
    from pyhanko.pdf_utils.layout import BoxConstraints
    from pyhanko.pdf_utils.writer import PdfFileWriter

    from eoffice.signing.stamps import Typesetter

    scale = (PAGE_W - 2 * MARGIN) / sum(WIDTHS)
    widths = [w * scale for w in WIDTHS]
    writer = PdfFileWriter()

    class _Page(PdfContent):
        def __init__(self):
            super().__init__(resources=PdfResources(), box=BoxConstraints(width=PAGE_W, height=PAGE_H),
                             writer=writer)
            self.ops: list[bytes] = []
            self.typesetter = Typesetter(self)

        def text(self, x: float, y: float, line: str, size: float = SIZE, bold: bool = False) -> None:
            ops, _width = self.typesetter.line(line, size, bold)
            self.ops.append(b"BT 0 g %g %g Td %s ET" % (x, y, ops))

        def render(self) -> bytes:
            return b"\n".join(self.ops)

    def wrap(text: str, width: float) -> list[str]:
        # Liberation Serif averages about half an em per character: a safe estimate for wrapping a cell.
        return textwrap.wrap(text, max(4, int(width / (SIZE * 0.48)))) or [""]

    def new_page(first: bool) -> tuple[_Page, float]:
        page = _Page()
        y = PAGE_H - MARGIN
        if first:
            page.text(MARGIN, y - 14, title, 14, True)
            y -= 28
        header = [wrap(c, w - 4) for c, w in zip(COLUMNS, widths)]
        height = max(len(h) for h in header) * SIZE * 1.2 + 4
        draw_row(page, y, header, height, bold=True)
        return page, y - height

    def draw_row(page: _Page, top: float, cells: list[list[str]], height: float, bold: bool = False) -> None:
        x = MARGIN
        for lines, width in zip(cells, widths):
            page.ops.append(b"0.5 w %g %g %g %g re S" % (x, top - height, width, height))
            for n, line in enumerate(lines):
                page.text(x + 2, top - SIZE * 1.2 * (n + 1), line, SIZE, bold)
            x += width

    pages = []
    page, y = new_page(True)
    for row in rows:
        cells = [wrap(c, w - 4) for c, w in zip(row.cells, widths)]
        height = max(len(c) for c in cells) * SIZE * 1.2 + 4
        if y - height < MARGIN:
            pages.append(page)
            page, y = new_page(False)
        draw_row(page, y, cells, height)
        y -= height
    pages.append(page)
    for page in pages:
        stream = generic.StreamObject(stream_data=page.render())
        writer.insert_page(generic.DictionaryObject({
            pdf_name("/Type"): pdf_name("/Page"),
            pdf_name("/MediaBox"): generic.ArrayObject(map(generic.NumberObject, (0, 0, PAGE_W, PAGE_H))),
            pdf_name("/Resources"): page.resources.as_pdf_object(),
            pdf_name("/Contents"): writer.add_object(stream),
        }))
    out = BytesIO()
    writer.write(out)
    return out.getvalue()
