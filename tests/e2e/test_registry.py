"""The registry books page as a clerk reaches it: through the navigation, with the four demo books."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.e2e

DEMO_BOOKS = ["Sổ văn bản đi", "Sổ văn bản đi (Mật)", "Sổ văn bản đến", "Sổ văn bản đến (Mật)"]


@pytest.mark.parametrize("clerk", ["thanhtri-clerk", "sonoivu-clerk"])
def test_clerk_sees_the_demo_registry_books(page, login_as, clerk, screenshot_dir):
    login_as(page, clerk)
    page.get_by_test_id("role-nav").get_by_role("link", name="Sổ đăng ký").click()
    expect(page).to_have_url(re.compile(r"/registry/books$"))
    expect(page.locator("h1")).to_have_text("Sổ đăng ký")

    rows = page.locator("main tbody tr")
    # Exactly the agency's own four books (the other agency has books of the same names: 8 would be a leak).
    expect(rows).to_have_count(4)
    names = rows.locator("td:first-child a").all_inner_texts()
    assert sorted(names) == sorted(DEMO_BOOKS)
    # The two secret books, and only they, carry the "Mật" badge.
    secret = rows.filter(has=page.locator(".badge", has_text="Mật"))
    assert sorted(secret.locator("td:first-child a").all_inner_texts()) == ["Sổ văn bản đi (Mật)",
                                                                             "Sổ văn bản đến (Mật)"]
    directions = {row.locator("td:first-child a").inner_text(): row.locator("td").nth(1).inner_text()
                  for row in rows.all()}
    assert directions == {name: "Văn bản đến" if "đến" in name else "Văn bản đi" for name in DEMO_BOOKS}
    # Managing books is for admins: a clerk reads the list but gets neither "Thêm sổ" nor "Sửa".
    expect(page.get_by_role("link", name="Thêm sổ")).to_have_count(0)
    expect(page.get_by_role("link", name="Sửa")).to_have_count(0)
    if clerk == "thanhtri-clerk":
        page.screenshot(path=str(screenshot_dir / "registry-books.png"), full_page=True)
