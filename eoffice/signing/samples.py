"""Sample A4 documents for the demo, the tests and the benchmark.

The pages imitate the Decree-30 layout (issuer top left, national title top right, subject, body, signature
block bottom right) closely enough that the default positions of :mod:`eoffice.signing.layout` fall in the
right places; the text is real Vietnamese so that the font embedding is exercised.
"""

from __future__ import annotations

from io import BytesIO

from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.content import PdfResources, RawContent
from pyhanko.pdf_utils.text import TextBox, TextBoxStyle
from pyhanko.pdf_utils.writer import PageObject, PdfFileWriter

from .fonts import serif_factory

A4 = (595.28, 841.89)

__all__ = ["A4", "make_sample_pdf"]

_HEADER_LEFT = "UBND HUYỆN THẠNH TRỊ\nVĂN PHÒNG"
_HEADER_RIGHT = "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM\nĐộc lập - Tự do - Hạnh phúc"
_BODY = (
    "Căn cứ Nghị định số 30/2020/NĐ-CP ngày 05 tháng 3 năm 2020 của Chính phủ về công tác văn thư;\n"
    "Xét đề nghị của Chánh Văn phòng,\n\n"
    "Điều 1. Ban hành kèm theo Quyết định này Quy chế quản lý văn bản điện tử.\n"
    "Điều 2. Quyết định có hiệu lực kể từ ngày ký.\n"
    "Điều 3. Chánh Văn phòng, Thủ trưởng các cơ quan, đơn vị có liên quan chịu trách nhiệm thi hành."
)


def _text(writer: PdfFileWriter, text: str, size: int, x: float, y: float, name: str, bold=False):
    box = TextBox(TextBoxStyle(font=serif_factory(bold=bold), font_size=size), writer=writer, font_name=name)
    box.content = text
    # TextBox draws downwards from the top of its box; place that top at y.
    ops = box.render()  # fixes the box's natural size
    return b"q 1 0 0 1 %g %g cm %s Q" % (x, y - box.box.height, ops), box.resources


def make_sample_pdf(pages: int = 1, title: str = "QUYẾT ĐỊNH\nVề việc ban hành Quy chế quản lý văn bản") -> bytes:
    """Return an A4 PDF of ``pages`` pages (first page: a decision with a signature block; others: body text)."""
    writer = PdfFileWriter()
    pieces = [
        (_HEADER_LEFT, 13, 75, 785, True),
        # 12 pt so that the motto ends inside the 15–20 mm right margin, where the field boxes expect it
        (_HEADER_RIGHT, 12, 295, 785, True),
        (title, 14, 170, 680, True),
        (_BODY, 12, 85, 610, False),
        ("Nơi nhận:\n- Như Điều 3;\n- Lưu: VT.", 11, 75, 280, False),
    ]
    first_streams, first_resources = [], PdfResources()
    for i, (text, size, x, y, bold) in enumerate(pieces):
        ops, resources = _text(writer, text, size, x, y, f"F{i}", bold)
        first_streams.append(ops)
        first_resources += resources
    body_ops, body_resources = _text(writer, _BODY, 12, 85, 780, "FB", False)
    for page_no in range(pages):
        if page_no == 0:
            data, resources = b"\n".join(first_streams), first_resources
        else:
            data, resources = body_ops, body_resources
        content = RawContent(data=data)
        page = writer.add_object(generic.StreamObject(stream_data=content.render()))
        writer.insert_page(PageObject(contents=page, media_box=(0, 0, *A4),
                                      resources=resources.as_pdf_object()))
    out = BytesIO()
    writer.write(out)
    return out.getvalue()
