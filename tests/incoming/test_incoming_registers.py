"""The incoming register for a book and a period: the page, the PDF (text extracted with pdftotext, Vietnamese
included) and the XLSX (cells read back with openpyxl); dates dd/mm/yyyy."""

import io
import subprocess
from datetime import date

import pytest


@pytest.fixture
def registered(world):
    first = world.register(world.receive(subject="Về việc tuyển dụng công chức", code_number="12",
                                         code_notation="SNV-TCBC", issuer_name="Sở Nội vụ tỉnh Sóc Trăng",
                                         issued_date=date(2026, 10, 28), type_name="Công văn",
                                         arrival_date=date(2026, 11, 3), description="Bản chính"))
    world.direct(first, lead={"unit_id": world.unit("thanhtri", "NV").id})
    second = world.register(world.receive(subject="Về việc báo cáo kinh tế - xã hội", code_number="5",
                                          code_notation="UBND-VP", arrival_date=date(2026, 11, 10)))
    # Outside the period, and a secret one in its own book: neither is in the November register of the book.
    world.register(world.receive(code_number="8", subject="Ngoài kỳ", arrival_date=date(2026, 12, 1)))
    world.register(world.receive(code_number="9", subject="Mật", secrecy=1, arrival_date=date(2026, 11, 5)))
    return first, second


def _url(world, fmt=""):
    book = world.book("thanhtri").id
    return f"/incoming/register?book_id={book}&date_from=2026-11-01&date_to=2026-11-30" + (f"&format={fmt}" if fmt else "")


def test_register_page_lists_the_period_in_arrival_order(client, login, world, registered):
    login("thanhtri-clerk")
    page = client.get(_url(world)).get_data(as_text=True)
    table = page[page.index('data-testid="register"'):]
    for heading in ("Ngày đến", "Số đến", "Tác giả", "Số, ký hiệu", "Tên loại và trích yếu", "Đơn vị hoặc người nhận",
                    "Ký nhận"):
        assert heading in table
    assert table.index("Về việc tuyển dụng công chức") < table.index("Về việc báo cáo kinh tế - xã hội")
    assert "03/11/2026" in table and "28/10/2026" in table and "Phòng Nội vụ" in table
    assert "Ngoài kỳ" not in table and "Mật" not in table.replace("Mật khẩu", "")
    login("thanhtri-specialist")
    assert client.get(_url(world)).status_code == 403


def test_register_xlsx_cells(client, login, world, registered):
    from openpyxl import load_workbook

    login("thanhtri-clerk")
    response = client.get(_url(world, "xlsx"))
    assert response.status_code == 200 and "spreadsheetml" in response.mimetype
    ws = load_workbook(io.BytesIO(response.data)).active
    assert ws["A2"].value == "SỔ ĐĂNG KÝ VĂN BẢN ĐẾN"
    assert [c.value for c in ws[5]] == ["Ngày đến", "Số đến", "Tác giả", "Số, ký hiệu", "Ngày tháng",
                                        "Tên loại và trích yếu", "Đơn vị hoặc người nhận", "Ngày chuyển", "Ký nhận",
                                        "Ghi chú"]
    row = [c.value for c in ws[6]]
    assert row[0].date() == date(2026, 11, 3) and ws["A6"].number_format == "dd/mm/yyyy"
    assert row[1:4] == ["01", "Sở Nội vụ tỉnh Sóc Trăng", "12/SNV-TCBC"]
    assert row[5] == "Công văn: Về việc tuyển dụng công chức" and row[6] == "Phòng Nội vụ" and row[9] == "Bản chính"
    assert ws["B7"].value == "02" and ws.max_row == 7


def test_register_pdf_text_is_vietnamese(client, login, world, registered, tmp_path):
    login("thanhtri-clerk")
    response = client.get(_url(world, "pdf"))
    assert response.status_code == 200 and response.data.startswith(b"%PDF-")
    path = tmp_path / "so-den.pdf"
    path.write_bytes(response.data)
    text = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True).stdout
    for expected in ("ỦY BAN NHÂN DÂN HUYỆN THẠNH TRỊ", "SỔ ĐĂNG KÝ VĂN BẢN ĐẾN", "Từ ngày 01/11/2026 đến ngày 30/11/2026",
                     "Ngày đến", "Tên loại và trích yếu", "Sở Nội vụ tỉnh Sóc", "12/SNV-TCBC", "03/11/2026",
                     "tuyển dụng công chức", "Phòng Nội vụ"):
        assert expected in text, expected
    assert "Ngoài kỳ" not in text


def test_register_through_the_api(client, api_token, world, registered):
    headers = api_token("thanhtri-clerk")
    book = world.book("thanhtri").id
    body = client.get(f"/api/v1/incoming/register?book_id={book}&from=2026-11-01&to=2026-11-30", headers=headers).get_json()
    assert [r[1] for r in body["rows"]] == ["01", "02"] and body["rows"][0][0] == "03/11/2026"
    bad = client.get(f"/api/v1/incoming/register?book_id={book}&from=2026-11-30&to=2026-11-01", headers=headers)
    assert bad.status_code == 422 and bad.get_json()["error"]["code"] == "validation_failed"
    pdf = client.get(f"/api/v1/incoming/register?book_id={book}&from=2026-11-01&to=2026-11-30&format=pdf",
                     headers=headers)
    assert pdf.data.startswith(b"%PDF-")


TRACKING = ["Số đến", "Tên loại, số, ký hiệu, ngày, tháng và tên cơ quan ban hành", "Đơn vị hoặc người nhận",
            "Ý kiến phân phối, chỉ đạo", "Thời hạn giải quyết", "Tiến độ giải quyết", "Ghi chú"]


def test_resolution_tracking_register_page_xlsx_pdf_and_api(client, login, api_token, world, registered, tmp_path):
    from openpyxl import load_workbook

    from eoffice.incoming import services

    first, second = registered
    first.assignments[0].deadline = date(2026, 11, 20)
    services.complete_assignment(first.assignments[0], actor=world.user("thanhtri-specialist"))
    world.db.commit()
    login("thanhtri-clerk")
    page = client.get(_url(world) + "&kind=tracking").get_data(as_text=True)
    table = page[page.index('data-testid="register"'):]
    assert 'data-kind="tracking"' in table
    for heading in TRACKING:
        assert heading in table, heading
    assert "Công văn số 12/SNV-TCBC ngày 28/10/2026 của Sở Nội vụ tỉnh Sóc Trăng" in table
    assert "Giao xử lý (Trần Văn Đức)" in table and "Đã giải quyết ngày" in table and "Chưa phân phối" in table
    assert "Ngoài kỳ" not in table

    response = client.get(_url(world, "xlsx") + "&kind=tracking")
    assert response.status_code == 200 and "spreadsheetml" in response.mimetype
    ws = load_workbook(io.BytesIO(response.data)).active
    assert ws["A2"].value == "SỔ THEO DÕI GIẢI QUYẾT VĂN BẢN ĐẾN"
    assert [c.value for c in ws[5]] == TRACKING
    row = [c.value for c in ws[6]]
    assert row[0] == "01" and row[2] == "Phòng Nội vụ" and row[3] == "Giao xử lý (Trần Văn Đức)"
    assert row[4].date() == date(2026, 11, 20) and ws["E6"].number_format == "dd/mm/yyyy"
    assert row[5].startswith("Đã giải quyết ngày") and row[6] == "Bản chính"
    assert [c.value for c in ws[7]][:1] == ["02"] and ws["F7"].value == "Chưa phân phối" and ws.max_row == 7

    pdf = client.get(_url(world, "pdf") + "&kind=tracking")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF-")
    path = tmp_path / "theo-doi.pdf"
    path.write_bytes(pdf.data)
    text = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True,
                          check=True).stdout
    assert "SỔ THEO DÕI GIẢI QUYẾT VĂN BẢN ĐẾN" in text and "Tiến độ giải quyết" in text

    api = client.get(f"/api/v1/incoming/register?book_id={world.book('thanhtri').id}&from=2026-11-01&to=2026-11-30"
                     "&kind=tracking", headers=api_token("thanhtri-clerk")).get_json()
    assert api["kind"] == "tracking" and api["columns"] == TRACKING and [r[0] for r in api["rows"]] == ["01", "02"]
