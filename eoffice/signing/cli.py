"""`flask --app wsgi signing …`: the demo PKI, signing and verifying files, the trust store."""

from __future__ import annotations

import json
import os
from pathlib import Path

import click
from flask.cli import AppGroup
from sqlalchemy import select

from eoffice.core.errors import AppError
from eoffice.extensions import db

signing_cli = AppGroup("signing", help="Digital signatures.")


def _fail(message: str, code: int = 2):
    click.echo(f"Error: {message}", err=True)
    raise SystemExit(code)


@signing_cli.command("demo-pki")
@click.option("--password", default=None, help="PIN of the demo keys (default: the demo password).")
def demo_pki_command(password):
    """Create the demo PKI for the demo agencies and import every demo user's key, signature and seal image."""
    from eoffice.accounts.models import Agency
    from eoffice.demo import AGENCIES, DEFAULT_PASSWORD
    from eoffice.signing.demo import set_up_demo_pki

    agencies = db.session.scalars(select(Agency).where(Agency.slug.in_([a["slug"] for a in AGENCIES]))).all()
    if not agencies:
        _fail("the demo agencies do not exist; run `flask --app wsgi eoffice demo` first")
    try:
        result = set_up_demo_pki(agencies, password or DEFAULT_PASSWORD)
        db.session.commit()
    except AppError as exc:
        db.session.rollback()
        _fail(exc.message)
    click.echo(f"Demo PKI ready: root certificate {result['root']}; {result['imported']} keys imported.")


@signing_cli.command("sign")
@click.argument("source", type=click.Path(dir_okay=False))
@click.argument("target", type=click.Path(dir_okay=False))
@click.option("--user", "username", required=True, help="Sign with this user's key (PIN from EOFFICE_PIN or a prompt).")
@click.option("--seal", is_flag=True, help="Apply the agency seal instead (the user must be a clerk).")
@click.option("--invisible", is_flag=True, help="No visible stamp.")
def sign_command(source, target, username, seal, invisible):
    """Sign SOURCE with a user's credential and write TARGET."""
    from eoffice.accounts.models import User
    from eoffice.signing.operations import sign_documents

    user = db.session.scalar(select(User).where(User.username == username.strip().lower()))
    if user is None:
        _fail(f"no user {username!r}")
    try:
        data = Path(source).read_bytes()
    except OSError as exc:
        _fail(f"cannot read {source}: {exc.strerror}")
    if not data.startswith(b"%PDF"):
        _fail(f"{source} is not a PDF")
    pin = os.environ.get("EOFFICE_PIN") or click.prompt("PIN", hide_input=True)
    try:
        result, = sign_documents(user, [data], pin, as_seal=seal, visible=not invisible,
                                 field_name=f"ChuKy_{user.username}_{os.urandom(3).hex()}")
        db.session.commit()
    except AppError as exc:
        db.session.commit() if exc.keep_changes else db.session.rollback()
        _fail(exc.message)
    Path(target).write_bytes(result.pdf)
    note = f" (downgraded: {result.downgrade_reason})" if result.downgraded else ""
    click.echo(f"Signed {source} → {target}: PAdES {result.level.value}{note}, field {result.field_name}.")


@signing_cli.command("verify")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--trust", "trust", multiple=True, type=click.Path(dir_okay=False),
              help="Another trusted root (PEM/DER), besides the deployment's trust list.")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON (the API's shape).")
def verify_command(file, trust, as_json):
    """Verify every signature of FILE; exit 0 only when it is signed and every signature is valid."""
    from flask import current_app

    from eoffice.signing.services import parse_certificates
    from eoffice.signing.verify import verify_pdf_isolated

    def refuse(code: str, message: str):
        if as_json:
            click.echo(json.dumps({"valid": False, "signed": False, "signatures": [],
                                   "error": {"code": code, "message": message}}, ensure_ascii=False))
        else:
            click.echo(f"Error: {message}", err=True)
        raise SystemExit(2)

    from eoffice.signing.trust import audience_roots

    # The public audience's anchors (the deployment's trust list, the demo root in demo mode) and the named files.
    roots = audience_roots(None)
    for path in trust:
        try:
            roots.extend(parse_certificates(Path(path).read_bytes()))
        except OSError as exc:
            refuse("trust_unreadable", f"cannot read {path}: {exc.strerror}")
        except AppError as exc:
            refuse("trust_invalid", f"{path}: {exc.message}")
    try:
        data = Path(file).read_bytes()
    except OSError as exc:
        refuse("file_unreadable", f"cannot read {file}: {exc.strerror}")
    config = current_app.config
    try:
        report = verify_pdf_isolated(data, trust_roots=roots, offline=not config["VERIFY_REVOCATION_ONLINE"],
                                     timeout_s=config["VERIFY_TIMEOUT_SECONDS"], memory_mb=config["VERIFY_MEMORY_MB"],
                                     max_bytes=config["VERIFY_MAX_BYTES"])
    except AppError as exc:  # every verifier busy: not a verdict on the file
        refuse(exc.code, exc.message)
    if as_json:
        click.echo(json.dumps(report.to_dict(), ensure_ascii=False))
    else:
        _print_report(report.to_dict())
    raise SystemExit(0 if report.valid else 1)


def _print_report(report: dict) -> None:
    if report.get("error"):
        click.echo(f"Not verified: {report['error']['message']}")
        return
    if not report["signatures"]:
        click.echo("The file is not signed.")
        return
    for sig in report["signatures"]:
        click.echo(f"{sig['field']}: {sig['indication']}" + (f" / {sig['sub_indication']}" if sig["sub_indication"] else ""))
        click.echo(f"  signer: {sig['signer']}   level: {sig['level']}   trusted: {sig['trusted']}   "
                   f"revocation: {sig['revocation']}")
        click.echo(f"  signing time: {sig['signing_time']}   timestamp: {sig['timestamp_time']}")
        click.echo(f"  coverage: {sig['coverage']}   modification: {sig['modification_level']}"
                   + (f"   changed fields: {', '.join(sig['changed_fields'])}" if sig["changed_fields"] else ""))
        for reason in sig.get("reasons") or ():
            click.echo(f"  - {reason}")
    click.echo("VALID" if report["valid"] else "NOT VALID")


@signing_cli.command("trust-add")
@click.option("--agency", "agency_slug", required=True)
@click.argument("pem", type=click.Path(exists=True, dir_okay=False))
def trust_add_command(agency_slug, pem):
    """Trust a root certificate for an agency's verifications."""
    from eoffice.accounts.models import Agency
    from eoffice.signing.services import add_trust_anchor

    agency = db.session.scalar(select(Agency).where(Agency.slug == agency_slug))
    if agency is None:
        _fail(f"no agency with key {agency_slug!r}")
    try:
        added = add_trust_anchor(agency, Path(pem).read_bytes())
        db.session.commit()
    except AppError as exc:
        db.session.rollback()
        _fail(exc.message)
    click.echo(f"{len(added)} trust anchor(s) added." if added else "Already trusted.")


@signing_cli.command("register-pkcs11")
@click.option("--user", "username", default=None, help="The key's owner; without it, the agency seal of --agency.")
@click.option("--agency", "agency_slug", default=None, help="With no --user: the agency whose seal key this is.")
@click.option("--module", required=True, type=click.Path(exists=True, dir_okay=False), help="PKCS#11 module (.so).")
@click.option("--token", default="", help="Token label.")
@click.option("--slot", default=None, type=int, help="Slot number, when there is no token label.")
@click.option("--key-label", required=True, help="Label of the private key on the token.")
def register_pkcs11_command(username, agency_slug, module, token, slot, key_label):
    """Use a key on a PKCS#11 token or HSM (on this server) for a user's or an agency's signatures."""
    from eoffice.accounts.models import Agency, User
    from eoffice.signing.services import register_pkcs11

    user = agency = None
    if username:
        user = db.session.scalar(select(User).where(User.username == username.strip().lower()))
        if user is None:
            _fail(f"no user {username!r}")
        agency = user.agency
    elif agency_slug:
        agency = db.session.scalar(select(Agency).where(Agency.slug == agency_slug))
    if agency is None:
        _fail("give --user, or --agency for an agency seal key")
    try:
        credential = register_pkcs11(agency, module=module, key_label=key_label, token=token, slot=slot, user=user)
        db.session.commit()
    except AppError as exc:
        db.session.rollback()
        _fail(exc.message)
    click.echo(f"PKCS#11 key {credential.pkcs11_key_label!r} registered for "
               f"{user.username if user else agency.slug + ' (seal)'}.")


@signing_cli.command("pdf-sample")
@click.argument("target", type=click.Path(dir_okay=False))
@click.option("--pages", default=1, show_default=True)
def sample_command(target, pages):
    """Write a sample A4 Vietnamese document to sign (for trying the system)."""
    from eoffice.signing.samples import make_sample_pdf

    Path(target).write_bytes(make_sample_pdf(pages))
    click.echo(f"Wrote {target}.")

