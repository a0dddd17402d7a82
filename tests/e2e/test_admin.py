"""Administration through the pages: creating a unit and a user with the real forms (CSRF on), the new user's
first login, and the agency boundary seen from the browser."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from .conftest import SCRATCH_ADMIN

pytestmark = pytest.mark.e2e

NEW_UNIT = ("Phòng Văn hóa - Thông tin", "VHTT")
NEW_USER = {"username": "e2e-vothilan", "full_name": "Võ Thị Lan", "position": "Chuyên viên văn hóa",
            "email": "lan.vo@lamtan.example.vn", "password": "Lan-Vo-mat-khau-2026"}


def _open_admin_menu_item(page, label: str) -> None:
    nav = page.get_by_test_id("role-nav")
    nav.locator("[data-nav=admin]").click()
    nav.locator(".dropdown-menu").get_by_role("link", name=label, exact=True).click()


def _assert_form_has_csrf_token(page) -> None:
    token = page.locator("main form[method=post] input[name=csrf_token]")
    expect(token).to_have_count(1)
    assert len(token.get_attribute("value") or "") > 20


def test_admin_creates_unit_and_user_who_then_logs_in(page, new_page, login_as, scratch_agency):
    # The scratch agency's admin, so that the demo agencies keep their 4 units / 4 users for the other tests.
    login_as(page, SCRATCH_ADMIN)
    expect(page).to_have_url(re.compile(r"/$"))

    _open_admin_menu_item(page, "Đơn vị")
    expect(page).to_have_url(re.compile(r"/admin/units$"))
    page.get_by_role("link", name="Thêm đơn vị").click()
    _assert_form_has_csrf_token(page)
    page.locator("#name").fill(NEW_UNIT[0])
    page.locator("#abbreviation").fill(NEW_UNIT[1])
    page.get_by_role("button", name="Lưu").click()
    expect(page).to_have_url(re.compile(r"/admin/units$"))
    expect(page.get_by_role("alert")).to_have_text("Đã lưu.")
    expect(page.get_by_role("row").filter(has_text=NEW_UNIT[0])).to_contain_text(NEW_UNIT[1])

    _open_admin_menu_item(page, "Người dùng")
    expect(page).to_have_url(re.compile(r"/admin/users$"))
    page.get_by_role("link", name="Thêm người dùng").click()
    _assert_form_has_csrf_token(page)
    for field in ("username", "full_name", "position", "email", "password"):
        page.locator(f"#{field}").fill(NEW_USER[field])
    # The unit created a moment ago is offered in the select: the choices are read from the database per request.
    page.locator("#unit_id").select_option(label=f"{NEW_UNIT[0]} ({NEW_UNIT[1]})")
    page.locator("input[name=roles][value=specialist]").check()
    expect(page.locator("#active")).to_be_checked()
    page.get_by_role("button", name="Lưu").click()
    expect(page).to_have_url(re.compile(r"/admin/users$"))
    expect(page.get_by_role("alert")).to_have_text("Đã lưu.")
    row = page.get_by_role("row").filter(has_text=NEW_USER["username"])
    expect(row).to_contain_text(NEW_USER["full_name"])
    expect(row).to_contain_text(NEW_UNIT[1])
    expect(row).to_contain_text("Chuyên viên")

    # The new user, in a browser context of their own (no shared cookies), logs in with the password set above.
    other = new_page()
    login_as(other, NEW_USER["username"], NEW_USER["password"])
    expect(other).to_have_url(re.compile(r"/$"))
    expect(other.get_by_test_id("whoami")).to_contain_text(f"{NEW_USER['full_name']} · UBND · Chuyên viên")
    nav = other.get_by_test_id("role-nav")
    # The common links first; then the document work every user has (inbox, notifications), none of the
    # clerk's or the admin's items.
    assert nav.get_by_role("link").all_inner_texts()[:3] == ["Trang chủ", "Danh bạ", "Ký số"]
    expect(nav.locator("[data-nav=books], [data-nav=doctypes], [data-nav=admin], [data-nav=intake]")).to_have_count(0)
    expect(other.locator("main")).to_contain_text(f"Đơn vị của bạn: {NEW_UNIT[0]}.")
    expect(other.locator("[data-count=unit_members]")).to_have_text("1")
    # A specialist typing an admin address gets the 403 page, not the form.
    response = other.goto("/admin/users")
    assert response.status == 403
    expect(other.locator("[data-error-code=forbidden]")).to_be_visible()


def test_post_without_csrf_token_is_refused(page, login_as, scratch_agency):
    # Proves CSRF protection is really on in this server, so the form tests above do exercise the tokens.
    login_as(page, SCRATCH_ADMIN)
    response = page.request.post("/admin/units/new", form={"name": "Đơn vị giả mạo", "abbreviation": "NOCSRF",
                                                            "parent_id": "0"})
    assert response.status == 400
    assert 'data-error-code="csrf_failed"' in response.text()
    page.goto("/admin/units")
    expect(page.locator("main")).not_to_contain_text("NOCSRF")


def test_admin_cannot_open_a_user_of_another_agency(page, login_as, run_in_app):
    from sqlalchemy import select

    from eoffice.accounts.models import User
    from eoffice.extensions import db

    ids = run_in_app(lambda: dict(db.session.execute(
        select(User.username, User.id).where(User.username.in_(["thanhtri-specialist", "sonoivu-specialist"]))).all()))
    login_as(page, "sonoivu-admin")

    # Control: a user of the admin's own agency opens in the form...
    response = page.goto(f"/admin/users/{ids['sonoivu-specialist']}")
    assert response.status == 200
    expect(page.locator("h1")).to_have_text("sonoivu-specialist")

    # ...while the same page for a Thạnh Trị user is "not found", not "forbidden": its existence must not leak.
    response = page.goto(f"/admin/users/{ids['thanhtri-specialist']}")
    assert response.status == 404
    error = page.locator("[data-error-code=not_found]")
    expect(error).to_be_visible()
    expect(error).to_contain_text("Lỗi 404")
    expect(error).to_contain_text("Không tìm thấy.")
    expect(page.locator("body")).not_to_contain_text("thanhtri")
    expect(page.locator("body")).not_to_contain_text("Lê Minh Tuấn")
