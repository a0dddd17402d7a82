"""A readable, downloadable PDF of a VerificationReport, labelled in Vietnamese first and English second.

Text is set in Liberation Serif from ``eoffice/signing/fonts`` (embedded as a subset), so Vietnamese diacritics
render in every viewer. The report states what was checked; it is not itself signed.
"""
from __future__ import annotations

import hashlib
import textwrap
from datetime import datetime, timezone
from io import BytesIO

from pyhanko.pdf_utils import generic, layout
from pyhanko.pdf_utils.content import PdfResources
from pyhanko.pdf_utils.generic import pdf_name
from pyhanko.pdf_utils.text import TextBox, TextBoxStyle
from pyhanko.pdf_utils.writer import PdfFileWriter

from eoffice.signing.fonts import serif_factory
from eoffice.signing.verify.model import SignatureReport, VerificationReport

PAGE_W, PAGE_H = 595, 842  # A4 in points
MARGIN = 56
WRAP = 92  # characters per line at 10 pt in the text width; generous for Liberation Serif

INDICATION_VI = {
    'TOTAL-PASSED': 'HỢP LỆ / TOTAL-PASSED',
    'INDETERMINATE': 'CHƯA XÁC ĐỊNH / INDETERMINATE',
    'TOTAL-FAILED': 'KHÔNG HỢP LỆ / TOTAL-FAILED',
}
REVOCATION_VI = {'good': 'còn hiệu lực / good', 'revoked': 'đã bị thu hồi / revoked',
                 'unknown': 'chưa xác nhận được / not confirmed'}
SOURCE_VI = {'embedded_ocsp': 'OCSP trong tệp / embedded OCSP', 'embedded_crl': 'CRL trong tệp / embedded CRL',
             'online_ocsp': 'OCSP trực tuyến / online OCSP', 'online_crl': 'CRL trực tuyến / online CRL'}
YES_NO = {True: 'Có / Yes', False: 'Không / No', None: '—'}


def _when(value: datetime | None) -> str:
    return value.isoformat() if value is not None else '—'


def _signature_rows(sig: SignatureReport) -> list[tuple[str, str]]:
    return [
        ('Kết luận / Indication', INDICATION_VI.get(sig.indication, sig.indication)
         + (f' ({sig.sub_indication})' if sig.sub_indication else '')),
        ('Người ký / Signer', ', '.join(x for x in (sig.signer, sig.signer_organization) if x) or '—'),
        ('Tổ chức cấp chứng thư / Issuing CA', sig.issuer or '—'),
        ('Số hiệu chứng thư / Serial', sig.serial or '—'),
        ('Thời điểm ký (khai báo) / Claimed signing time', _when(sig.signing_time)),
        ('Dấu thời gian / Timestamp time', _when(sig.timestamp_time)),
        ('Toàn vẹn / Intact', YES_NO[sig.intact]),
        ('Chữ ký đúng về mật mã / Cryptographically valid', YES_NO[sig.crypto_valid]),
        ('Tin cậy / Trusted', YES_NO[sig.trusted]),
        ('Tình trạng thu hồi / Revocation', REVOCATION_VI.get(sig.revocation, sig.revocation)
         + (f' ({SOURCE_VI.get(sig.revocation_source, sig.revocation_source)})' if sig.revocation_source else '')),
        ('Phạm vi ký / Coverage', sig.coverage or '—'),
        ('Mức thay đổi sau khi ký / Modification level', sig.modification_level or '—'),
        ('Trường biểu mẫu thay đổi / Changed fields', ', '.join(sig.changed_fields) or '—'),
        ('Mức PAdES / PAdES level', sig.level or '—'),
        ('Phiên bản được ký / Signed revision',
         f'{sig.revision} / {sig.total_revisions}' if sig.revision else '—'),
        ('Ghi chú', '; '.join(sig.reasons_vi) or '—'),
        ('Notes', '; '.join(sig.reasons) or '—'),
    ]


def _lines_for(report: VerificationReport, file_name: str | None, data: bytes | None) -> list[tuple[str, str]]:
    """(style, text) lines: style is 'title', 'head' or 'body'."""
    out: list[tuple[str, str]] = [
        ('title', 'BÁO CÁO KIỂM TRA CHỮ KÝ SỐ'),
        ('head', 'Digital signature verification report'),
        ('body', ''),
    ]
    verdict = 'HỢP LỆ / VALID' if report.valid else 'KHÔNG HỢP LỆ HOẶC CHƯA XÁC ĐỊNH / NOT VALID'
    rows = [
        ('Tệp / File', file_name or '—'),
        ('Mã băm SHA-256 / SHA-256', hashlib.sha256(data).hexdigest() if data is not None else '—'),
        ('Thời điểm kiểm tra / Checked at', datetime.now(timezone.utc).isoformat(timespec='seconds')),
        ('Có chữ ký / Signed', YES_NO[report.signed]),
        ('Kết quả chung / Overall result', verdict),
    ]
    if report.error_code:
        rows.append(('Lỗi / Error', f'{report.error_code}: {report.error_message}'))
    out += _rows(rows)
    for n, sig in enumerate(report.signatures, 1):
        kind = 'Dấu thời gian tài liệu / Document timestamp' if sig.kind == 'document_timestamp' \
            else 'Chữ ký / Signature'
        out += [('body', ''), ('head', f'{kind} {n}: {sig.field}')]
        out += _rows(_signature_rows(sig))
    return out


def _rows(rows) -> list[tuple[str, str]]:
    lines = []
    for label, value in rows:
        wrapped = textwrap.wrap(f'{label}: {value}', WRAP, subsequent_indent='    ') or ['']
        lines += [('body', w) for w in wrapped]
    return lines


STYLES = {'title': (16, True), 'head': (12, True), 'body': (10, False)}


def render_report_pdf(report: VerificationReport, *, file_name: str | None = None,
                      data: bytes | None = None) -> bytes:
    """The report as PDF bytes: a summary, then one section per signature, on as many A4 pages as needed."""
    writer = PdfFileWriter()
    pages: list[list[tuple[str, str]]] = [[]]
    y = PAGE_H - MARGIN
    for style, text in _lines_for(report, file_name, data):
        size = STYLES[style][0]
        if y - size * 1.3 < MARGIN:
            pages.append([])
            y = PAGE_H - MARGIN
        pages[-1].append((style, text))
        y -= size * 1.3
    for page_lines in pages:
        _add_page(writer, page_lines)
    buf = BytesIO()
    writer.write(buf)
    return buf.getvalue()


def _add_page(writer: PdfFileWriter, lines: list[tuple[str, str]]) -> None:
    resources = PdfResources()
    ops: list[bytes] = []
    y = PAGE_H - MARGIN
    # Consecutive lines of one style go into one text box, so each page embeds few font subsets.
    blocks: list[tuple[str, list[str]]] = []
    for style, text in lines:
        if blocks and blocks[-1][0] == style:
            blocks[-1][1].append(text)
        else:
            blocks.append((style, [text]))
    for n, (style, texts) in enumerate(blocks):
        size, bold = STYLES[style]
        height = int(len(texts) * size * 1.3) + 2
        box_style = TextBoxStyle(
            font=serif_factory(bold), font_size=size, leading=int(size * 1.3),
            box_layout_rule=layout.SimpleBoxLayoutRule(
                x_align=layout.AxisAlignment.ALIGN_MIN, y_align=layout.AxisAlignment.ALIGN_MAX,
                margins=layout.Margins.uniform(0)),
        )
        box = TextBox(box_style, writer, resources=resources,
                      box=layout.BoxConstraints(width=PAGE_W - 2 * MARGIN, height=height), font_name=f'F{n}')
        box.content = '\n'.join(texts)
        y -= height
        ops.append(b'q 1 0 0 1 %d %d cm ' % (MARGIN, y) + box.render() + b' Q')
    stream = generic.StreamObject(stream_data=b'\n'.join(ops))
    page = generic.DictionaryObject({
        pdf_name('/Type'): pdf_name('/Page'),
        pdf_name('/MediaBox'): generic.ArrayObject(map(generic.NumberObject, (0, 0, PAGE_W, PAGE_H))),
        pdf_name('/Resources'): resources.as_pdf_object(),
        pdf_name('/Contents'): writer.add_object(stream),
    })
    writer.insert_page(page)
