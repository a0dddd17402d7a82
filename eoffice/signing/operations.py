"""Signing and verifying documents on behalf of a user: which key, which stamp, which level, which trust."""

from __future__ import annotations

from contextlib import contextmanager

from flask import current_app
from flask_babel import gettext as _
from pyhanko.pdf_utils.misc import PdfError

from eoffice.core import signals
from eoffice.core.db import end_transaction_for_slow_work
from eoffice.core.errors import Forbidden, ValidationFailed
from eoffice.core.time import utcnow
from eoffice.extensions import db
from eoffice.signing import services
from eoffice.signing.layout import AGENCY_FIELD, LEADER_FIELD, SigningLayout
from eoffice.signing.models import REMOTE, SEAL_IMAGE, SIGNATURE_IMAGE
from eoffice.signing.sign import Level, SignResult, SigningFailure, TimestampError, iter_batch_sign
from eoffice.signing.stamps import SealStampStyle, SignerStampStyle, TextStampStyle


def timestamper():
    """The configured TSA; in demo mode without one, the demo PKI's TSA; otherwise None (B-B only)."""
    config = current_app.config
    if config["TSA_URL"]:
        from pyhanko.sign.timestamps import HTTPTimeStamper

        return HTTPTimeStamper(config["TSA_URL"], timeout=10)
    if config["DEMO_MODE"] and (services.pki_path() / "certomancer.yml").is_file():
        return _demo_timestamper(current_app._get_current_object())
    return None


def _demo_timestamper(app):
    # Opening the demo PKI parses every key (seconds): once per application, not once per signature.
    stamper = app.extensions.get("eoffice.demo_tsa")
    if stamper is None:
        from eoffice.signing.pki import load_demo_pki

        stamper = load_demo_pki(services.pki_path(), services.pki_path() / "public").timestamper()
        app.extensions["eoffice.demo_tsa"] = stamper
    return stamper


def _level_and_timestamper():
    stamper = timestamper()
    if stamper is None:
        # No TSA at all: B-B, said plainly in the result rather than a timestamp from this server's clock.
        return Level.B_B, None
    return Level(current_app.config["SIGNING_LEVEL"]), stamper


def signature_options(actor, *, as_seal: bool, visible: bool = True, layout: SigningLayout | None = None,
                      field_name: str | None = None) -> dict:
    layout = layout or SigningLayout()
    level, stamper = _level_and_timestamper()
    options = {"level": level, "timestamper": stamper, "allow_downgrade": current_app.config["SIGNING_ALLOW_DOWNGRADE"],
               "trust_roots": tuple(services.trust_roots(actor.agency_id)), "page": layout.signature_page,
               "location": actor.agency.place or None}
    if as_seal:
        options["field_name"] = field_name or AGENCY_FIELD
        if visible:
            seal = services.stamp_png(actor.agency_id, SEAL_IMAGE)
            options["box"] = layout.seal_box()
            options["stamp"] = SealStampStyle(seal_png=seal) if seal else TextStampStyle(lines=(actor.agency.name,))
    else:
        options["field_name"] = field_name or LEADER_FIELD
        if visible:
            image = services.stamp_png(actor.agency_id, SIGNATURE_IMAGE, actor)
            options["box"] = layout.leader_box
            options["stamp"] = (SignerStampStyle(signature_png=image, position=actor.position.upper(),
                                                 name=actor.full_name) if image
                                else TextStampStyle(lines=(actor.position.upper(), actor.full_name,
                                                           "%(signing_time)s")))
    return options


@contextmanager
def signing_errors():
    """Turn a failed signature into the client's error: the timestamp authority's or the signer's failure as a
    422 with its reason, a file pyHanko cannot parse as the 422 `unreadable_pdf`."""
    try:
        yield
    except TimestampError as exc:
        raise ValidationFailed(_("The timestamp authority failed: %(e)s", e=str(exc)[:300]),
                               code="timestamp_failed") from None
    except SigningFailure as exc:
        raise ValidationFailed(_("The document could not be signed: %(e)s", e=str(exc)[:300]),
                               code="signing_failed") from None
    except (PdfError, *services.PDF_PARSE_ERRORS):
        raise services.unreadable_pdf() from None


def sign_documents(actor, pdfs: list[bytes], pin: str, *, as_seal: bool = False, visible: bool = True,
                   field_name: str | None = None) -> list:
    """Sign every document with the actor's key (or the agency seal) after one PIN entry; returns SignResults.

    `field_name` defaults to the prepared leader or agency field of a signing copy; a free-standing signature
    of any PDF passes its own name. The whole batch fails on the first document that cannot be signed, naming
    it, so a batch is all or nothing.
    """
    credential = services.active_credential(actor.agency_id, None if as_seal else actor)
    options = signature_options(actor, as_seal=as_seal, visible=visible, field_name=field_name)
    services.can_use(actor, credential)  # loads what the checks read, before the transaction is closed
    # Parsing the uploads, the key and the timestamp authority take time: no transaction (and on SQLite no write
    # lock) is held meanwhile. What follows (a PIN count, the audit entry) begins a transaction of its own.
    end_transaction_for_slow_work(db.session)
    for number, pdf in enumerate(pdfs, 1):
        services.check_readable_pdf(pdf, document=number)  # before the PIN: a broken file costs no attempt
    if credential.kind == REMOTE:
        results = _sign_remotely(actor, credential, pdfs, options)
        signals.document_signed.send(credential, actor=actor, count=len(results), level=results[0].level.value,
                                     downgraded=[])
        return results
    results = []
    with services.unlocked(credential, pin, actor=actor) as signer:
        try:
            for result in iter_batch_sign(pdfs, signer, **options):
                results.append(result)
        except TimestampError as exc:
            raise ValidationFailed(_("The timestamp authority failed: %(e)s", e=str(exc)[:300]),
                                   code="timestamp_failed", details={"document": len(results) + 1}) from None
        except SigningFailure as exc:
            raise ValidationFailed(_("Document %(n)d could not be signed: %(e)s", n=len(results) + 1, e=str(exc)[:300]),
                                   code="signing_failed", details={"document": len(results) + 1}) from None
        except (PdfError, *services.PDF_PARSE_ERRORS):
            current_app.logger.warning("document %d of a batch could not be parsed for signing", len(results) + 1,
                                       exc_info=True)
            raise services.unreadable_pdf(document=len(results) + 1) from None
    signals.document_signed.send(credential, actor=actor, count=len(results),
                                 level=results[0].level.value if results else None,
                                 downgraded=[r.downgrade_reason for r in results if r.downgraded])
    return results


def _sign_remotely(actor, credential, pdfs: list[bytes], options: dict) -> list[SignResult]:
    """The remote channel: the service holds the key and authenticates its user itself, so no PIN is asked here."""
    from eoffice.signing.remote import RemoteSigningError, sign_remote

    if not services.can_use(actor, credential):
        raise Forbidden(_("You cannot sign with this key."))
    if not services.remote_url_allowed(credential.remote_url):
        # The allow-list changed since the key was registered: the server no longer calls that address.
        raise ValidationFailed(_("This signing service address is no longer allowed on this server."),
                               code="remote_url_not_allowed")
    service = services.remote_service(credential)
    stamper = options["timestamper"]
    results = []
    for pdf in pdfs:
        when = utcnow()
        try:
            signed = sign_remote(pdf, service, stamper, field_name=options["field_name"], stamp=options.get("stamp"),
                                 box=options.get("box"), page=options["page"] % _page_count(pdf),
                                 text_params={"signing_time": when})
        except (PdfError, *services.PDF_PARSE_ERRORS):
            raise services.unreadable_pdf(document=len(results) + 1) from None
        except RemoteSigningError as exc:
            # The service's own words stay in the server log: they may carry what it should not tell a user.
            current_app.logger.warning("remote signing service %s failed for credential %s: %s",
                                       credential.remote_url, credential.id, exc)
            raise ValidationFailed(_("The signing service could not sign document %(n)d. The administrator can find "
                                     "the reason in the server log.", n=len(results) + 1), code="remote_refused",
                                   details={"document": len(results) + 1}) from None
        level = Level.B_T if stamper is not None else Level.B_B
        results.append(SignResult(signed, level, level, options["field_name"], when))
    return results


def _page_count(pdf: bytes) -> int:
    from io import BytesIO

    from pyhanko.pdf_utils.reader import PdfFileReader

    return int(PdfFileReader(BytesIO(pdf), strict=False).root["/Pages"]["/Count"])
