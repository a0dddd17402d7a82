"""An incoming document in a real browser: the clerk receives and registers an uploaded PDF, the leader directs it
to the specialist, the specialist finds it in the inbox and completes it. Labels in Vietnamese, CSRF on."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from eoffice.signing.samples import make_sample_pdf
from support import iso_day

pytestmark = pytest.mark.e2e

SUBJECT = "Về việc kiểm tra công tác văn thư, lưu trữ năm 2026"


def test_clerk_registers_leader_directs_specialist_completes(new_page, login_as, screenshot_dir, tmp_path):
    pdf = tmp_path / "cong-van-den.pdf"
    pdf.write_bytes(make_sample_pdf(1))

    clerk = new_page()
    login_as(clerk, "thanhtri-clerk")
    clerk.get_by_test_id("role-nav").get_by_role("link", name="Tiếp nhận văn bản").click()
    form = clerk.get_by_test_id("intake-form")
    form.locator("input[name=file]").set_input_files(str(pdf))
    clerk.get_by_label("Cơ quan ban hành", exact=True).fill("Sở Nội vụ tỉnh Sóc Trăng")
    clerk.get_by_label("Số", exact=True).fill("318")
    clerk.get_by_label("Ký hiệu", exact=True).fill("SNV-VTLT")
    clerk.get_by_label("Trích yếu").fill(SUBJECT)
    clerk.get_by_label("Độ khẩn").select_option(label="Thượng khẩn")
    with clerk.expect_navigation():
        clerk.get_by_role("button", name="Tiếp nhận").click()
    expect(clerk.get_by_test_id("subject")).to_have_text(SUBJECT)
    # The sample is not signed: the page says so prominently and shows the verification panel.
    expect(clerk.get_by_test_id("signature-warning")).to_contain_text("Văn bản không có chữ ký số")
    expect(clerk.get_by_test_id("verdict")).to_contain_text("Tệp chưa được ký số")
    register = clerk.get_by_test_id("register-form")
    register.get_by_label("Sổ đăng ký").select_option(label="Sổ văn bản đến")
    with clerk.expect_navigation():
        register.get_by_role("button", name="Vào sổ").click()
    number = clerk.get_by_test_id("arrival-number").inner_text()
    assert re.fullmatch(r"\d{2,}", number), number
    expect(clerk.get_by_test_id("stamp")).to_contain_text("ĐẾN")

    leader = new_page()
    login_as(leader, "thanhtri-leader")
    leader.get_by_test_id("role-nav").get_by_role("link", name="Chờ chỉ đạo").click()
    leader.get_by_role("link", name=SUBJECT).click()
    direct = leader.get_by_test_id("direct-form")
    direct.get_by_label("Ý kiến chỉ đạo").fill("Giao đồng chí Tuấn chủ trì, báo cáo trước hạn")
    lead = direct.get_by_label("Chủ trì (một đơn vị hoặc một cá nhân)")
    lead.select_option(lead.locator("option", has_text="Lê Minh Tuấn").get_attribute("value"))
    direct.get_by_label("Hạn xử lý của đơn vị chủ trì").fill(iso_day(23))
    with leader.expect_navigation():
        direct.get_by_role("button", name="Chỉ đạo").click()
    expect(leader.get_by_test_id("opinion")).to_contain_text("Giao đồng chí Tuấn chủ trì")
    leader.screenshot(path=str(screenshot_dir / "incoming-document.png"), full_page=True)

    specialist = new_page()
    login_as(specialist, "thanhtri-specialist")
    specialist.get_by_test_id("role-nav").get_by_role("link", name="Văn bản của tôi").click()
    row = specialist.get_by_test_id("inbox").locator("tr", has_text=SUBJECT)
    expect(row.locator("[data-state]")).to_have_text("Mới")
    expect(row).to_have_class(re.compile("table-danger"))  # Thượng khẩn is highlighted
    row.get_by_role("link", name=SUBJECT).click()
    complete = specialist.get_by_test_id("complete-form").first
    complete.locator("textarea[name=comment]").fill("Đã kiểm tra, báo cáo kết quả")
    with specialist.expect_navigation():
        complete.get_by_role("button", name="Hoàn thành xử lý").click()
    expect(specialist.locator("h1 + div [data-state]")).to_have_text("Hoàn thành")
    timeline = specialist.get_by_test_id("timeline")
    expect(timeline.locator("tr[data-action]")).to_have_count(5)  # receive, register, direct, read, complete
    specialist.goto("/incoming/inbox?state=done")
    expect(specialist.get_by_test_id("inbox").locator("tr", has_text=SUBJECT)).to_have_count(1)


UNIT_SUBJECT = "Về việc rà soát thủ tục hành chính lĩnh vực nội vụ năm 2027"
UNIT_HEAD = "thanhtri-nv-head"


def _row(target: str) -> str:
    """The assignment row whose first cell (the assignee) names `target` (other cells hold forms with choices)."""
    return f'tr[data-assignment]:has(> td:first-child:has-text("{target}"))'


@pytest.fixture
def unit_head(run_in_app):
    """A head of Phòng Nội vụ (the demo specialist's unit), with the leader role, for the unit hand-down. It is
    deactivated afterwards: the demo agencies keep their figures of active users for the other browser tests."""
    from sqlalchemy import select

    from eoffice.accounts import services
    from eoffice.accounts.models import Agency, Unit, User
    from eoffice.core.permissions import LEADER
    from eoffice.extensions import db

    from .conftest import PASSWORD

    def _create():
        agency = db.session.scalar(select(Agency).where(Agency.slug == "thanhtri"))
        unit = db.session.scalar(select(Unit).where(Unit.agency_id == agency.id, Unit.abbreviation == "NV"))
        services.create_user(agency, username=UNIT_HEAD, password=PASSWORD, full_name="Phan Thanh Hùng",
                             position="Trưởng phòng Nội vụ", unit_id=unit.id, roles=[LEADER])

    def _deactivate():
        services.update_user(db.session.scalar(select(User).where(User.username == UNIT_HEAD)), active=False)

    run_in_app(_create)
    yield UNIT_HEAD
    run_in_app(_deactivate)


def test_lead_unit_head_hands_down_to_a_specialist_who_completes(new_page, login_as, unit_head, screenshot_dir,
                                                                  tmp_path):
    """Clerk registers → leader directs to a lead unit and a co-handling unit → the lead unit's head hands it to a
    specialist → the specialist completes → the document is completed, with its full timeline."""
    pdf = tmp_path / "cong-van-den-2.pdf"
    pdf.write_bytes(make_sample_pdf(2))

    clerk = new_page()
    login_as(clerk, "thanhtri-clerk")
    clerk.goto("/incoming/new")
    clerk.get_by_test_id("intake-form").locator("input[name=file]").set_input_files(str(pdf))
    clerk.get_by_label("Cơ quan ban hành", exact=True).fill("Văn phòng UBND tỉnh Sóc Trăng")
    clerk.get_by_label("Số", exact=True).fill("1207")
    clerk.get_by_label("Ký hiệu", exact=True).fill("VP-KSTT")
    clerk.get_by_label("Trích yếu").fill(UNIT_SUBJECT)
    with clerk.expect_navigation():
        clerk.get_by_role("button", name="Tiếp nhận").click()
    register = clerk.get_by_test_id("register-form")
    register.get_by_label("Sổ đăng ký").select_option(label="Sổ văn bản đến")
    with clerk.expect_navigation():
        register.get_by_role("button", name="Vào sổ").click()
    assert re.fullmatch(r"\d{2,}", clerk.get_by_test_id("arrival-number").inner_text())

    leader = new_page()
    login_as(leader, "thanhtri-leader")
    leader.get_by_test_id("role-nav").get_by_role("link", name="Chờ chỉ đạo").click()
    leader.get_by_role("link", name=UNIT_SUBJECT).click()
    direct = leader.get_by_test_id("direct-form")
    direct.get_by_label("Ý kiến chỉ đạo").fill("Phòng Nội vụ chủ trì, Phòng Tư pháp phối hợp")
    direct.get_by_label("Chủ trì (một đơn vị hoặc một cá nhân)").select_option(label="Phòng Nội vụ")
    direct.get_by_label("Hạn xử lý của đơn vị chủ trì").fill(iso_day(52))
    direct.get_by_label("Phối hợp", exact=True).select_option(label="Phòng Tư pháp")
    with leader.expect_navigation():
        direct.get_by_role("button", name="Chỉ đạo").click()
    assignments = leader.get_by_test_id("assignments")
    expect(assignments.locator(_row("Phòng Nội vụ"))).to_contain_text("Chủ trì")
    expect(assignments.locator(_row("Phòng Tư pháp"))).to_contain_text("Phối hợp")

    head = new_page()
    login_as(head, unit_head)
    head.get_by_test_id("role-nav").get_by_role("link", name="Văn bản của tôi").click()
    head.get_by_test_id("inbox").get_by_role("link", name=UNIT_SUBJECT).click()
    unit_row = head.get_by_test_id("assignments").locator(_row("Phòng Nội vụ"))
    unit_row.locator("summary", has_text="Giao xử lý").click()
    hand_down = unit_row.get_by_test_id("reassign-form")
    hand_down.get_by_label("Giao cho").select_option(label="Lê Minh Tuấn (NV)")
    hand_down.locator("textarea[name$=note]").fill("Đồng chí Tuấn rà soát, dự thảo báo cáo")
    with head.expect_navigation():
        hand_down.get_by_role("button", name="Giao xử lý").click()
    expect(head.get_by_test_id("assignments").locator(_row("Lê Minh Tuấn"))).to_have_count(1)

    specialist = new_page()
    login_as(specialist, "thanhtri-specialist")
    specialist.get_by_test_id("role-nav").get_by_role("link", name="Văn bản của tôi").click()
    specialist.get_by_test_id("inbox").locator("tr", has_text=UNIT_SUBJECT).first.get_by_role(
        "link", name=UNIT_SUBJECT).click()
    own_row = specialist.get_by_test_id("assignments").locator(_row("Lê Minh Tuấn"))
    complete = own_row.get_by_test_id("complete-form")
    complete.locator("textarea[name=comment]").fill("Đã rà soát, gửi báo cáo kết quả")
    with specialist.expect_navigation():
        complete.get_by_role("button", name="Hoàn thành xử lý").click()
    expect(specialist.locator("h1 + div [data-state]")).to_have_text("Hoàn thành")
    timeline = specialist.get_by_test_id("timeline")
    actions = timeline.locator("tr[data-action]").evaluate_all("rows => rows.map(r => r.dataset.action)")
    steps = [a for a in actions if a != "read"]
    assert steps == ["receive", "register", "direct", "reassign", "complete"], actions
    expect(timeline).to_contain_text("Phan Thanh Hùng")
    expect(timeline).to_contain_text("Đã rà soát, gửi báo cáo kết quả")
    specialist.screenshot(path=str(screenshot_dir / "incoming-unit-flow.png"), full_page=True)

    # The leader sees the same: completed, every assignment of the lead chain done, the co-handling unit open.
    leader.reload()
    expect(leader.locator("h1 + div [data-state]")).to_have_text("Hoàn thành")
    expect(leader.get_by_test_id("timeline").locator("tr[data-action=complete]")).to_have_count(1)
