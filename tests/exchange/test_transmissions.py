"""Transmission tracking: documents of each mode issued through the outgoing flow, the figures and failures of the
admin page and `GET /api/v1/exchange/transmissions`, the recipient outcomes on the sender's document, and the
outgoing register's transfer date (only once a package was accepted).

The delivery pipeline's results (a package sent or dead, a status code back) are written onto the rows the
pipeline owns, as it would leave them, so these tests read the same whichever transports are installed."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest
from sqlalchemy import select

from outgoing.conftest import demo_pki, flow, pki_server, sample_pdf  # noqa: F401,F811  (the outgoing fixtures)
from outgoing.helpers import unit
from support import day, iso_day

ROLES = ("admin", "clerk", "leader", "specialist")


def _recipients(db_session, doc_id):
    from eoffice.outgoing.models import OutgoingRecipient

    db_session.flush()
    db_session.expire_all()  # what the requests wrote
    return {r.name: r for r in db_session.scalars(select(OutgoingRecipient).where(
        OutgoingRecipient.document_id == doc_id).order_by(OutgoingRecipient.id))}


def _package(db_session, recipient):
    from eoffice.exchange.models import OutboxPackage

    return db_session.scalar(select(OutboxPackage).where(OutboxPackage.recipient_id == recipient.id,
                                                         OutboxPackage.business_type == 0))


def _partner(client, flow, name, organ_id):
    created = client.post("/api/v1/outgoing/partners", headers=flow.headers("thanhtri-clerk"),
                          json={"name": name, "organ_id": organ_id})
    assert created.status_code == 201, created.get_json()
    return created.get_json()["id"]


def _at(offset_days: int = 0) -> datetime:
    """Noon of `day(offset_days)` in Vietnam, as the UTC time the rows keep."""
    return datetime.combine(day(offset_days), datetime.min.time()).replace(hour=5, tzinfo=timezone.utc)


@pytest.fixture
def issued(client, flow, demo_pki, db_session):
    """thanhtri issues one document of each mode and a secret one; the pipeline's results are then set: the
    Department of Justice registered the fully electronic one (03), the package to Finance is dead. (Partners of
    another deployment without an address: no transport of the test reaches them and changes these.)"""
    thanhtri = demo_pki["thanhtri"]
    partner_id = _partner(client, flow, "Sở Tài chính tỉnh Sóc Trăng", "000.03.00.H55")
    justice_id = _partner(client, flow, "Sở Tư pháp tỉnh Sóc Trăng", "000.09.00.H55")
    docs = {
        "electronic": flow.to_signed(subject="Về việc điện tử hoàn toàn", recipients=[
            {"kind": "partner", "partner_id": justice_id, "mode": "electronic"},
            {"kind": "unit", "unit_id": unit(db_session, thanhtri, "TCKH").id, "mode": "electronic"}]),
        "mixed": flow.to_signed(subject="Về việc gửi kèm bản giấy", recipients=[
            {"kind": "partner", "partner_id": partner_id, "mode": "electronic_paper"},
            {"kind": "place", "name": "Như Điều 3"}]),
        "paper": flow.to_signed(subject="Về việc chỉ gửi bản giấy", recipients=[
            {"kind": "place", "name": "Ban Thường vụ Huyện ủy"}]),
        "secret": flow.to_signed(subject="Về việc bí mật", secrecy="mat", recipients=[
            {"kind": "place", "name": "Công an huyện"}]),
    }
    for name, doc_id in docs.items():
        flow.issue(doc_id, thanhtri, secret=name == "secret")
    to_justice = _recipients(db_session, docs["electronic"])["Sở Tư pháp tỉnh Sóc Trăng"]
    to_justice.exchange_status, to_justice.status_at = "03", _at()
    to_partner = _recipients(db_session, docs["mixed"])["Sở Tài chính tỉnh Sóc Trăng"]
    package = _package(db_session, to_partner)
    package.status, package.attempts = "dead", 8
    to_partner.exchange_status = ""
    db_session.commit()
    return docs


def _api(client, flow, **params):
    return client.get("/api/v1/exchange/transmissions", headers=flow.headers("thanhtri-admin"),
                      query_string=params)


def test_figures_by_mode_with_the_secret_document_excluded(client, flow, issued, demo_pki, db_session):
    body = _api(client, flow, **{"from": iso_day(-1), "to": iso_day()})
    assert body.status_code == 200, body.get_json()
    data = body.get_json()
    assert data["from"] == iso_day(-1) and data["to"] == iso_day() and data["unit"] is None
    assert data["outgoing"] == {"issued": 3, "secret_excluded": 1, "fully_electronic": 1,
                                "electronic_and_paper": 1, "paper_only": 1, "fully_electronic_ratio": 0.3333}
    # Deliveries: the secret document's recipient is not one of them.
    assert data["deliveries"]["total"] == 5
    assert data["deliveries"]["by_mode"] == {"electronic": 2, "electronic_paper": 1, "paper": 2}
    outcomes = data["deliveries"]["by_outcome"]
    assert outcomes.get("03") == 1 and outcomes.get("dead") == 1 and outcomes.get("not_sent", 0) >= 2, data
    assert [(f["name"], f["outcome"], f["outcome_label"], f["attempts"]) for f in data["failures"]] == [
        ("Sở Tài chính tỉnh Sóc Trăng", "dead", "Không gửi được (đã hết số lần thử)", 8)]
    everything = _api(client, flow, deliveries="1").get_json()
    assert "Công an huyện" not in {d["name"] for d in everything["items"]}
    assert {d["subject"] for d in everything["items"]} == {
        "Về việc điện tử hoàn toàn", "Về việc gửi kèm bản giấy", "Về việc chỉ gửi bản giấy"}


def test_period_and_unit_filters(client, flow, issued, demo_pki, db_session):
    from eoffice.outgoing.models import OutgoingDocument

    thanhtri = demo_pki["thanhtri"]
    nv, tckh = unit(db_session, thanhtri, "NV"), unit(db_session, thanhtri, "TCKH")
    # The paper-only document was issued forty days ago by the finance office.
    paper = db_session.get(OutgoingDocument, issued["paper"])
    paper.issued_date, paper.drafting_unit_id = day(-40), tckh.id
    db_session.commit()

    def figures(**params):
        response = _api(client, flow, **params)
        assert response.status_code == 200, response.get_json()
        return response.get_json()["outgoing"]

    assert figures(**{"from": iso_day(-7), "to": iso_day()})["issued"] == 2
    assert figures(**{"from": iso_day(-45), "to": iso_day(-30)}) == {
        "issued": 1, "secret_excluded": 0, "fully_electronic": 0, "electronic_and_paper": 0, "paper_only": 1,
        "fully_electronic_ratio": 0.0}
    assert figures(**{"from": iso_day(1), "to": iso_day(2)})["fully_electronic_ratio"] is None
    assert figures(**{"from": iso_day(-45), "to": iso_day(), "unit": nv.id}) == {
        "issued": 2, "secret_excluded": 1, "fully_electronic": 1, "electronic_and_paper": 1, "paper_only": 0,
        "fully_electronic_ratio": 0.5}
    by_tckh = _api(client, flow, **{"from": iso_day(-45), "to": iso_day(), "unit": tckh.id}).get_json()
    assert by_tckh["unit"] == tckh.id and by_tckh["outgoing"]["issued"] == 1 and by_tckh["failures"] == []
    # Without a period: 1 January to today, which holds today's documents.
    assert _api(client, flow).get_json()["to"] == iso_day()


def test_bad_dates_and_units_are_refused(client, flow, demo):
    for params in ({"from": "31/12/2025"}, {"to": "2025-13-01"}, {"from": iso_day(), "to": iso_day(-1)},
                   {"unit": "x"}):
        response = _api(client, flow, **params)
        assert response.status_code == 422, params
        assert set(response.get_json()["error"]) == {"code", "message", "details"}
    from eoffice.accounts.models import Unit
    from eoffice.extensions import db

    theirs = db.session.scalar(select(Unit.id).where(Unit.agency_id == demo["sonoivu"].id))
    assert _api(client, flow, unit=theirs).status_code == 404


@pytest.mark.parametrize("role", ROLES)
def test_access_matrix(client, demo, api_token, login, role):
    expected = 200 if role == "admin" else 403
    api = client.get("/api/v1/exchange/transmissions", headers=api_token(f"thanhtri-{role}"))
    assert api.status_code == expected
    if expected == 403:
        assert api.get_json()["error"]["code"]
    login(f"thanhtri-{role}")
    page = client.get("/exchange/transmissions")
    assert page.status_code == expected
    home = client.get("/").get_data(as_text=True)
    assert ('href="/exchange/transmissions"' in home) is (role == "admin")
    assert ('href="/exchange/partners"' in home) is (role == "admin")


def test_without_a_login_nothing_is_shown(client, demo):
    assert client.get("/api/v1/exchange/transmissions").status_code == 401
    assert client.get("/exchange/transmissions").status_code in (302, 401)


def test_each_agency_sees_its_own_documents(client, flow, issued, api_token):
    data = client.get("/api/v1/exchange/transmissions?deliveries=1", headers=api_token("sonoivu-admin")).get_json()
    assert data["outgoing"]["issued"] == 0 and data["items"] == [] and data["failures"] == []


def test_the_page_in_vietnamese(client, flow, issued, demo_pki, db_session, login):
    login("thanhtri-admin")
    page = client.get(f"/exchange/transmissions?from={day(-1):%d/%m/%Y}&to={day():%d/%m/%Y}")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "Theo dõi gửi văn bản điện tử" in text and "Tỷ lệ văn bản gửi hoàn toàn điện tử" in text
    assert "33,33 %" in text and "1 trên 3 văn bản được gửi hoàn toàn điện tử" in text
    assert 'data-figure="secret_excluded">1<' in text and 'data-mode="electronic_paper">1<' in text
    failures = text.split('data-testid="failures"')[1].split("</table>")[0]
    assert "Sở Tài chính tỉnh Sóc Trăng" in failures and "Không gửi được (đã hết số lần thử)" in failures
    assert "Về việc điện tử hoàn toàn" not in failures
    assert "Đã tiếp nhận, vào sổ (03)" in text and "Về việc bí mật" not in text
    assert f'value="{day(-1):%d/%m/%Y}"' in text
    wrong = client.get(f"/exchange/transmissions?from={iso_day(-30)}")  # the page takes dd/mm/yyyy, not ISO
    assert wrong.status_code == 422 and "Ngày phải có dạng dd/mm/yyyy." in wrong.get_data(as_text=True)


def test_the_sender_sees_each_recipient_and_the_register_dates_transfers(client, flow, demo_pki, db_session, login):
    """Item 7: the statuses with their times on the document (API and page); the register prints a transfer
    date once a package was accepted, not at issuing."""
    thanhtri = demo_pki["thanhtri"]
    partner_id = _partner(client, flow, "Sở Xây dựng tỉnh Sóc Trăng", "000.07.00.H55")
    doc_id = flow.to_signed(recipients=[{"kind": "partner", "partner_id": partner_id, "mode": "electronic"},
                                        {"kind": "place", "name": "Như Điều 3"}])
    issued = flow.issue(doc_id, thanhtri)
    clerk = flow.headers("thanhtri-clerk")

    def transfer_cell():
        rows = client.get("/api/v1/outgoing/register", headers=clerk).get_json()["rows"]
        return next(r["cells"][7] for r in rows if r["id"] == doc_id)

    to_partner = _recipients(db_session, doc_id)["Sở Xây dựng tỉnh Sóc Trăng"]
    if not to_partner.exchange_status:  # no transport reached it: nothing was transferred
        assert transfer_cell() == ""
        outcome = next(r for r in issued["recipients"] if r["kind"] == "partner")
        assert outcome["outcome"] in ("not_sent", "sent", "failed", "dead")
    # Rejected (02) is no transfer either.
    to_partner.exchange_status, to_partner.status_at = "02", _at()
    db_session.commit()
    assert transfer_cell() == ""
    assert [r["outcome_label"] for r in flow.get("thanhtri-clerk", doc_id)["recipients"]][0] == "Bị từ chối (02)"

    # Arrived (01), then registered (03) two days later: the register dates the transfer, the page says 03.
    to_partner = _recipients(db_session, doc_id)["Sở Xây dựng tỉnh Sóc Trăng"]
    to_partner.exchange_status, to_partner.status_at = "01", _at(-2)
    db_session.commit()
    assert transfer_cell() == f"{day(-2):%d/%m/%Y}"
    to_partner = _recipients(db_session, doc_id)["Sở Xây dựng tỉnh Sóc Trăng"]
    to_partner.exchange_status = "03"
    db_session.commit()
    shown = flow.get("thanhtri-clerk", doc_id)["recipients"]
    assert [(r["outcome"], r["outcome_label"]) for r in shown] == [
        ("03", "Đã tiếp nhận, vào sổ (03)"), ("not_sent", "Chưa gửi")]
    assert shown[0]["status_at"].startswith(iso_day(-2)) and shown[0]["status_at"].endswith("+07:00")
    login("thanhtri-clerk")
    page = client.get(f"/outgoing/{doc_id}").get_data(as_text=True)
    recipients = page.split('data-testid="recipients"')[1].split("</table>")[0]
    assert 'data-outcome="03">Đã tiếp nhận, vào sổ (03)' in recipients and f"{day(-2):%d/%m/%Y}" in recipients
    assert "Chưa gửi" in recipients


def test_a_paper_copy_recorded_as_sent_dates_the_transfer(client, flow, demo_pki, db_session):
    doc_id = flow.to_signed(recipients=[{"kind": "place", "name": "Ban Thường vụ Huyện ủy"}])
    issued = flow.issue(doc_id, demo_pki["thanhtri"])
    clerk = flow.headers("thanhtri-clerk")

    def row():
        return next(r for r in client.get("/api/v1/outgoing/register", headers=clerk).get_json()["rows"]
                    if r["id"] == doc_id)

    assert row()["cells"][7] == ""
    place = issued["recipients"][0]
    marked = client.post(f"/api/v1/outgoing/{doc_id}/recipients/{place['id']}/status", headers=clerk,
                         json={"status": "paper_sent", "note": "Bưu điện"})
    assert marked.status_code == 200 and marked.get_json()["outcome_label"] == "Đã gửi bản giấy"
    assert row()["cells"][7] == f"{day():%d/%m/%Y}"


@pytest.mark.parametrize("mode, status, code, package, expected", [
    ("paper", "pending", "", None, "not_sent"),
    ("paper", "paper_sent", "", None, "paper_sent"),
    ("electronic", "queued", "", "pending", "not_sent"),
    ("electronic", "queued", "", "sent", "sent"),
    ("electronic", "queued", "", "retrying", "failed"),
    ("electronic_paper", "failed", "", "dead", "dead"),
    ("electronic", "failed", "", "refused", "02"),
    ("electronic", "delivered", "", None, "sent"),  # a unit of the agency: in its inbox at issuing
    ("electronic", "queued", "05", "sent", "05"),  # a code back says more than the package
])
def test_outcome_of_one_delivery(mode, status, code, package, expected):
    from eoffice.exchange.transmissions import outcome_of

    assert outcome_of(mode=mode, status=status, code=code, package_status=package) == expected


def test_the_highest_code_of_the_history_and_the_last_one():
    from eoffice.exchange.transmissions import highest_code
    from eoffice.outgoing.models import OutgoingRecipient

    recipient = OutgoingRecipient(exchange_status="03")
    assert highest_code(recipient) == "03"
    assert highest_code(recipient, {"01": None, "04": None}) == "04"
    assert highest_code(OutgoingRecipient(exchange_status=""), {"13": None, "06": None}) == "13"
    assert highest_code(OutgoingRecipient(exchange_status="")) == ""
