"""The incoming register as a printable PDF (A4 landscape, ten ruled columns), set in Liberation Serif so that
Vietnamese prints in every viewer, through pyHanko's PDF writer as `signing.report` does.

Each column of a page is one text box whose lines are padded so that every row starts on the same line in all
columns: ten boxes per page instead of one per cell, so a page embeds ten small font subsets, not hundreds.
"""

from __future__ import annotations

import textwrap
from io import BytesIO

from pyhanko.pdf_utils import generic, layout
from pyhanko.pdf_utils.content import PdfResources
from pyhanko.pdf_utils.generic import pdf_name
from pyhanko.pdf_utils.text import TextBox, TextBoxStyle
from pyhanko.pdf_utils.writer import PdfFileWriter

from eoffice.incoming.registers import COLUMNS, Register, cell_text
from eoffice.signing.fonts import serif_factory

PAGE_W, PAGE_H = 842, 595  # A4 landscape, points
MARGIN = 28
WIDTHS = (52, 40, 110, 80, 56, 200, 110, 56, 40, 42)  # sums to PAGE_W - 2 * MARGIN
TRACKING_WIDTHS = (40, 190, 120, 170, 60, 110, 96)  # the resolution-tracking register, same total
SIZE, LEADING = 9, 11
PAD = 3
#: Average advance of Liberation Serif at 1 pt, generous so that wrapped lines stay inside their cell.
CHAR_EM = 0.5


def _wrap(text: str, width: int) -> list[str]:
    chars = max(3, int((width - 2 * PAD) / (SIZE * CHAR_EM)))
    lines = []
    for paragraph in (text or "").split("\n"):
        lines += textwrap.wrap(paragraph, chars, break_long_words=True) or [""]
    return lines


def _cells(row, widths=WIDTHS) -> list[list[str]]:
    return [_wrap(cell_text(value), width) for value, width in zip(row, widths)]


def render_register_pdf(register: Register) -> bytes:
    """The register as PDF bytes: a title on the first page, the column headers on every page."""
    widths = WIDTHS if register.columns == COLUMNS else TRACKING_WIDTHS
    header = _cells(register.columns, widths)
    rows = [_cells(row, widths) for row in register.rows]
    writer = PdfFileWriter()
    title = [register.agency_name.upper(), register.title, f"{register.book_name} · {register.period}"]
    page_rows: list[list[list[str]]] = []
    top = PAGE_H - MARGIN - 3 * 16
    available, current = top - MARGIN - _height(header), []
    for cells in rows:
        need = _height(cells)
        if current and need > available:
            page_rows.append(current)
            current, available = [], PAGE_H - 2 * MARGIN - _height(header)
        current.append(cells)
        available -= need
    page_rows.append(current)
    for n, chunk in enumerate(page_rows):
        _add_page(writer, header, chunk, title if n == 0 else None, n + 1, len(page_rows), widths)
    buf = BytesIO()
    writer.write(buf)
    return buf.getvalue()


def _lines(cells: list[list[str]]) -> int:
    """Lines a row takes: its tallest cell plus one, which is the padding above and below the text."""
    return max(len(c) for c in cells) + 1


def _height(cells: list[list[str]]) -> int:
    return _lines(cells) * LEADING


def _box(writer, resources, lines: list[str], width: int, name: str, *, bold=False, size=SIZE, center=False):
    style = TextBoxStyle(font=serif_factory(bold), font_size=size, leading=LEADING if size == SIZE else size + 4,
                         box_layout_rule=layout.SimpleBoxLayoutRule(
                             x_align=layout.AxisAlignment.ALIGN_MID if center else layout.AxisAlignment.ALIGN_MIN,
                             y_align=layout.AxisAlignment.ALIGN_MAX, margins=layout.Margins.uniform(0)))
    height = len(lines) * style.leading + 2
    box = TextBox(style, writer, resources=resources, box=layout.BoxConstraints(width=width, height=height),
                  font_name=name)
    box.content = "\n".join(lines)
    return box, height


def _add_page(writer, header, rows, title, page_no: int, pages: int, widths=WIDTHS) -> None:
    resources = PdfResources()
    ops: list[bytes] = []
    y = PAGE_H - MARGIN
    if title:
        for i, line in enumerate(title):
            box, h = _box(writer, resources, [line], PAGE_W - 2 * MARGIN, f"T{i}", bold=i < 2,
                          size=13 if i == 1 else 10, center=True)
            y -= 16
            ops.append(b"q 1 0 0 1 %d %d cm " % (MARGIN, y) + box.render() + b" Q")
    table = [header] + rows
    heights = [_height(cells) for cells in table]
    # Per column: the lines of every cell, padded to the row's height, so rows align across columns.
    x = MARGIN
    for col, width in enumerate(widths):
        lines: list[str] = []
        for cells in table[1:]:
            # Every row takes the same number of lines in every column, so the rows line up with the rules.
            lines += cells[col] + [""] * (_lines(cells) - len(cells[col]))
        head, hh = _box(writer, resources, header[col], width - 2 * PAD, f"H{col}", bold=True, center=True)
        ops.append(b"q 1 0 0 1 %d %d cm " % (x + PAD, y - PAD - hh) + head.render() + b" Q")
        # A box without a single glyph would make an empty font subset, which pyHanko cannot write.
        if any(line.strip() for line in lines):
            body, bh = _box(writer, resources, lines, width - 2 * PAD, f"C{col}")
            ops.append(b"q 1 0 0 1 %d %d cm " % (x + PAD, y - heights[0] - PAD - bh) + body.render() + b" Q")
        x += width
    # The rules: one line under every row, one between every column.
    bottom = y - sum(heights)
    rule = [b"0.5 w"]
    edge = y
    rule.append(b"%d %d m %d %d l S" % (MARGIN, edge, PAGE_W - MARGIN, edge))
    for h in heights:
        edge -= h
        rule.append(b"%d %d m %d %d l S" % (MARGIN, edge, PAGE_W - MARGIN, edge))
    x = MARGIN
    for width in (0, *widths):
        x += width
        rule.append(b"%d %d m %d %d l S" % (x, y, x, bottom))
    footer, fh = _box(writer, resources, [f"Trang {page_no}/{pages}"], 120, "P")
    ops.append(b"q 1 0 0 1 %d %d cm " % (PAGE_W - MARGIN - 60, MARGIN - 16) + footer.render() + b" Q")
    ops.append(b"\n".join(rule))
    stream = generic.StreamObject(stream_data=b"\n".join(ops))
    page = generic.DictionaryObject({
        pdf_name("/Type"): pdf_name("/Page"),
        pdf_name("/MediaBox"): generic.ArrayObject(map(generic.NumberObject, (0, 0, PAGE_W, PAGE_H))),
        pdf_name("/Resources"): resources.as_pdf_object(),
        pdf_name("/Contents"): writer.add_object(stream),
    })
    writer.insert_page(page)
