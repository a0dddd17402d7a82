"""Fixtures of the incoming tests: the demo agencies, a sample PDF, and a quick way to make documents at any
stage (received, registered, directed) through the services, as the clerk and the leader would."""

from __future__ import annotations

import io
from datetime import date

import pytest
from sqlalchemy import select

from eoffice.signing.samples import make_sample_pdf
from support import iso_day


@pytest.fixture(scope="session")
def sample_pdf() -> bytes:
    return make_sample_pdf(1)


class World:
    """Named objects of the demo agencies and shortcuts to the services."""

    def __init__(self, db_session, demo, pdf):
        from eoffice.accounts.models import Unit, User
        from eoffice.registry.models import RegistryBook

        self.db, self.demo, self.pdf = db_session, demo, pdf
        self.users = {u.username: u for u in db_session.scalars(select(User))}
        self.units = {(u.agency_id, u.abbreviation): u for u in db_session.scalars(select(Unit))}
        self.books = {(b.agency_id, b.name): b for b in db_session.scalars(select(RegistryBook))}

    def user(self, name):
        return self.users[name]

    def unit(self, agency, abbreviation):
        return self.units[(self.demo[agency].id, abbreviation)]

    def book(self, agency, secret=False):
        return self.books[(self.demo[agency].id, "Sổ văn bản đến (Mật)" if secret else "Sổ văn bản đến")]

    def receive(self, agency="thanhtri", **fields):
        from eoffice.incoming import services

        values = {"issuer_name": "Ủy ban nhân dân tỉnh Sóc Trăng", "subject": "Về việc cải cách hành chính năm 2027",
                  "code_number": "15", "code_notation": "QĐ-UBND", "issued_date": date(2026, 11, 2)}
        values.update(fields)
        doc = services.create_incoming(self.demo[agency], actor=self.user(f"{agency}-clerk"),
                                       files=[("van-ban.pdf", self.pdf)], **values)
        self.db.commit()
        return doc

    def register(self, doc, agency="thanhtri", **kwargs):
        from eoffice.incoming import services

        kwargs.setdefault("book", self.book(agency, secret=doc.secret))
        if doc.secret:
            kwargs.setdefault("presented_to", self.user(f"{agency}-leader"))
        services.register_incoming(doc, actor=self.user(f"{agency}-clerk"), **kwargs)
        self.db.commit()
        return doc

    def direct(self, doc, agency="thanhtri", lead=None, **kwargs):
        from eoffice.incoming import services

        lead = lead or {"user_id": self.user(f"{agency}-specialist").id}
        services.direct_incoming(doc, actor=self.user(f"{agency}-leader"), opinion=kwargs.pop("opinion", "Giao xử lý"),
                                 lead=lead, **kwargs)
        self.db.commit()
        return doc

    def directed(self, agency="thanhtri", **kwargs):
        return self.direct(self.register(self.receive(agency)), agency, **kwargs)


@pytest.fixture
def world(db_session, demo, sample_pdf):
    return World(db_session, demo, sample_pdf)


def upload(client, headers, pdf, name="van-ban.pdf", **fields):
    data = {"issuer_name": "Ủy ban nhân dân tỉnh Sóc Trăng", "subject": "Về việc báo cáo công tác văn thư",
            "code_number": "07", "code_notation": "UBND-VP", "issued_date": iso_day(-6), **fields,
            "file": (io.BytesIO(pdf), name)}
    return client.post("/api/v1/incoming", headers=headers, data=data, content_type="multipart/form-data")
