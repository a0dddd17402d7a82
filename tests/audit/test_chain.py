import json

import pytest
from sqlalchemy import select, text

from support import PASSWORD


def _entries(db_session, action=None):
    from eoffice.audit.models import AuditEntry

    query = select(AuditEntry).order_by(AuditEntry.id)
    if action:
        query = query.where(AuditEntry.action == action)
    return db_session.scalars(query).all()


def test_login_failed_login_and_logout_are_audited(client, demo, login, db_session):
    login("thanhtri-clerk", "wrong-password-1")
    login("thanhtri-clerk")
    client.post("/logout")
    failed, = _entries(db_session, "user.login_failed")
    assert json.loads(failed.data) == {"locked": False, "reason": "bad_credentials", "username": "thanhtri-clerk"}
    assert failed.chain == f"agency:{demo['thanhtri'].id}"
    assert _entries(db_session, "user.login")[-1].actor_name == "thanhtri-clerk"
    assert _entries(db_session, "user.logout")[-1].actor_name == "thanhtri-clerk"
    assert PASSWORD not in " ".join(e.data for e in _entries(db_session))


def test_unknown_username_goes_to_the_system_chain(client, demo, login, db_session):
    login("ghost-user", "whatever-123")
    entry = _entries(db_session, "user.login_failed")[-1]
    assert entry.chain == "system" and entry.agency_id is None


def test_user_role_and_book_changes_are_audited_with_the_actor(client, demo, api_token, db_session):
    headers = api_token("thanhtri-admin")
    users = client.get("/api/v1/users", headers=headers).get_json()["items"]
    clerk = next(u for u in users if u["username"] == "thanhtri-clerk")
    client.patch(f"/api/v1/users/{clerk['id']}", headers=headers, json={"position": "Văn thư chính", "roles": ["clerk", "leader"]})
    book = client.get("/api/v1/registry/books", headers=headers).get_json()["items"][0]
    client.patch(f"/api/v1/registry/books/{book['id']}", headers=headers, json={"name": "Sổ đi 2026"})
    update, = _entries(db_session, "user.update")
    assert json.loads(update.data) == {"position": ["Văn thư", "Văn thư chính"]}
    roles, = _entries(db_session, "user.roles")
    assert json.loads(roles.data) == {"new": ["clerk", "leader"], "old": ["clerk"]} and roles.actor_name == "thanhtri-admin"
    book_entry = _entries(db_session, "book.update")[-1]
    assert json.loads(book_entry.data)["name"] == ["Sổ văn bản đi", "Sổ đi 2026"] or "Sổ đi 2026" in book_entry.data


def test_audit_entry_rolls_back_with_the_change(app, demo, db_session):
    from eoffice.accounts.services import create_unit

    before = len(_entries(db_session))
    with pytest.raises(RuntimeError):
        with db_session.begin_nested():
            create_unit(demo["thanhtri"], name="Tạm", abbreviation="TAM")
            raise RuntimeError("the change fails after its audit entry was written")
    assert len(_entries(db_session)) == before


def test_chain_verifies_and_the_database_refuses_changes(app, demo, db_session):
    from eoffice.audit.services import verify_chain

    report = verify_chain()
    assert report.ok and report.entries == len(_entries(db_session)) and report.chains == 2
    with pytest.raises(Exception, match="append-only"):
        with db_session.begin_nested():
            db_session.execute(text("UPDATE audit_entry SET action = 'x'"))
    with pytest.raises(Exception, match="append-only"):
        with db_session.begin_nested():
            db_session.execute(text("DELETE FROM audit_entry"))


def _drop_triggers(db_session):
    """What an attacker with database access would do first; DDL is transactional, so the test rolls it back."""
    if db_session.get_bind().dialect.name == "postgresql":
        db_session.execute(text("ALTER TABLE audit_entry DISABLE TRIGGER audit_entry_no_update"))
    else:
        db_session.execute(text("DROP TRIGGER audit_entry_no_update"))
        db_session.execute(text("DROP TRIGGER audit_entry_no_delete"))


def _victim(db_session, demo, seq=5):
    from eoffice.audit.models import AuditEntry

    return db_session.scalar(select(AuditEntry).where(AuditEntry.chain == f"agency:{demo['sonoivu'].id}",
                                                      AuditEntry.seq == seq))


def test_verify_names_an_altered_entry(runner, demo, db_session):
    victim = _victim(db_session, demo)
    _drop_triggers(db_session)
    db_session.execute(text("UPDATE audit_entry SET data = :d WHERE id = :id"), {"d": '{"username": "forged"}', "id": victim.id})
    result = runner.invoke(args=["audit", "verify"])
    assert result.exit_code == 1
    assert f"chain agency:{demo['sonoivu'].id}: entry #5 (id {victim.id}) altered" in result.output


def test_verify_names_a_removed_entry(runner, demo, db_session):
    victim = _victim(db_session, demo, seq=3)
    _drop_triggers(db_session)
    db_session.execute(text("DELETE FROM audit_entry WHERE id = :id"), {"id": victim.id})
    result = runner.invoke(args=["audit", "verify"])
    assert result.exit_code == 1
    assert f"chain agency:{demo['sonoivu'].id}: entry #3 removed" in result.output


def test_verify_notices_entries_cut_off_the_end(runner, demo, db_session):
    from eoffice.audit.models import AuditEntry

    chain = f"agency:{demo['thanhtri'].id}"
    last = db_session.scalar(select(AuditEntry).where(AuditEntry.chain == chain).order_by(AuditEntry.seq.desc()))
    _drop_triggers(db_session)
    db_session.execute(text("DELETE FROM audit_entry WHERE id = :id"), {"id": last.id})
    result = runner.invoke(args=["audit", "verify"])
    assert result.exit_code == 1 and f"entry #{last.seq} removed" in result.output


def test_verify_reports_ok(runner, demo):
    result = runner.invoke(args=["audit", "verify"])
    assert result.exit_code == 0 and result.output.startswith("OK: ")
