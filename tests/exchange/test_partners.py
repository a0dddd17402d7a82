"""The partner directory: services with their validation, audit, CSV/JSON import, the demo's local partners, the
admin pages, and the API's access matrix."""

import io
import json

import pytest
from sqlalchemy import select

from eoffice.exchange.models import ExchangePartner

ROLES = ("admin", "clerk", "leader", "specialist")
PARTNER = {"organ_id": "000.00.00.G22", "name": "Văn phòng Chính phủ", "organization_in_charge": "Chính phủ",
           "address": "Số 1 Hoàng Hoa Thám, Ba Đình, Hà Nội", "email": "vanthu@chinhphu.vn",
           "telephone": "080 43162", "fax": "080 44130", "website": "chinhphu.vn",
           "base_url": "https://edoc.chinhphu.vn/", "kind": "endpoint"}


def _partner(db_session, agency, organ_id):
    return db_session.scalar(select(ExchangePartner).where(ExchangePartner.agency_id == agency.id,
                                                           ExchangePartner.organ_id == organ_id))


def test_demo_agencies_are_local_partners_of_each_other(demo, db_session):
    thanhtri, sonoivu = demo["thanhtri"], demo["sonoivu"]
    theirs = _partner(db_session, thanhtri, sonoivu.code)
    assert (theirs.kind, theirs.target_agency_id, theirs.name, theirs.base_url) == (
        "local", sonoivu.id, sonoivu.name, "")
    assert theirs.address == sonoivu.address and theirs.email == sonoivu.email
    assert _partner(db_session, sonoivu, thanhtri.code).target_agency_id == thanhtri.id


def test_create_update_deactivate_are_audited(demo, db_session):
    from eoffice.audit.models import AuditEntry
    from eoffice.exchange import services

    agency = demo["thanhtri"]
    partner = services.create_partner(agency, PARTNER)
    assert partner.base_url == "https://edoc.chinhphu.vn" and partner.active
    services.update_partner(partner, {"telephone": "080 00000"})
    services.deactivate_partner(partner)
    actions = db_session.scalars(select(AuditEntry.action).where(
        AuditEntry.object_type == "exchange_partner", AuditEntry.object_id == str(partner.id))
        .order_by(AuditEntry.id)).all()
    assert actions == ["exchange.partner_create", "exchange.partner_update", "exchange.partner_deactivate"]


@pytest.mark.parametrize("data, field", [
    ({"name": "Không mã"}, "organ_id"),
    ({"organ_id": "000.00.00.G22"}, "name"),
    ({**PARTNER, "organ_id": "x" * 65}, "organ_id"),
    ({**PARTNER, "organ_id": "000 00"}, "organ_id"),
    ({**PARTNER, "email": "không-phải-thư"}, "email"),
    ({**PARTNER, "base_url": "ftp://edoc.example.vn"}, "base_url"),
    ({**PARTNER, "kind": "hub"}, "kind"),
    ({**PARTNER, "kind": "local"}, "organ_id"),  # no agency of this deployment has that code
    ({**PARTNER, "certificates": "not a certificate"}, "certificates"),
])
def test_invalid_partners_are_refused_with_the_field(demo, data, field):
    from eoffice.core.errors import ValidationFailed
    from eoffice.exchange import services

    with pytest.raises(ValidationFailed) as refused:
        services.create_partner(demo["thanhtri"], data)
    assert field in refused.value.details["fields"]


def test_a_long_identifier_code_of_any_shape_is_kept(demo):
    from eoffice.exchange import services

    code = "H55.31.000.00.2026-mã-mới-dài-hơn-35-ký-tự"
    assert len(code) > 35
    assert services.create_partner(demo["thanhtri"], {"organ_id": code, "name": "Cơ quan X"}).organ_id == code


def test_local_partner_must_not_be_the_agency_itself(demo):
    from eoffice.core.errors import ValidationFailed
    from eoffice.exchange import services

    with pytest.raises(ValidationFailed):
        services.create_partner(demo["thanhtri"], {"kind": "local", "organ_id": demo["thanhtri"].code})


def test_csv_import_creates_updates_and_is_all_or_nothing(demo, db_session):
    from eoffice.core.errors import ValidationFailed
    from eoffice.exchange import services

    agency = demo["thanhtri"]
    good = ("\ufefforgan_id,name,email,kind,base_url\n"
            "000.00.00.G22,Văn phòng Chính phủ,vt@chinhphu.vn,endpoint,https://edoc.chinhphu.vn\n"
            f"{demo['sonoivu'].code},,,local,\n").encode()
    result = services.import_partners(agency, good, fmt="csv")
    assert [p.organ_id for p in result.created] == ["000.00.00.G22"]
    assert [p.organ_id for p in result.updated] == [demo["sonoivu"].code]
    db_session.commit()
    bad = ("organ_id,name,email\n000.00.00.G22,Văn phòng Chính phủ (mới),vt@chinhphu.vn\n"
           "000.01.00.G01,,\n000.00.00.G22,Trùng,\n").encode()
    with pytest.raises(ValidationFailed) as refused:
        services.import_partners(agency, bad, fmt="csv")
    assert [(r["row"], sorted(r["fields"])) for r in refused.value.details["rows"]] == [
        (2, ["name"]), (3, ["organ_id"])]
    db_session.rollback()  # as the request would
    assert _partner(db_session, agency, "000.00.00.G22").name == "Văn phòng Chính phủ"
    assert _partner(db_session, agency, "000.01.00.G01") is None


def test_json_import_with_certificates(demo, db_session):
    from eoffice.exchange import services

    pem = _self_signed_pem()
    data = json.dumps({"partners": [{**PARTNER, "certificates": [pem]}]}).encode()
    partner = services.import_partners(demo["thanhtri"], data, fmt="json").created[0]
    assert len(partner.certificates) == 1 and "Văn phòng Chính phủ" in partner.certificates[0].subject
    # importing the same certificate again adds nothing
    services.import_partners(demo["thanhtri"], data, fmt="json")
    assert len(partner.certificates) == 1


def _self_signed_pem() -> str:
    from datetime import datetime, timedelta, timezone

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import NameOID

    key = rsa.generate_private_key(65537, 2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Văn phòng Chính phủ")])
    now = datetime.now(timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now).not_valid_after(now + timedelta(days=30))
            .sign(key, hashes.SHA256()))
    return cert.public_bytes(serialization.Encoding.PEM).decode()


# -- API --------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("role", ROLES)
def test_api_access_matrix(client, demo, db_session, api_token, role):
    headers = api_token(f"thanhtri-{role}")
    admin = role == "admin"
    other = _partner(db_session, demo["sonoivu"], demo["thanhtri"].code)  # the other agency's partner
    mine = _partner(db_session, demo["thanhtri"], demo["sonoivu"].code)
    csv_file = {"file": (io.BytesIO(b"organ_id,name\n000.02.00.H55,S\xe1\xbb\x9f T\xc6\xb0 ph\xc3\xa1p\n"), "p.csv")}
    calls = [
        ("GET", "/api/v1/exchange/partners", None, 200),
        ("POST", "/api/v1/exchange/partners", {"json": PARTNER}, 201),
        ("GET", f"/api/v1/exchange/partners/{mine.id}", None, 200),
        ("PATCH", f"/api/v1/exchange/partners/{mine.id}", {"json": {"telephone": "0299 1"}}, 200),
        ("POST", "/api/v1/exchange/partners/import", {"data": csv_file, "content_type": "multipart/form-data"}, 200),
        ("GET", f"/api/v1/exchange/partners/{other.id}", None, 404),
        ("PATCH", f"/api/v1/exchange/partners/{other.id}", {"json": {"active": False}}, 404),
    ]
    for method, url, kwargs, expected in calls:
        response = client.open(url, method=method, headers=headers, **(kwargs or {}))
        assert response.status_code == (expected if admin else 403), (role, method, url, response.get_json())
    db_session.expire_all()
    assert other.active


def test_api_create_update_deactivate_and_errors(client, demo, api_token):
    headers = api_token("thanhtri-admin")
    created = client.post("/api/v1/exchange/partners", headers=headers, json=PARTNER)
    assert created.status_code == 201
    body = created.get_json()
    assert {k: body[k] for k in ("organ_id", "kind", "base_url", "active")} == {
        "organ_id": "000.00.00.G22", "kind": "endpoint", "base_url": "https://edoc.chinhphu.vn", "active": True}
    again = client.post("/api/v1/exchange/partners", headers=headers, json=PARTNER)
    assert again.status_code == 409 and again.get_json()["error"]["code"] == "conflict"
    wrong = client.post("/api/v1/exchange/partners", headers=headers, json={"name": "X"})
    assert wrong.status_code == 422 and "organ_id" in wrong.get_json()["error"]["details"]["fields"]
    off = client.patch(f"/api/v1/exchange/partners/{body['id']}", headers=headers, json={"active": False})
    assert off.status_code == 200 and off.get_json()["active"] is False
    bad_import = client.post("/api/v1/exchange/partners/import", headers=headers, json=[{"name": "không mã"}])
    assert bad_import.status_code == 422
    assert bad_import.get_json()["error"]["details"]["rows"][0]["row"] == 1


# -- pages ------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("role", ROLES)
def test_pages_are_for_admins(client, demo, db_session, login, role):
    login(f"thanhtri-{role}")
    other = _partner(db_session, demo["sonoivu"], demo["thanhtri"].code)
    page = client.get("/exchange/partners")
    assert page.status_code == (200 if role == "admin" else 403)
    assert client.get(f"/exchange/partners/{other.id}").status_code == (404 if role == "admin" else 403)
    assert client.post(f"/exchange/partners/{other.id}/deactivate").status_code == (404 if role == "admin" else 403)


def test_admin_adds_edits_imports_and_deactivates_in_vietnamese(client, demo, db_session, login):
    login("thanhtri-admin")
    page = client.get("/exchange/partners").get_data(as_text=True)
    assert "Đối tác liên thông" in page and demo["sonoivu"].code in page
    refused = client.post("/exchange/partners/new", data={"kind": "endpoint", "name": "Không mã"})
    assert refused.status_code == 422
    added = client.post("/exchange/partners/new", data={**PARTNER, "certificates": _self_signed_pem()})
    assert added.status_code == 303
    partner = _partner(db_session, demo["thanhtri"], "000.00.00.G22")
    assert len(partner.certificates) == 1
    form = client.get(f"/exchange/partners/{partner.id}").get_data(as_text=True)
    assert "Chứng thư số" in form
    imported = client.post("/exchange/partners/import", content_type="multipart/form-data",
                           data={"file": (io.BytesIO("organ_id,name\n000.02.00.H55,Sở Tư pháp\n".encode()), "p.csv")})
    assert imported.status_code == 303
    bad = client.post("/exchange/partners/import", content_type="multipart/form-data",
                      data={"file": (io.BytesIO(b"organ_id,name\n,\n"), "p.csv")})
    assert bad.status_code == 422 and "Dòng 1" in bad.get_data(as_text=True)
    assert client.post(f"/exchange/partners/{partner.id}/deactivate").status_code == 303
    db_session.expire_all()
    assert not partner.active
