"""The incoming register (Sổ đăng ký văn bản đến, Decree 30 Phụ lục IV) and the resolution-tracking register (Sổ
theo dõi giải quyết văn bản đến) for a book and a period: their rows, and each as an XLSX workbook. The PDF of
the incoming register is in `register_pdf`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from io import BytesIO

from sqlalchemy import select

from eoffice.core.time import format_date, local_today, to_local
from eoffice.extensions import db
from eoffice.incoming.models import COMPLETED, DIRECTED, LEAD, REGISTERED, RETURNED, IncomingDocument

#: The ten columns of the register, as printed.
COLUMNS = ("Ngày đến", "Số đến", "Tác giả", "Số, ký hiệu", "Ngày tháng", "Tên loại và trích yếu",
           "Đơn vị hoặc người nhận", "Ngày chuyển", "Ký nhận", "Ghi chú")
DATE_COLUMNS = {0, 4, 7}
#: The seven columns of the resolution-tracking register, as printed.
TRACKING_COLUMNS = ("Số đến", "Tên loại, số, ký hiệu, ngày, tháng và tên cơ quan ban hành", "Đơn vị hoặc người nhận",
                    "Ý kiến phân phối, chỉ đạo", "Thời hạn giải quyết", "Tiến độ giải quyết", "Ghi chú")
TRACKING_DATE_COLUMNS = {4}
ARRIVALS, TRACKING = "arrivals", "tracking"
KINDS = {ARRIVALS: ("SỔ ĐĂNG KÝ VĂN BẢN ĐẾN", COLUMNS, DATE_COLUMNS, "So den"),
         TRACKING: ("SỔ THEO DÕI GIẢI QUYẾT VĂN BẢN ĐẾN", TRACKING_COLUMNS, TRACKING_DATE_COLUMNS, "Theo doi")}


@dataclass
class Register:
    agency_name: str
    book_name: str
    date_from: date
    date_to: date
    rows: list[tuple]
    #: `arrivals` (the 10-column incoming register) or `tracking` (the 7-column resolution-tracking register).
    kind: str = ARRIVALS

    @property
    def title(self) -> str:
        return KINDS[self.kind][0]

    @property
    def columns(self) -> tuple[str, ...]:
        return KINDS[self.kind][1]

    @property
    def date_columns(self) -> set[int]:
        return KINDS[self.kind][2]

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


def _lead_deadline(doc: IncomingDocument) -> date | None:
    lead = next((a for a in doc.assignments if a.parent_id is None and a.role == LEAD), None)
    return (lead.deadline if lead else None) or doc.due_date


def _progress(doc: IncomingDocument, today: date) -> str:
    if doc.state == COMPLETED:
        return f"Đã giải quyết ngày {format_date(to_local(doc.completed_at).date())}" if doc.completed_at \
            else "Đã giải quyết"
    if doc.state == RETURNED:
        return "Đã trả lại nơi gửi"
    if doc.state == REGISTERED:
        return "Chưa phân phối"
    if doc.state == DIRECTED:
        deadline = _lead_deadline(doc)
        if deadline and deadline < today:
            return f"Quá hạn {(today - deadline).days} ngày"
        return "Đang giải quyết"
    return ""


def _tracking_row(doc: IncomingDocument, today: date) -> tuple:
    parts = [doc.type_name or "Văn bản"]
    if doc.number_symbol:
        parts.append(f"số {doc.number_symbol}")
    if doc.issued_date:
        parts.append(f"ngày {format_date(doc.issued_date)}")
    parts.append(f"của {doc.issuer_name}")
    opinion = doc.direction_opinion or ""
    if opinion and doc.directed_by:
        opinion = f"{opinion} ({doc.directed_by.full_name})"
    notes = "; ".join(part for part in (doc.description, doc.return_reason if doc.state == RETURNED else "") if part)
    return (doc.arrival_number_text, " ".join(parts), _recipients(doc), opinion, _lead_deadline(doc),
            _progress(doc, today), notes)


def build_register(agency, book, date_from: date, date_to: date, kind: str = ARRIVALS) -> Register:
    """The registered documents of `book` that arrived in [date_from, date_to], in arrival-number order, as rows
    of the incoming register (`arrivals`) or of the resolution-tracking register (`tracking`)."""
    d = IncomingDocument
    docs = db.session.scalars(select(d).where(
        d.book_id == book.id, d.arrival_number.is_not(None), d.arrival_date >= date_from, d.arrival_date <= date_to
    ).order_by(d.arrival_year, d.arrival_number)).all()
    today = local_today()
    rows = [_tracking_row(doc, today) if kind == TRACKING else _row(doc) for doc in docs]
    return Register(agency_name=agency.name, book_name=book.name, date_from=date_from, date_to=date_to, rows=rows,
                    kind=kind)


def cell_text(value) -> str:
    """A register cell as printed: dates dd/mm/yyyy, everything else as text."""
    if isinstance(value, date):
        return format_date(value)
    return "" if value is None else str(value)


def render_register_xlsx(register: Register) -> bytes:
    """The register as an XLSX workbook: a title block, the column headers on row 5, one row per document; date
    cells are real dates shown dd/mm/yyyy."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Border, Font, Side

    wb = Workbook()
    ws = wb.active
    ws.title = KINDS[register.kind][3]
    ws["A1"] = register.agency_name.upper()
    ws["A2"] = register.title
    ws["A3"] = f"{register.book_name} · {register.period}"
    ws["A2"].font = Font(bold=True, size=14)
    thin = Side(style="thin")
    border = Border(left=thin, right=thin, top=thin, bottom=thin)
    for col, title in enumerate(register.columns, 1):
        cell = ws.cell(row=5, column=col, value=title)
        cell.font, cell.border = Font(bold=True), border
        cell.alignment = Alignment(wrap_text=True, horizontal="center", vertical="center")
    for r, row in enumerate(register.rows, 6):
        for col, value in enumerate(row, 1):
            cell = ws.cell(row=r, column=col, value=value)
            cell.border, cell.alignment = border, Alignment(wrap_text=True, vertical="top")
            if col - 1 in register.date_columns:
                cell.number_format = "dd/mm/yyyy"
    widths = (8, 48, 28, 40, 12, 24, 24) if register.kind == TRACKING else (11, 8, 28, 16, 11, 48, 28, 11, 10, 20)
    for letter, width in zip("ABCDEFGHIJ", widths):
        ws.column_dimensions[letter].width = width
    ws.freeze_panes = "A6"
    ws.print_options.gridLines = False
    ws.page_setup.orientation = "landscape"
    buf = BytesIO()
    wb.save(buf)
    return buf.getvalue()
