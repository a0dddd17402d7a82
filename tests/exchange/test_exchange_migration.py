"""Migration 0007 keeps the partner and outbox rows of outgoing while moving them to exchange, and gives them
back on downgrade. Runs on a database of its own (SQLite file, or a fresh PostgreSQL database beside the test one)."""

import os
import uuid
from datetime import date, datetime, timezone
from pathlib import Path

import flask_migrate
import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from config import TestingConfig

MIGRATIONS = str(Path(__file__).resolve().parents[2] / "migrations")


@pytest.fixture
def empty_database(app, tmp_path):
    # `app` only so the PostgreSQL pass runs this test too (it selects tests by that fixture).
    url = os.environ.get("EOFFICE_TEST_DATABASE_URL")
    if not url:
        yield f"sqlite:///{tmp_path / 'migration.sqlite3'}"
        return
    name = f"{make_url(url).database}_mig_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(make_url(url).set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    yield make_url(url).set(database=name).render_as_string(hide_password=False)
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def _insert(conn, table: str, **values) -> int:
    """Insert a row, filling every other required column with a plain value of its type; returns its id."""
    meta = sa.MetaData()
    t = sa.Table(table, meta, autoload_with=conn)
    now = datetime(2026, 1, 5, 3, 0, tzinfo=timezone.utc)
    plain = {sa.Integer: 1, sa.String: "x", sa.Text: "x", sa.Boolean: False, sa.DateTime: now,
             sa.Date: date(2026, 1, 5), sa.LargeBinary: b"x"}
    for column in t.columns:
        if column.name in values or column.nullable or column.primary_key:
            continue
        values[column.name] = next(v for kind, v in plain.items() if isinstance(column.type, kind))
    return conn.execute(t.insert().values(**values).returning(t.c.id)).scalar_one()


def test_rows_survive_upgrade_and_downgrade(empty_database, tmp_path):
    from eoffice import create_app

    app = create_app(TestingConfig, overrides={"DATABASE_URL": empty_database, "INSTANCE_PATH": str(tmp_path / "i"),
                                               "SECRET_KEY": "x", "STORAGE_PATH": ""})
    with app.app_context():
        from eoffice.extensions import db

        flask_migrate.upgrade(directory=MIGRATIONS, revision="0006_stored_verification")
        with db.engine.begin() as conn:
            agency = _insert(conn, "agency", slug="a", code="000.00.31.H55")
            unit = _insert(conn, "unit", agency_id=agency, parent_id=None)
            user = _insert(conn, "user", agency_id=agency, unit_id=unit, username="u")
            doc_type = _insert(conn, "document_type")
            doc = _insert(conn, "outgoing_document", agency_id=agency, status="issued", document_type_id=doc_type,
                          signer_id=user, drafter_id=user, drafting_unit_id=unit, book_id=None, issued_by_id=None,
                          replaced_by_id=None)
            partner = _insert(conn, "outgoing_partner", agency_id=agency, organ_id="000.00.00.G22",
                              name="Văn phòng Chính phủ", email="vt@chinhphu.vn", active=True)
            recipient = _insert(conn, "outgoing_recipient", document_id=doc, kind="partner", partner_id=partner,
                                mode="electronic", unit_id=None, target_agency_id=None)
            _insert(conn, "outgoing_outbox", agency_id=agency, package_id="p-1", document_id=doc,
                    recipient_id=recipient, status="pending")
        flask_migrate.upgrade(directory=MIGRATIONS)
        with db.engine.begin() as conn:
            row = conn.execute(sa.text("SELECT id, organ_id, name, email, kind, base_url FROM exchange_partner")).one()
            assert tuple(row) == (partner, "000.00.00.G22", "Văn phòng Chính phủ", "vt@chinhphu.vn", "endpoint", "")
            outbox = conn.execute(sa.text("SELECT package_id, recipient_id FROM exchange_outbox")).one()
            assert tuple(outbox) == ("p-1", recipient)
            assert conn.execute(sa.text("SELECT partner_id FROM outgoing_recipient")).scalar_one() == partner
            # new rows continue after the copied ids (PostgreSQL's sequences were moved on)
            assert _insert(conn, "exchange_partner", agency_id=agency, organ_id="000.00.00.G23", kind="endpoint",
                           target_agency_id=None, active=True) > partner
            conn.execute(sa.text("DELETE FROM exchange_partner WHERE organ_id = '000.00.00.G23'"))
        flask_migrate.downgrade(directory=MIGRATIONS, revision="0006_stored_verification")
        with db.engine.begin() as conn:
            assert conn.execute(sa.text("SELECT organ_id FROM outgoing_partner")).scalar_one() == "000.00.00.G22"
            assert conn.execute(sa.text("SELECT package_id FROM outgoing_outbox")).scalar_one() == "p-1"
        db.engine.dispose()
