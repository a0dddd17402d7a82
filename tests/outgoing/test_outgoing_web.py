"""The flow through the pages (test client), the signature panel, the navigation per role, the register as a
page, PDF and XLSX, and the rendered first page of an issued document (acceptance (d): looked at by hand)."""

from __future__ import annotations

import io
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from support import PASSWORD

from .helpers import UNIT_HEAD, doc_type, out_book, unit, user


def _login(client, username):
    client.post("/logout")
    assert client.post("/login", data={"username": username, "password": PASSWORD}).status_code == 302


def test_the_flow_through_the_pages(client, demo_pki, db_session, sample_pdf, appendix_pdf):
    thanhtri = demo_pki["thanhtri"]
    _login(client, "thanhtri-specialist")
    assert "Soạn dự thảo mới" in client.get("/outgoing/").get_data(as_text=True)
    created = client.post("/outgoing/new", content_type="multipart/form-data", data={
        "document_type_id": doc_type(db_session, "QD").id, "subject": "Về việc ban hành Quy chế văn thư",
        "signer_id": user(db_session, "thanhtri-leader").id, "drafting_unit_id": unit(db_session, thanhtri, "NV").id,
        "unit_ids": [unit(db_session, thanhtri, "TCKH").id], "mode": "electronic", "priority": 1,
        "secrecy": "", "issued_amount": 2, "page_amount": 1, "language": "vi", "places": "Lưu: VT, NV.",
        "main_file": (io.BytesIO(sample_pdf), "du-thao.pdf"), "appendices": [(io.BytesIO(appendix_pdf), "pl1.pdf")]})
    assert created.status_code == 303, created.get_data(as_text=True)[:500]
    doc_url = created.headers["Location"]
    doc_id = int(doc_url.rstrip("/").rsplit("/", 1)[1])
    assert client.post(f"/outgoing/{doc_id}/submit").status_code == 303
    assert "Dự thảo đã được trình duyệt." in client.get(doc_url).get_data(as_text=True)

    _login(client, "thanhtri-leader")
    client.post(f"/outgoing/{doc_id}/review", data={"decision": "approve"})
    assert "Chưa đến lượt bạn duyệt văn bản này." in client.get(doc_url).get_data(as_text=True)

    _login(client, UNIT_HEAD)
    assert f"/outgoing/{doc_id}" in client.get("/outgoing/?box=to_review").get_data(as_text=True)
    client.post(f"/outgoing/{doc_id}/review", data={"decision": "approve", "comment": "Đồng ý."})

    _login(client, "thanhtri-leader")
    assert f"/outgoing/{doc_id}" in client.get("/outgoing/?box=to_sign").get_data(as_text=True)
    client.post(f"/outgoing/{doc_id}/sign", data={"pin": "0000"})
    assert "Sai mã PIN" in client.get(doc_url).get_data(as_text=True)
    client.post(f"/outgoing/{doc_id}/sign", data={"pin": PASSWORD})

    _login(client, "thanhtri-clerk")
    assert f"/outgoing/{doc_id}" in client.get("/outgoing/?box=to_issue").get_data(as_text=True)
    client.post(f"/outgoing/{doc_id}/issue", data={"book_id": out_book(db_session, thanhtri).id, "pin": PASSWORD})
    page = client.get(doc_url).get_data(as_text=True)
    assert "01/QĐ-UBND" in page and "Văn bản đã được ban hành." in page
    assert 'data-signature="ChuKyLanhDao"' in page and 'data-signature="ChuKyCoQuan"' in page
    assert "Tất cả chữ ký số đều hợp lệ" in page and "Trần Văn Đức" in page
    register = client.get("/outgoing/register").get_data(as_text=True)
    assert "Sổ đăng ký văn bản đi" in register and "01/QĐ-UBND" in register and "Quyết định: Về việc ban hành" in register

    client.post(f"/outgoing/{doc_id}/status", data={"action": "recall", "reason": "Sai căn cứ."})
    page = client.get(doc_url).get_data(as_text=True)
    assert "Đã thu hồi" in page and "Sai căn cứ." in page


@pytest.mark.parametrize("username, present, absent", [
    ("thanhtri-specialist", ["Dự thảo của tôi"], ["Chờ ký", "Chờ ban hành", "Sổ đăng ký văn bản đi"]),
    ("thanhtri-leader", ["Chờ duyệt", "Chờ ký"], ["Chờ ban hành"]),
    ("thanhtri-clerk", ["Chờ ban hành", "Sổ đăng ký văn bản đi"], ["Chờ ký"]),
])
def test_navigation_per_role(client, demo, username, present, absent):
    _login(client, username)
    nav = client.get("/").get_data(as_text=True).split('data-testid="role-nav"')[1].split("</ul>\n      <span")[0]
    for text in present:
        assert text in nav, (username, text)
    for text in absent:
        assert text not in nav, (username, text)


def test_register_as_pdf_and_xlsx(client, flow, demo_pki, tmp_path):
    thanhtri = demo_pki["thanhtri"]
    flow.issue(flow.to_signed(), thanhtri)
    flow.issue(flow.to_signed(code="CV", subject="Về việc báo cáo tình hình"), thanhtri)
    clerk = flow.headers("thanhtri-clerk")
    rows = client.get("/api/v1/outgoing/register", headers=clerk).get_json()
    assert len(rows["columns"]) == 10 and [r["cells"][0] for r in rows["rows"]] == ["01/QĐ-UBND", "02/UBND-NV"]
    assert rows["rows"][0]["cells"][3] == "Trần Văn Đức" and rows["rows"][0]["cells"][6] == "3"
    xlsx = client.get("/api/v1/outgoing/register?format=xlsx", headers=clerk)
    sheet = load_workbook(io.BytesIO(xlsx.data)).active
    assert sheet["A2"].value == "Số, ký hiệu văn bản" and sheet["J2"].value == "Ghi chú"
    assert sheet["A4"].value == "02/UBND-NV" and "Công văn" in sheet["C4"].value
    pdf = client.get("/api/v1/outgoing/register?format=pdf", headers=clerk)
    assert pdf.data.startswith(b"%PDF")
    assert client.get("/api/v1/outgoing/register", headers=flow.headers("thanhtri-specialist")).status_code == 403
    if shutil.which("pdftotext"):
        path = tmp_path / "register.pdf"
        path.write_bytes(pdf.data)
        text = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True).stdout
        assert "SỔ ĐĂNG KÝ VĂN BẢN ĐI" in text and "02/UBND-NV" in text and "Trần Văn Đức" in text
    _render(pdf.data, tmp_path, "register")


def _render(pdf: bytes, tmp_path: Path, name: str) -> Path | None:
    """First page as PNG (150 dpi) for a person to look at: in $OUTGOING_RENDER_DIR when set, else tmp_path."""
    if not shutil.which("pdftoppm"):
        return None
    target = Path(os.environ.get("OUTGOING_RENDER_DIR") or tmp_path)
    target.mkdir(parents=True, exist_ok=True)
    source = tmp_path / f"{name}.pdf"
    source.write_bytes(pdf)
    subprocess.run(["pdftoppm", "-png", "-r", "150", "-f", "1", "-l", "1", "-singlefile", str(source),
                    str(target / name)], check=True, timeout=60)
    return target / f"{name}.png"


def test_issued_first_page_renders_number_date_signature_and_seal(client, flow, demo_pki, tmp_path):
    """Acceptance (d): the PNG is looked at by hand; here its pixels show red (seal) over blue (signature)."""
    from PIL import Image

    doc_id = flow.to_signed()
    flow.issue(doc_id, demo_pki["thanhtri"])
    pdf = client.get(f"/api/v1/outgoing/{doc_id}/file", headers=flow.headers("thanhtri-clerk")).data
    png = _render(pdf, tmp_path, "issued-first-page")
    if png is None:
        pytest.skip("pdftoppm is not installed")
    image = Image.open(png).convert("RGB")
    pixels = image.load()
    width, height = image.size
    red = sum(1 for x in range(0, width, 3) for y in range(height // 2, height, 3)
              if pixels[x, y][0] > 150 and pixels[x, y][1] < 90 and pixels[x, y][2] < 90)
    blue = sum(1 for x in range(0, width, 3) for y in range(height // 2, height, 3)
               if pixels[x, y][2] > 120 and pixels[x, y][0] < 90)
    assert red > 100 and blue > 50, (red, blue)
    if shutil.which("pdftotext"):
        source = tmp_path / "issued.pdf"
        source.write_bytes(pdf)
        text = subprocess.run(["pdftotext", "-f", "1", "-l", "1", str(source), "-"], capture_output=True,
                              text=True).stdout
        assert "Số: 01/QĐ-UBND" in text and re.search(r"Thạnh Trị, ngày \d\d tháng \d+ năm \d{4}", text), text


def test_settings_page_configures_steps_and_partners(client, demo, db_session):
    from eoffice.exchange.models import ExchangePartner
    from eoffice.outgoing.models import ApprovalStepDefinition

    _login(client, "thanhtri-admin")
    assert "Đang áp dụng quy trình mặc định." in client.get("/outgoing/settings").get_data(as_text=True)
    added = client.post("/outgoing/settings", data={"step-document_type_id": 0, "step-position": 1,
                                                     "step-kind": "format_check", "step-required_approvals": 1})
    assert added.status_code == 303
    step = db_session.scalar(select(ApprovalStepDefinition))
    assert step.kind == "format_check" and step.document_type_id is None
    _login(client, "thanhtri-clerk")
    assert client.post("/outgoing/settings", data={"step-position": 1, "step-kind": "signer",
                                                   "step-required_approvals": 1}).status_code == 403
    client.post("/outgoing/settings", data={"partner-name": "Sở Tài chính", "partner-organ_id": "000.03.00.H55"})
    assert db_session.scalar(select(ExchangePartner.name).where(ExchangePartner.organ_id == "000.03.00.H55")) \
        == "Sở Tài chính"
    assert client.post(f"/outgoing/settings/steps/{step.id}/delete").status_code == 403
    _login(client, "thanhtri-specialist")
    assert client.get("/outgoing/settings").status_code == 403
