"""The demo PKI of `eoffice demo` and `signing demo-pki`: keys and certificates for every demo user and agency,
imported as their signing credentials with demo signature and seal images."""

from __future__ import annotations

import shutil
from functools import lru_cache
from pathlib import Path

from flask import current_app
from sqlalchemy import select

from eoffice.accounts.models import Agency, User
from eoffice.extensions import db
from eoffice.signing import services
from eoffice.signing.images import make_demo_seal_png, make_demo_signature_png
from eoffice.signing.models import SEAL_IMAGE, SIGNATURE_IMAGE, SigningCredential


def public_path() -> Path:
    configured = current_app.config["PKI_PUBLIC_PATH"]
    return Path(configured) if configured else services.pki_path() / "public"


def set_up_demo_pki(agencies: list[Agency], password: str) -> dict:
    """Create the demo PKI for `agencies` and their users and import what is missing; returns counts."""
    from eoffice.signing.pki import create_demo_pki, load_demo_pki

    users = db.session.scalars(select(User).where(User.agency_id.in_([a.id for a in agencies]))).all()
    pki_dir = services.pki_path()
    pki = load_demo_pki(pki_dir, public_path()) if (pki_dir / "certomancer.yml").is_file() else None
    needed = [pki.agency_pkcs12_path(a.slug) for a in agencies] + [pki.user_pkcs12_path(u.username) for u in users] \
        if pki else []
    # Loading the PKI parses every key (seconds); only a PKI that lacks someone's key file needs it.
    if pki is None or not all(path.is_file() for path in needed):
        pki = create_demo_pki(
            pki_dir, public_path(),
            agencies=[{"code": a.slug, "name": a.name} for a in agencies],
            users=[{"username": u.username, "full_name": u.full_name, "agency": u.agency.slug} for u in users],
            password=password, external_url_prefix=current_app.config["DEMO_PKI_URL"])
    # The demo CA configuration goes with the public certificates (it names key files, never holds a key).
    public_config = public_path() / "certomancer.yml"
    if not public_config.exists():
        public_config.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(pki_dir / "certomancer.yml", public_config)
    imported = 0
    for agency in agencies:
        if not _has_credential(agency.id, None):
            services.import_pkcs12(agency, pki.agency_pkcs12_path(agency.slug).read_bytes(), password,
                                   label=f"Con dấu {agency.name}")
            services.set_stamp_image(agency, SEAL_IMAGE, _seal_png(agency.name.upper()))
            imported += 1
    for user in users:
        if not _has_credential(user.agency_id, user.id):
            services.import_pkcs12(user.agency, pki.user_pkcs12_path(user.username).read_bytes(), password, user=user)
            services.set_stamp_image(user.agency, SIGNATURE_IMAGE, _signature_png(user.full_name), user=user)
            imported += 1
    return {"imported": imported, "root": str(pki.root_cert_path)}


# Drawing the demo images takes a noticeable moment and they never change for a name.
_seal_png = lru_cache(maxsize=64)(make_demo_seal_png)
_signature_png = lru_cache(maxsize=256)(make_demo_signature_png)


def _has_credential(agency_id: int, user_id: int | None) -> bool:
    owner = SigningCredential.user_id == user_id if user_id else SigningCredential.user_id.is_(None)
    return db.session.scalar(select(SigningCredential.id).where(
        SigningCredential.agency_id == agency_id, owner, SigningCredential.active.is_(True))) is not None
