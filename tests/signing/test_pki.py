"""The demo PKI (``create_demo_pki``) and the checks on uploaded stamp images (``check_stamp_image``)."""

from __future__ import annotations

import os
import random
import stat
from io import BytesIO

import pytest
from asn1crypto import pem, x509
from PIL import Image

from eoffice.signing.credentials import Pkcs12Credential, WrongPin
from eoffice.signing.images import MAX_IMAGE_BYTES, check_stamp_image, make_demo_seal_png, make_demo_signature_png
from eoffice.signing.pki import create_demo_pki

PASSWORD = "demo-Mật khẩu"
AGENCIES = [{"code": "thanhtri", "name": "UBND huyện Thạnh Trị"},
            {"code": "sonoivu", "name": "Sở Nội vụ tỉnh Sóc Trăng"}]
USERS = [{"username": "thanhtri-leader", "full_name": "Nguyễn Văn Đức", "agency": "thanhtri"},
         {"username": "sonoivu-leader", "full_name": "Trần Thị Ánh Tuyết", "agency": "sonoivu"}]
PKCS12_DATA_OID = bytes.fromhex("06092a864886f70d010701")  # id-data, the content type of a PFX's authSafe


def _load_pem(path) -> x509.Certificate:
    _type, _headers, der = pem.unarmor(path.read_bytes())
    return x509.Certificate.load(der)


def _snapshot(directory) -> dict:
    return {p.relative_to(directory): p.read_bytes() for p in directory.rglob("*") if p.is_file()}


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    base = tmp_path_factory.mktemp("demo-pki")
    return create_demo_pki(base / "pki", base / "public", AGENCIES, USERS, PASSWORD)


def test_second_call_keeps_every_certificate_and_adds_newcomers(demo):
    before_private, before_public = _snapshot(demo.pki_dir), _snapshot(demo.public_dir)
    newcomer = {"username": "thanhtri-clerk", "full_name": "Lê Thị Hồng", "agency": "thanhtri"}
    again = create_demo_pki(demo.pki_dir, demo.public_dir, AGENCIES, [*USERS, newcomer], PASSWORD)

    after_private, after_public = _snapshot(demo.pki_dir), _snapshot(demo.public_dir)
    for path, data in before_public.items():
        assert after_public[path] == data, path
    for path, data in before_private.items():
        if path.name != "certomancer.yml":  # the configuration gains the newcomer's entry
            assert after_private[path] == data, path
    for label in ("root", "interm", "agency-thanhtri", "user-thanhtri-leader", "user-sonoivu-leader"):
        assert again.certificate(label).dump() == demo.certificate(label).dump(), label
    assert again.user_pkcs12_path("thanhtri-clerk").exists()
    assert again.certificate("user-thanhtri-clerk").subject.native["common_name"] == "Lê Thị Hồng"


def test_no_private_key_material_in_the_public_dir(demo):
    files = [p for p in demo.public_dir.rglob("*") if p.is_file()]
    assert files
    for path in files:
        data = path.read_bytes()
        assert path.suffix.lower() not in (".p12", ".pfx", ".key"), path
        assert b"PRIVATE KEY" not in data, path
        assert PKCS12_DATA_OID not in data, path  # no DER PKCS#12 under another name
        assert data.startswith(b"-----BEGIN CERTIFICATE-----"), path
    # and the private side is private
    assert stat.S_IMODE(os.stat(demo.pki_dir).st_mode) == 0o700
    for p12 in demo.pki_dir.rglob("*.p12"):
        assert stat.S_IMODE(os.stat(p12).st_mode) == 0o600, p12


def test_user_certificates_are_for_non_repudiation_with_the_vietnamese_name(demo):
    for user in USERS:
        cert = _load_pem(demo.public_dir / "users" / f"{user['username']}.pem")
        assert set(cert.key_usage_value.native) == {"digital_signature", "non_repudiation"}
        subject = cert.subject.native
        assert subject["common_name"] == user["full_name"]
        agency_name = next(a["name"] for a in AGENCIES if a["code"] == user["agency"])
        assert subject["organization_name"] == agency_name
        assert cert.issuer == demo.certificate("interm").subject

        p12 = Pkcs12Credential(demo.user_pkcs12_path(user["username"]).read_bytes())
        with p12.open(PASSWORD) as signer:
            assert signer.signing_cert.dump() == cert.dump()
        with pytest.raises(WrongPin):
            p12.unlock("not the password")


def test_each_agency_has_a_seal_certificate(demo):
    for agency in AGENCIES:
        cert = _load_pem(demo.public_dir / "agencies" / f"{agency['code']}.pem")
        assert cert.subject.native["common_name"] == agency["name"]
        assert "digital_signature" in cert.key_usage_value.native
        assert demo.agency_pkcs12_path(agency["code"]).exists()
    labels = {f"agency-{a['code']}" for a in AGENCIES}
    assert len({demo.certificate(label).serial_number for label in labels}) == len(labels)


def test_root_is_written_to_pki_dir(demo):
    assert demo.root_cert_path == demo.pki_dir / "root-ca.pem"
    root = _load_pem(demo.root_cert_path)
    assert root.dump() == demo.certificate("root").dump()
    assert root.ca and root.self_signed == "maybe"
    assert _load_pem(demo.public_dir / "root-ca.pem").dump() == root.dump()


# --- stamp images ---------------------------------------------------------------------------------------------

def _png(img: Image.Image, **kwargs) -> bytes:
    out = BytesIO()
    img.save(out, format="PNG", **kwargs)
    return out.getvalue()


def test_demo_images_are_accepted():
    for png in (make_demo_signature_png("Nguyễn Văn Đức"), make_demo_seal_png("UBND huyện Thạnh Trị")):
        assert check_stamp_image(png) == png


def test_not_a_png_is_refused():
    out = BytesIO()
    Image.new("RGB", (200, 100), (18, 52, 170)).save(out, format="JPEG")
    with pytest.raises(ValueError, match="PNG"):
        check_stamp_image(out.getvalue())
    with pytest.raises(ValueError, match="PNG"):
        check_stamp_image(b"<svg xmlns='http://www.w3.org/2000/svg'/>")


def test_png_without_transparency_is_refused():
    with pytest.raises(ValueError, match="transparen"):
        check_stamp_image(_png(Image.new("RGB", (200, 100), (255, 255, 255))))
    # an alpha channel that hides nothing is no transparent background either
    with pytest.raises(ValueError, match="transparent"):
        check_stamp_image(_png(Image.new("RGBA", (200, 100), (18, 52, 170, 255))))


def test_huge_images_are_refused():
    with pytest.raises(ValueError, match="pixels"):
        check_stamp_image(_png(Image.new("RGBA", (3001, 40), (0, 0, 0, 0))))
    with pytest.raises(ValueError, match="pixels"):
        check_stamp_image(_png(Image.new("RGBA", (20, 20), (0, 0, 0, 0))))
    noise = Image.frombytes("RGBA", (900, 900), random.Random(1).randbytes(900 * 900 * 4))
    data = _png(noise, compress_level=1)
    assert len(data) > MAX_IMAGE_BYTES
    with pytest.raises(ValueError, match="larger"):
        check_stamp_image(data)


def test_truncated_png_is_refused():
    png = make_demo_signature_png("Nguyễn Văn Đức")
    with pytest.raises(ValueError):
        check_stamp_image(png[: len(png) // 2])
