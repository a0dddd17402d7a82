"""Fixtures for the browser tests: a real eoffice server in a thread and Debian's Chromium driven by Playwright.

The server gets an application and a SQLite file of its own instead of the root conftest's `app`/`db_session`:
that fixture rolls every test back inside one connection, which a server answering from another thread could
never see. Here every request commits for real, exactly as in production, and CSRF protection is ON, so a form
that forgot its token fails in these tests although the unit tests (which switch CSRF off) pass.

The session-scoped application fixture is deliberately *not* called `app`: the root conftest skips, in the
PostgreSQL pass, every test that does not use `app`, and these tests only need to run once (in the SQLite pass).
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

import flask_migrate
import pytest

from config import TestingConfig

#: Every demo user's password in these tests (same value as the root conftest's PASSWORD).
PASSWORD = "Test-password-2026"
REPO = Path(__file__).resolve().parents[2]
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
#: Scratch agency for the tests that change data (lockout, creating units and users), so the demo agencies
#: keep exactly their demo figures whatever order the tests run in.
SCRATCH = {"slug": "e2e", "name": "Ủy ban nhân dân xã Lâm Tân", "abbreviation": "UBND", "code": "000.00.99.H55",
           "place": "Lâm Tân"}
SCRATCH_ADMIN = "e2e-admin"


def _unavailable(reason: str):
    """Skip on a developer machine without a browser; on CI (env CI set) a missing browser is a failure."""
    if os.environ.get("CI"):
        pytest.fail(f"{reason} (CI is set, so the browser tests must run)")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def live_app(tmp_path_factory):
    from eoffice import create_app
    from eoffice.demo import load_demo
    from eoffice.extensions import db

    root = tmp_path_factory.mktemp("e2e")
    app = create_app(TestingConfig, overrides={
        "DATABASE_URL": f"sqlite:///{root / 'eoffice-e2e.sqlite3'}",
        "INSTANCE_PATH": str(root / "instance"),
        "SECRET_KEY": "e2e-secret",
        "STORAGE_PATH": "",
        # TestingConfig turns CSRF off for the unit tests; the browser must prove every form posts its token.
        "WTF_CSRF_ENABLED": True,
        # All logins come from 127.0.0.1: the production limit (20/min) would trip on the suite itself.
        "RATELIMIT_LOGIN": "1000 per minute",
    })
    with app.app_context():
        flask_migrate.upgrade(directory=str(REPO / "migrations"))
        load_demo(PASSWORD)
        db.session.commit()
    return app


@pytest.fixture(scope="session")
def live_server(live_app):
    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", 0, live_app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="e2e-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()


@pytest.fixture(scope="session")
def run_in_app(live_app):
    """Run `fn()` in an application context of the live app and commit, for setup the UI does not cover."""
    from eoffice.extensions import db

    def _run(fn):
        with live_app.app_context():
            try:
                result = fn()
                db.session.commit()
                return result
            except Exception:
                db.session.rollback()
                raise

    return _run


@pytest.fixture(scope="session")
def scratch_agency(run_in_app):
    """A third agency with one unit and one admin (`SCRATCH_ADMIN`, password PASSWORD); returns its id."""
    from eoffice.accounts import services
    from eoffice.core.permissions import ADMIN

    def _create():
        agency = services.create_agency(**SCRATCH)
        unit = services.create_unit(agency, name="Văn phòng HĐND và UBND xã", abbreviation="VP")
        services.create_user(agency, username=SCRATCH_ADMIN, password=PASSWORD, full_name="Mai Văn Tài",
                             position="Công chức văn phòng", unit_id=unit.id, roles=[ADMIN])
        return agency.id

    return run_in_app(_create)


@pytest.fixture(scope="session")
def browser():
    try:
        from playwright.sync_api import Error, sync_playwright
    except ImportError:
        _unavailable("the playwright package is not installed (pip install -e '.[test]')")
    if not (os.path.isfile(CHROMIUM) and os.access(CHROMIUM, os.X_OK)):
        _unavailable(f"no Chromium at {CHROMIUM} (apt-get install chromium, or set CHROMIUM_PATH)")
    with sync_playwright() as playwright:
        try:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        except Error as exc:
            _unavailable(f"Chromium at {CHROMIUM} does not start: {exc}")
        yield browser
        browser.close()


@pytest.fixture
def new_page(browser, live_server):
    """Open pages in fresh browser contexts (own cookies, own session); all are closed after the test."""
    contexts = []

    def _new_page():
        context = browser.new_context(base_url=live_server, viewport={"width": 1280, "height": 860},
                                      locale="vi-VN")
        context.set_default_timeout(10_000)
        contexts.append(context)
        return context.new_page()

    yield _new_page
    for context in contexts:
        context.close()


@pytest.fixture
def page(new_page):
    return new_page()


@pytest.fixture(scope="session")
def screenshot_dir(tmp_path_factory):
    """Where the screenshots go: $E2E_SCREENSHOT_DIR when set (to look at them), else a pytest temp dir.

    Not an EOFFICE_* variable on purpose: create_app refuses unknown EOFFICE_* variables.
    """
    chosen = os.environ.get("E2E_SCREENSHOT_DIR")
    path = Path(chosen) if chosen else tmp_path_factory.mktemp("screenshots")
    path.mkdir(parents=True, exist_ok=True)
    return path


@pytest.fixture
def login_as():
    """Log in through the login form (labels and button as a user reads them) and wait for the next page.

    Named apart from the root conftest's `login`, which posts through the Flask test client instead.
    """

    def _login(page, username: str, password: str = PASSWORD):
        page.goto("/login")
        page.get_by_label("Tên đăng nhập", exact=True).fill(username)
        page.get_by_label("Mật khẩu", exact=True).fill(password)
        with page.expect_navigation() as navigation:
            page.get_by_role("button", name="Đăng nhập").click()
        # The response of the POST, or of the page it redirected to: the caller checks the status.
        return navigation.value

    return _login
