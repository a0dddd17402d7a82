"""Acceptance (b): an outgoing document through the pages, in a real browser with CSRF on: the specialist drafts
and submits, the head of the drafting unit approves, the leader signs with the PIN, the clerk numbers and seals it,
and the document page shows the number, the delivery to the unit and both signatures valid."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from eoffice.signing.samples import make_sample_pdf

from .conftest import PASSWORD

pytestmark = pytest.mark.e2e
UNIT_HEAD = "thanhtri-e2e-head"


@pytest.fixture(scope="module")
def outgoing_setup(live_app, run_in_app):
    """The demo PKI (keys with PIN = PASSWORD, signature and seal images) and a head of Phòng Nội vụ."""
    from sqlalchemy import select

    from eoffice.accounts.models import Agency, Unit, User
    from eoffice.accounts.services import create_user
    from eoffice.extensions import db
    from eoffice.signing.demo import set_up_demo_pki

    live_app.config["DEMO_MODE"] = True

    def _setup():
        agencies = db.session.scalars(select(Agency).where(Agency.slug.in_(["thanhtri", "sonoivu"]))).all()
        set_up_demo_pki(list(agencies), PASSWORD)
        thanhtri = next(a for a in agencies if a.slug == "thanhtri")
        if db.session.scalar(select(User.id).where(User.username == UNIT_HEAD)) is None:
            nv = db.session.scalar(select(Unit).where(Unit.agency_id == thanhtri.id, Unit.abbreviation == "NV"))
            create_user(thanhtri, username=UNIT_HEAD, password=PASSWORD, full_name="Võ Thị Mai",
                        position="Trưởng phòng Nội vụ", unit_id=nv.id, roles=["leader"])

    run_in_app(_setup)


def _open_from_nav(page, item: str):
    page.get_by_test_id("role-nav").get_by_role("button", name="Văn bản đi").or_(
        page.get_by_test_id("role-nav").get_by_role("link", name="Văn bản đi")).first.click()
    page.get_by_role("link", name=item).click()


def test_outgoing_document_through_the_pages(new_page, login_as, outgoing_setup, tmp_path, screenshot_dir):
    subject = "Về việc ban hành Quy chế văn thư (E2E)"
    draft_pdf = tmp_path / "du-thao.pdf"
    draft_pdf.write_bytes(make_sample_pdf(1))

    specialist = new_page()
    login_as(specialist, "thanhtri-specialist")
    _open_from_nav(specialist, "Soạn dự thảo mới")
    specialist.locator("select[name=document_type_id]").select_option(label="Quyết định")
    specialist.locator("textarea[name=subject]").fill(subject)
    specialist.locator("select[name=signer_id]").select_option(label="Trần Văn Đức — Chủ tịch")
    specialist.locator("select[name=unit_ids]").select_option(label="Phòng Tài chính - Kế hoạch")
    specialist.locator("select[name=mode]").select_option("electronic")
    specialist.locator("input[name=main_file]").set_input_files(str(draft_pdf))
    specialist.screenshot(path=str(screenshot_dir / "outgoing-draft-form.png"), full_page=True)
    specialist.get_by_role("button", name="Lưu").click()
    expect(specialist.locator("h1")).to_have_text(subject)
    doc_url = specialist.url
    specialist.get_by_role("button", name="Trình duyệt").click()
    expect(specialist.get_by_test_id("status")).to_have_text("Đang duyệt")

    head = new_page()
    login_as(head, UNIT_HEAD)
    _open_from_nav(head, "Chờ duyệt")
    head.get_by_role("link", name=re.compile(re.escape(subject))).click()
    head.locator("textarea[name=comment]").first.fill("Đồng ý nội dung.")
    head.get_by_role("button", name="Duyệt", exact=True).click()
    expect(head.get_by_text("Đã duyệt.")).to_be_visible()

    leader = new_page()
    login_as(leader, "thanhtri-leader")
    _open_from_nav(leader, "Chờ ký")
    leader.get_by_role("link", name=re.compile(re.escape(subject))).click()
    leader.locator("input[name=pin]").fill(PASSWORD)
    leader.get_by_role("button", name="Duyệt và ký số").click()
    expect(leader.get_by_test_id("status")).to_have_text("Đã ký")

    clerk = new_page()
    login_as(clerk, "thanhtri-clerk")
    _open_from_nav(clerk, "Chờ ban hành")
    clerk.get_by_role("link", name=re.compile(re.escape(subject))).click()
    clerk.locator("select[name=book_id]").select_option(label="Sổ văn bản đi")
    clerk.locator("input[name=pin]").fill(PASSWORD)
    clerk.get_by_role("button", name="Cấp số, ký số cơ quan và ban hành").click()
    expect(clerk.get_by_test_id("status")).to_have_text("Đã ban hành")
    expect(clerk.get_by_test_id("symbol")).to_have_text(re.compile(r"^\d{2,}/QĐ-UBND$"))
    expect(clerk.get_by_test_id("recipients").locator("[data-recipient=unit]")).to_contain_text("Đã chuyển đến")
    panel = clerk.get_by_test_id("signature-panel")
    expect(panel.get_by_test_id("verdict")).to_contain_text("Tất cả chữ ký số đều hợp lệ")
    expect(panel.locator("[data-signature]")).to_have_count(2)
    clerk.screenshot(path=str(screenshot_dir / "outgoing-issued.png"), full_page=True)

    # The register lists it, and the specialist's page shows the same number.
    _open_from_nav(clerk, "Sổ đăng ký văn bản đi")
    expect(clerk.get_by_test_id("register")).to_contain_text(subject)
    specialist.goto(doc_url)
    expect(specialist.get_by_test_id("status")).to_have_text("Đã ban hành")
