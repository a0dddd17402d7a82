"""The page shell: stylesheets and scripts load, and the Vietnamese text is served as UTF-8."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.e2e


def test_login_page_loads_its_stylesheets_and_script(page):
    # Every page links Bootstrap and eoffice.css through url_for('static'); a wrong static folder gives an
    # unstyled page and dead dropdowns, which no test-client test notices (it never fetches the assets).
    assets = {}
    page.on("response", lambda r: assets.__setitem__(r.url, r.status) if "/static/" in r.url else None)
    response = page.goto("/login")
    assert response.status == 200
    assert "charset=utf-8" in response.headers["content-type"].lower()
    page.wait_for_load_state("load")

    expected = ["vendor/bootstrap/bootstrap.min.css", "eoffice.css", "vendor/bootstrap/bootstrap.bundle.min.js"]
    for asset in expected:
        statuses = [status for url, status in assets.items() if url.endswith("/static/" + asset)]
        assert statuses == [200], f"/static/{asset}: {statuses or 'never requested'}"
    # The stylesheet is applied (Bootstrap's navbar is a flex box) and its script ran (window.bootstrap).
    assert page.evaluate("getComputedStyle(document.querySelector('nav.navbar')).display") == "flex"
    assert page.evaluate("typeof window.bootstrap") == "object"
    expect(page.locator("h1")).to_have_text("Đăng nhập")
    expect(page.get_by_text("Hệ thống quản lý văn bản và điều hành").first).to_be_visible()
