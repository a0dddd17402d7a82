"""Test fixtures: an application on a database built by running the migrations, one rolled-back transaction
per test, and clients for the web pages and the API.

The database is SQLite in a temporary file, or PostgreSQL when EOFFICE_TEST_DATABASE_URL names a server: each
pytest-xdist worker then gets a fresh database of its own on that server, so parallel workers never meet.
"""

from __future__ import annotations

import contextvars
import os
from pathlib import Path

import flask_migrate
import pytest
import sqlalchemy as sa
from flask_sqlalchemy.session import _app_ctx_id
from sqlalchemy.engine import make_url
from sqlalchemy.orm import scoped_session, sessionmaker

from flask.testing import FlaskClient

from config import TestingConfig

from support import PASSWORD  # noqa: F401  (re-exported for fixtures)


def pytest_collection_modifyitems(config, items):
    # On PostgreSQL only the tests that touch the database run again; the rest already ran on the SQLite pass.
    if not os.environ.get("EOFFICE_TEST_DATABASE_URL"):
        return
    skip = pytest.mark.skip(reason="does not touch the database; runs in the SQLite pass")
    for item in items:
        if "app" not in getattr(item, "fixturenames", ()):
            item.add_marker(skip)


def _postgres_admin(url: str, statement: str) -> None:
    admin = sa.create_engine(make_url(url).set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(statement))
    admin.dispose()


@pytest.fixture(scope="session")
def database_url(tmp_path_factory, worker_id, testrun_uid) -> str:
    url = os.environ.get("EOFFICE_TEST_DATABASE_URL")
    if not url:
        yield f"sqlite:///{tmp_path_factory.mktemp('db') / 'eoffice-test.sqlite3'}"
        return
    # One database per run and worker beside the named one: parallel workers and parallel runs never meet.
    parsed = make_url(url)
    name = f"{parsed.database}_{testrun_uid[:8]}_{worker_id}"
    _postgres_admin(url, f'CREATE DATABASE "{name}"')
    yield parsed.set(database=name).render_as_string(hide_password=False)
    _postgres_admin(url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def app(database_url, tmp_path_factory):
    from eoffice import create_app

    instance = tmp_path_factory.mktemp("instance")
    app = create_app(TestingConfig, overrides={"DATABASE_URL": database_url, "INSTANCE_PATH": str(instance),
                                               "SECRET_KEY": "test-secret", "STORAGE_PATH": ""})
    with app.app_context():
        flask_migrate.upgrade(directory=str(Path(__file__).resolve().parent.parent / "migrations"))
    return app


@pytest.fixture
def db_session(app):
    """Run the test inside a transaction that is rolled back at the end; commits become savepoints."""
    from eoffice.extensions import db

    with app.app_context():
        connection = db.engine.connect()
        transaction = connection.begin()
        original = db.session
        # A plain SQLAlchemy session: Flask-SQLAlchemy's own Session picks the engine per mapper and would
        # bypass this connection (and its transaction) for ORM statements.
        db.session = scoped_session(sessionmaker(bind=connection, join_transaction_mode="create_savepoint"),
                                    scopefunc=_app_ctx_id)
        try:
            yield db.session
        finally:
            db.session.remove()
            db.session = original
            transaction.rollback()
            connection.close()


class IsolatedClient(FlaskClient):
    """Runs each request in a fresh context. The test itself holds an app context (for db_session), and Flask
    would reuse it for the request, sharing `g` (the actor, the locale) between requests as no server does."""

    def open(self, *args, **kwargs):
        return contextvars.Context().run(super().open, *args, **kwargs)


@pytest.fixture
def client(app, db_session):
    app.test_client_class = IsolatedClient
    return app.test_client()


@pytest.fixture
def runner(app, db_session):
    return app.test_cli_runner()


@pytest.fixture
def demo(db_session):
    """The two demo agencies with their units, users and books; every user's password is PASSWORD."""
    from eoffice.demo import load_demo

    agencies = load_demo(PASSWORD)
    db_session.commit()
    return {agency.slug: agency for agency in agencies}


@pytest.fixture
def login(client):
    def _login(username: str, password: str = PASSWORD):
        return client.post("/login", data={"username": username, "password": password})

    return _login


@pytest.fixture
def api_token(client):
    def _token(username: str, password: str = PASSWORD) -> dict:
        response = client.post("/api/v1/auth/token", json={"username": username, "password": password})
        assert response.status_code == 200, response.get_json()
        return {"Authorization": f"Bearer {response.get_json()['access_token']}"}

    return _token
