"""Look-ups shared by the outgoing tests."""

from __future__ import annotations

from sqlalchemy import select

#: Head of thanhtri's Phòng Nội vụ, created by the demo_pki fixture; reviews the specialist's drafts.
UNIT_HEAD = "thanhtri-nv-head"


def user(db_session, username):
    from eoffice.accounts.models import User

    return db_session.scalar(select(User).where(User.username == username))


def unit(db_session, agency, abbreviation):
    from eoffice.accounts.models import Unit

    return db_session.scalar(select(Unit).where(Unit.agency_id == agency.id, Unit.abbreviation == abbreviation))


def doc_type(db_session, code):
    from eoffice.registry.models import DocumentType

    return db_session.scalar(select(DocumentType).where(DocumentType.code == code))


def out_book(db_session, agency, secret=False):
    from eoffice.registry.models import RegistryBook

    return db_session.scalar(select(RegistryBook).where(
        RegistryBook.agency_id == agency.id, RegistryBook.direction == "out", RegistryBook.secret.is_(secret)))
