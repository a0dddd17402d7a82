"""An incoming document in a real browser: the clerk receives and registers an uploaded PDF, the leader directs it
to the specialist, the specialist finds it in the inbox and completes it. Labels in Vietnamese, CSRF on."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from eoffice.signing.samples import make_sample_pdf

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
    direct.get_by_label("Hạn xử lý của đơn vị chủ trì").fill("2026-12-31")
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
