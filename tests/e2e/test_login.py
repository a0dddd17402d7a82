"""Logging in and out in a real browser: the navigation each role gets, the home figures, the lockout, the
language switch. Labels are asserted in Vietnamese, the default language, as an agency's staff read them."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from .conftest import PASSWORD

pytestmark = pytest.mark.e2e

FULL_NAMES = {
    "thanhtri-admin": "Lâm Quốc Huy", "thanhtri-clerk": "Nguyễn Thị Thu Hà",
    "thanhtri-leader": "Trần Văn Đức", "thanhtri-specialist": "Lê Minh Tuấn",
    "sonoivu-admin": "Huỳnh Thanh Phong", "sonoivu-clerk": "Phạm Thị Ngọc Ánh",
    "sonoivu-leader": "Nguyễn Thị Hồng Nhung", "sonoivu-specialist": "Đặng Quốc Khánh",
}
AGENCIES = {"thanhtri": ("Ủy ban nhân dân huyện Thạnh Trị", "UBND"), "sonoivu": ("Sở Nội vụ tỉnh Sóc Trăng", "SNV")}
ROLE_LABELS = {"admin": "Quản trị", "clerk": "Văn thư", "leader": "Lãnh đạo", "specialist": "Chuyên viên"}
ADMIN_MENU = ["Cơ quan", "Đơn vị", "Người dùng", "Chữ ký số và tin cậy", "Đối tác liên thông",
              "Theo dõi gửi văn bản điện tử", "Nhật ký hệ thống", "Tác vụ nền"]
# In both demo agencies the admin, the clerk and the leader sit in the office (VP), the specialist elsewhere alone.
UNIT_MEMBERS = {"admin": 3, "clerk": 3, "leader": 3, "specialist": 1}


@pytest.mark.parametrize("username", sorted(FULL_NAMES))
def test_demo_user_logs_in_sees_role_navigation_and_logs_out(page, login_as, username, screenshot_dir):
    agency, role = username.split("-")
    response = login_as(page, username)

    # The login redirected to the home page (not back to /login with an error).
    expect(page).to_have_url(re.compile(r"/$"))
    assert response.ok
    expect(page.locator("h1")).to_have_text(AGENCIES[agency][0])
    whoami = page.get_by_test_id("whoami")
    expect(whoami).to_contain_text(FULL_NAMES[username])
    expect(whoami).to_contain_text(f"{AGENCIES[agency][1]} · {ROLE_LABELS[role]}")

    nav = page.get_by_test_id("role-nav")
    expect(nav.get_by_role("link", name="Trang chủ")).to_be_visible()
    expect(nav.get_by_role("link", name="Danh bạ")).to_be_visible()
    books_link = nav.get_by_role("link", name="Sổ đăng ký")
    admin_toggle = nav.locator("[data-nav=admin]")
    if role in ("admin", "clerk"):
        expect(books_link).to_be_visible()
    else:
        expect(books_link).to_have_count(0)
    if role == "admin":
        expect(admin_toggle).to_have_text("Quản trị")
        menu = nav.locator("[data-nav=admin] + .dropdown-menu")
        # The menu opens only if Bootstrap's script loaded and runs: a click, not a look at the hidden markup.
        expect(menu).to_be_hidden()
        admin_toggle.click()
        expect(menu).to_be_visible()
        expect(menu.get_by_role("link")).to_have_text(ADMIN_MENU)
        # Close it again so the screenshot below shows the figures the menu would cover.
        page.keyboard.press("Escape")
        expect(menu).to_be_hidden()
    else:
        expect(admin_toggle).to_have_count(0)
        # "Quản trị" is also the admin *role* label in the whoami; the nav itself must not offer it.
        expect(nav).not_to_contain_text("Quản trị")

    # The figures of the demo data set: 4 units and 4 active users per agency, nothing leaked from the other.
    expect(page.locator("[data-count=units]")).to_have_text("4")
    expect(page.locator("[data-count=users]")).to_have_text("4")
    expect(page.locator("[data-count=unit_members]")).to_have_text(str(UNIT_MEMBERS[role]))
    expect(page.locator("[data-book-last]")).to_have_count(4 if role in ("admin", "clerk") else 0)
    if role == "admin":
        expect(page.locator("[data-count=locked_users]")).to_have_text("0")
    else:
        expect(page.locator("[data-count=locked_users]")).to_have_count(0)
    page.screenshot(path=str(screenshot_dir / f"home-{username}.png"), full_page=True)

    # Log out is a POST form: it only works if the page carries a valid CSRF token.
    page.get_by_role("button", name="Đăng xuất").click()
    expect(page).to_have_url(re.compile(r"/login$"))
    expect(page.get_by_role("alert")).to_have_text("Bạn đã đăng xuất.")
    expect(page.get_by_test_id("whoami")).to_have_count(0)
    # The session is really gone: the home page sends us back to the login form.
    page.goto("/")
    expect(page).to_have_url(re.compile(r"/login\?next=%2F"))


@pytest.fixture
def lockout_user(run_in_app, scratch_agency):
    """A user of its own for the lockout test: locking a demo user would break the other tests."""
    from eoffice.accounts import services
    from eoffice.accounts.models import Agency
    from eoffice.extensions import db

    def _create():
        agency = db.session.get(Agency, scratch_agency)
        return services.create_user(agency, username="e2e-lockout", password=PASSWORD, full_name="Tô Văn Khóa",
                                    roles=["specialist"]).username

    return run_in_app(_create)


def test_wrong_password_is_refused_and_five_failures_lock_the_account(page, login_as, lockout_user,
                                                                      screenshot_dir):
    wrong = "Wrong-password-2026"
    alert = page.get_by_role("alert")
    for attempt in range(1, 5):
        response = login_as(page, lockout_user, wrong)
        assert response.status == 401, attempt
        expect(page).to_have_url(re.compile(r"/login$"))
        expect(alert).to_have_text("Tên đăng nhập hoặc mật khẩu không đúng.")
        expect(page.get_by_test_id("whoami")).to_have_count(0)
        if attempt == 1:
            page.screenshot(path=str(screenshot_dir / "login-error.png"), full_page=True)

    # LOGIN_MAX_FAILURES is 5: the fifth failure locks, and says so.
    response = login_as(page, lockout_user, wrong)
    assert response.status == 423
    expect(alert).to_have_text("Đăng nhập sai quá số lần cho phép: tài khoản bị khóa trong 15 phút.")

    # The lock was committed although the request failed: now even the right password is refused.
    response = login_as(page, lockout_user, PASSWORD)
    assert response.status == 423
    expect(page).to_have_url(re.compile(r"/login$"))
    expect(alert).to_have_text("Tài khoản đang bị khóa do đăng nhập sai nhiều lần. Vui lòng thử lại sau 15 phút.")
    expect(page.get_by_test_id("whoami")).to_have_count(0)
    page.goto("/")
    expect(page).to_have_url(re.compile(r"/login\?next=%2F"))


def test_language_switch_to_english_and_back(page, login_as, screenshot_dir):
    login_as(page, "thanhtri-specialist")
    expect(page.locator("html")).to_have_attribute("lang", "vi")

    page.get_by_role("link", name="EN", exact=True).click()
    # The switch returns to the page it was clicked on, now in English.
    expect(page).to_have_url(re.compile(r"/\??$"))
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_role("button", name="Log out")).to_be_visible()
    expect(page.get_by_test_id("role-nav").get_by_role("link", name="Home")).to_be_visible()
    expect(page.get_by_test_id("whoami")).to_contain_text("Specialist")
    expect(page.locator("body")).not_to_contain_text("Đăng xuất")
    page.screenshot(path=str(screenshot_dir / "home-en.png"), full_page=True)

    # The choice sticks to the session: another page is English too.
    page.get_by_role("link", name="Directory").click()
    expect(page.locator("h1")).to_have_text("Directory")

    page.get_by_role("link", name="VI", exact=True).click()
    expect(page.locator("html")).to_have_attribute("lang", "vi")
    expect(page.locator("h1")).to_have_text("Danh bạ")
    expect(page.get_by_role("button", name="Đăng xuất")).to_be_visible()
    expect(page.get_by_test_id("role-nav").get_by_role("link", name="Trang chủ")).to_be_visible()
    expect(page.locator("body")).not_to_contain_text("Log out")
