"""Trust per audience: the public page trusts the deployment's list only, an agency's anchors serve its own users.

The attack: one agency's admin adds a rogue root to their trust store and signs a forgery under it. That must not
make the forgery valid on the public page, in the CLI, or for another agency's users.
"""

from __future__ import annotations

import io
import json
from io import BytesIO

import pytest
from asn1crypto import pem
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.sign import fields, signers
from sqlalchemy import select

from eoffice.signing.samples import make_sample_pdf


@pytest.fixture(scope="module")
def forged(pki) -> bytes:
    """A document signed by "Người Lạ", whose certificate chains to the rogue root."""
    meta = signers.PdfSignatureMetadata(field_name="Sig1", subfilter=fields.SigSeedSubFilter.PADES)
    writer = IncrementalPdfFileWriter(BytesIO(make_sample_pdf(1)))
    return signers.sign_pdf(writer, meta, signer=pki.unknown_root.signer).getvalue()


@pytest.fixture
def rogue_root_pem(pki) -> bytes:
    return pem.armor("CERTIFICATE", pki.rogue_arch.get_cert("root").dump())


@pytest.fixture
def no_demo_trust(app, monkeypatch, tmp_path):
    """No demo root and an empty deployment trust list of the test's own."""
    monkeypatch.setitem(app.config, "DEMO_MODE", False)
    folder = tmp_path / "trust"
    folder.mkdir()
    monkeypatch.setitem(app.config, "TRUST_LIST_PATH", str(folder))
    return folder


def _api_verify(client, headers, pdf) -> dict:
    response = client.post("/api/v1/signatures/verify", headers=headers,
                           data={"file": (io.BytesIO(pdf), "doc.pdf")}, content_type="multipart/form-data")
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def _public_verify(client, pdf) -> dict:
    page = client.post("/verify", data={"file": (io.BytesIO(pdf), "doc.pdf")}, content_type="multipart/form-data")
    assert page.status_code == 200
    token = page.get_data(as_text=True).split("/verify/report/")[1][:64]
    return json.loads(client.get(f"/verify/report/{token}.json").data)


def test_a_rogue_root_of_one_agency_fools_neither_the_public_page_nor_another_agency(
        app, client, demo, api_token, db_session, forged, rogue_root_pem, no_demo_trust, runner, tmp_path):
    from eoffice.audit.models import AuditEntry

    admin = api_token("thanhtri-admin")
    added = client.post("/api/v1/signing/trust-anchors", headers=admin,
                        data={"file": (io.BytesIO(rogue_root_pem), "rogue.pem")}, content_type="multipart/form-data")
    assert added.status_code == 201
    # The agency that chose to trust the root gets what it asked for, for its own users.
    own = _api_verify(client, api_token("thanhtri-specialist"), forged)["signatures"][0]
    assert own["trusted"] is True and own["intact"] is True

    other = _api_verify(client, api_token("sonoivu-leader"), forged)
    assert other["valid"] is False
    assert other["signatures"][0]["trusted"] is False
    assert other["signatures"][0]["indication"] != "TOTAL-PASSED"

    public = _public_verify(client, forged)
    assert public["valid"] is False and public["signatures"][0]["trusted"] is False

    path = tmp_path / "forged.pdf"
    path.write_bytes(forged)
    cli = runner.invoke(args=["signing", "verify", str(path), "--json"])
    assert cli.exit_code == 1, cli.output
    assert json.loads(cli.output)["signatures"][0]["trusted"] is False

    # Adding and removing an anchor are both in the agency's audit chain.
    anchor_id = added.get_json()["items"][0]["id"]
    assert client.delete(f"/api/v1/signing/trust-anchors/{anchor_id}", headers=admin).status_code == 204
    actions = db_session.scalars(select(AuditEntry.action).where(AuditEntry.agency_id == demo["thanhtri"].id,
                                                                  AuditEntry.action.like("trust.%"))).all()
    assert actions == ["trust.add", "trust.remove"]
    assert _api_verify(client, api_token("thanhtri-specialist"), forged)["signatures"][0]["trusted"] is False


def test_the_deployment_trust_list_serves_the_public_page_and_every_agency(
        client, demo, api_token, forged, rogue_root_pem, no_demo_trust, runner, tmp_path):
    assert _public_verify(client, forged)["signatures"][0]["trusted"] is False
    (no_demo_trust / "operator-root.pem").write_bytes(rogue_root_pem)
    (no_demo_trust / "README.md").write_text("not a certificate")
    (no_demo_trust / "broken.pem").write_bytes(b"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n")
    assert _public_verify(client, forged)["signatures"][0]["trusted"] is True
    for user in ("thanhtri-leader", "sonoivu-leader"):
        assert _api_verify(client, api_token(user), forged)["signatures"][0]["trusted"] is True
    path = tmp_path / "forged.pdf"
    path.write_bytes(forged)
    cli = runner.invoke(args=["signing", "verify", str(path), "--json"])
    assert json.loads(cli.output)["signatures"][0]["trusted"] is True
    # Taking the file out of the list takes the trust away at once.
    (no_demo_trust / "operator-root.pem").unlink()
    assert _public_verify(client, forged)["signatures"][0]["trusted"] is False


def test_trust_keys_name_the_anchor_set(pki):
    from eoffice.signing.trust import trust_key

    root, rogue = pki.root, pki.rogue_arch.get_cert("root")
    assert trust_key([root, rogue]) == trust_key([rogue, root, root])
    assert trust_key([root]) != trust_key([root, rogue]) != trust_key([])


def test_the_tracked_trust_list_holds_only_ca_certificates():
    """Whatever the operator commits under certs/trust must load as CA certificates, or it adds no trust."""
    from pathlib import Path

    from eoffice.signing.trust import CERT_SUFFIXES, load_certificate_file

    folder = Path(__file__).resolve().parents[2] / "certs" / "trust"
    assert (folder.parent / "README.md").is_file()
    for path in folder.iterdir():
        if path.suffix.lower() in CERT_SUFFIXES:
            assert all(cert.ca for cert in load_certificate_file(path.read_bytes())), path
