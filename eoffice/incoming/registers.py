"""The incoming register (Sổ đăng ký văn bản đến, Decree 30 Phụ lục IV) for a book and a period: its rows, and
the register as an XLSX workbook. The PDF is in `register_pdf`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from io import BytesIO

from sqlalchemy import select

from eoffice.core.time import format_date, to_local
from eoffice.extensions import db
from eoffice.incoming.models import LEAD, IncomingDocument

#: The ten columns of the register, as printed.
COLUMNS = ("Ngày đến", "Số đến", "Tác giả", "Số, ký hiệu", "Ngày tháng", "Tên loại và trích yếu",
           "Đơn vị hoặc người nhận", "Ngày chuyển", "Ký nhận", "Ghi chú")
DATE_COLUMNS = {0, 4, 7}


@dataclass
class Register:
    agency_name: str
    book_name: str
    date_from: date
    date_to: date
    rows: list[tuple]

    @property
    def period(self) -> str:
        return f"Từ ngày {format_date(self.date_from)} đến ngày {format_date(self.date_to)}"


def _recipients(doc: IncomingDocument) -> str:
    top = sorted((a for a in doc.assignments if a.parent_id is None), key=lambda a: (a.role != LEAD, a.id))
    return "; ".join(a.target_name for a in top) or (doc.presented_to.full_name if doc.presented_to else "")


def _row(doc: IncomingDocument) -> tuple:
    title = f"{doc.type_name}: {doc.subject}" if doc.type_name else doc.subject
    notes = "; ".join(part for part in (doc.description, "Đã trả lại: " + doc.return_reason
                                        if doc.state == "returned" else "") if part)
    return (doc.arrival_date, doc.arrival_number_text, doc.issuer_name, doc.number_symbol, doc.issued_date,
            title, _recipients(doc), to_local(doc.directed_at).date() if doc.directed_at else None, "", notes)


def build_register(agency, book, date_from: date, date_to: date) -> Register:
    """The registered documents of `book` that arrived in [date_from, date_to], in arrival-number order."""
    d = IncomingDocument
    docs = db.session.scalars(select(d).where(
        d.book_id == book.id, d.arrival_number.is_not(None), d.arrival_date >= date_from, d.arrival_date <= date_to
    ).order_by(d.arrival_year, d.arrival_number)).all()
    return Register(agency_name=agency.name, book_name=book.name,
                    date_from=date_from, date_to=date_to, rows=[_row(doc) for doc in docs])


def cell_text(value) -> str:
    """A register cell as printed: dates dd/mm/yyyy, everything else as text."""
    if isinstance(value, date):
        return format_date(value)
    return "" if value is None else str(value)


def render_register_xlsx(register: Register) -> bytes:
    """The register as an XLSX workbook: a title block, the ten column headers on row 5, one row per document;
    date cells are real dates shown dd/mm/yyyy."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Border, Font, Side

    wb = Workbook()
    ws = wb.active
    ws.title = "So den"
    ws["A1"] = register.agency_name.upper()
    ws["A2"] = "SỔ ĐĂNG KÝ VĂN BẢN ĐẾN"
    ws["A3"] = f"{register.book_name} · {register.period}"
    ws["A2"].font = Font(bold=True, size=14)
    thin = Side(style="thin")
    border = Border(left=thin, right=thin, top=thin, bottom=thin)
    for col, title in enumerate(COLUMNS, 1):
        cell = ws.cell(row=5, column=col, value=title)
        cell.font, cell.border = Font(bold=True), border
        cell.alignment = Alignment(wrap_text=True, horizontal="center", vertical="center")
    for r, row in enumerate(register.rows, 6):
        for col, value in enumerate(row, 1):
            cell = ws.cell(row=r, column=col, value=value)
            cell.border, cell.alignment = border, Alignment(wrap_text=True, vertical="top")
            if col - 1 in DATE_COLUMNS:
                cell.number_format = "dd/mm/yyyy"
    for letter, width in zip("ABCDEFGHIJ", (11, 8, 28, 16, 11, 48, 28, 11, 10, 20)):
        ws.column_dimensions[letter].width = width
    ws.freeze_panes = "A6"
    ws.print_options.gridLines = False
    ws.page_setup.orientation = "landscape"
    buf = BytesIO()
    wb.save(buf)
    return buf.getvalue()
