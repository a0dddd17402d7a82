"""The envelope signed with the agency seal through the signing module (the clerk's PIN), and checked on receipt
against the partner directory: a local partner's envelopes verify against its agency's seal certificate."""

import pytest
from lxml import etree
from sqlalchemy import select

from support import PASSWORD

from .test_envelope import PACKAGE


@pytest.fixture
def sealed_demo(app, demo, db_session, monkeypatch):
    from eoffice.signing.demo import set_up_demo_pki

    monkeypatch.setitem(app.config, "DEMO_MODE", True)
    set_up_demo_pki(list(demo.values()), PASSWORD)
    db_session.commit()
    return demo


def _user(db_session, username):
    from eoffice.accounts.models import User

    return db_session.scalar(select(User).where(User.username == username))


def _partner(db_session, agency, other):
    from eoffice.exchange.models import ExchangePartner

    return db_session.scalar(select(ExchangePartner).where(ExchangePartner.agency_id == agency.id,
                                                           ExchangePartner.target_agency_id == other.id))


def test_the_clerk_seals_and_the_local_partner_verifies(sealed_demo, db_session):
    from eoffice.core.errors import ValidationFailed
    from eoffice.exchange.envelope import parse_xml
    from eoffice.exchange.services import seal_envelope, verify_partner_envelope

    thanhtri, sonoivu = sealed_demo["thanhtri"], sealed_demo["sonoivu"]
    signed = etree.tostring(seal_envelope(parse_xml(PACKAGE), PASSWORD, actor=_user(db_session, "thanhtri-clerk")))
    # At Sở Nội vụ, Thạnh Trị is a local partner: its seal certificate is the one expected.
    verified = verify_partner_envelope(_partner(db_session, sonoivu, thanhtri), signed)
    assert "Thạnh Trị" in verified.signer.subject.rfc4514_string()
    # The same package claimed to come from Sở Nội vụ (checked against its seal) is refused.
    with pytest.raises(ValidationFailed) as refused:
        verify_partner_envelope(_partner(db_session, thanhtri, sonoivu), signed)
    assert refused.value.code == "untrusted_signer"


def test_only_clerks_seal_and_a_wrong_pin_counts(sealed_demo, db_session):
    from eoffice.core.errors import Forbidden
    from eoffice.exchange.envelope import parse_xml
    from eoffice.exchange.services import seal_envelope
    from eoffice.signing.services import PinRefused, active_credential

    with pytest.raises(Forbidden):
        seal_envelope(parse_xml(PACKAGE), PASSWORD, actor=_user(db_session, "thanhtri-specialist"))
    with pytest.raises(PinRefused):
        seal_envelope(parse_xml(PACKAGE), "sai-mã-PIN", actor=_user(db_session, "thanhtri-clerk"))
    assert active_credential(sealed_demo["thanhtri"].id, None).failed_pins == 1
