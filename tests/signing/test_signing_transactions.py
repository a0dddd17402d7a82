"""Signing parses the user's PDFs and may call the timestamp authority: no database transaction is open
meanwhile, so a slow signature never holds SQLite's write lock (or row locks) against other users."""

from __future__ import annotations

import io

import pytest

from eoffice.signing.samples import make_sample_pdf
from support import PASSWORD


@pytest.fixture
def demo_pki(app, demo, db_session, monkeypatch):
    from eoffice.signing.demo import set_up_demo_pki

    monkeypatch.setitem(app.config, "DEMO_MODE", True)
    set_up_demo_pki(list(demo.values()), PASSWORD)
    db_session.commit()
    return demo


@pytest.fixture
def transaction_seen(monkeypatch):
    """Records, for every document signed, whether the session had a transaction open at that moment."""
    from eoffice.extensions import db
    from eoffice.signing import operations

    seen = []
    real = operations.iter_batch_sign

    def watching(pdfs, signer, **options):
        for result in real(pdfs, signer, **options):
            seen.append(db.session().in_transaction())
            yield result

    monkeypatch.setattr(operations, "iter_batch_sign", watching)
    return seen


def _sign(client, headers, pin):
    return client.post("/api/v1/signatures/sign", headers=headers, content_type="multipart/form-data",
                       data={"pin": pin, "file": [(io.BytesIO(make_sample_pdf(1)), "a.pdf"),
                                                  (io.BytesIO(make_sample_pdf(2)), "b.pdf")]})


def test_documents_are_signed_with_no_transaction_open(client, demo_pki, api_token, transaction_seen):
    response = _sign(client, api_token("thanhtri-leader"), PASSWORD)
    assert response.status_code == 200 and response.mimetype == "application/zip"
    assert transaction_seen == [False, False]


def test_a_wrong_pin_is_still_counted_after_the_transaction_was_closed(client, demo_pki, api_token, db_session):
    from sqlalchemy import select

    from eoffice.accounts.models import User
    from eoffice.signing.models import SigningCredential

    headers = api_token("thanhtri-leader")
    first, second = _sign(client, headers, "0000"), _sign(client, headers, "1111")
    assert (first.status_code, second.status_code) == (403, 403)
    assert second.get_json()["error"]["details"]["attempts_left"] == first.get_json()["error"]["details"]["attempts_left"] - 1
    leader = db_session.scalar(select(User).where(User.username == "thanhtri-leader"))
    db_session.expire_all()
    credential = db_session.scalar(select(SigningCredential).where(SigningCredential.user_id == leader.id,
                                                                  SigningCredential.active.is_(True)))
    assert credential.failed_pins == 2
    assert _sign(client, headers, PASSWORD).status_code == 200
    db_session.expire_all()
    assert db_session.get(SigningCredential, credential.id).failed_pins == 0
