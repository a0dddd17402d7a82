"""Verifying PDFs for eoffice's users: one policy, trust per audience, reports stored per file and trust set.

Every surface (the document pages, the public page, the API, intake, the CLI) comes here, so the same file under
the same trust gets the same verdict everywhere; nothing a request sends changes the policy. The verification
itself runs in the verifier's pool of limited child processes, and never while the request's or job's
transaction is open: the transaction is closed first (`core.db.end_transaction_for_slow_work`), so that a large
or hostile upload cannot hold SQLite's write lock, or PostgreSQL row locks, for the seconds it takes.
"""

from __future__ import annotations

import hashlib
import json
import logging

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from eoffice.core import signals
from eoffice.core.db import end_transaction_for_slow_work
from eoffice.core.errors import ValidationFailed, VerifierBusy
from eoffice.extensions import db
from eoffice.signing.models import StoredVerification
from eoffice.signing.trust import audience_roots, trust_key
from eoffice.signing.verify import VerificationReport, verify_pdf_isolated
from eoffice.signing.verify.verdict import POLICY_VERSION
from eoffice.signing.verify.model import ERR_NOT_PDF, ERR_TOO_LARGE, ERR_UNREADABLE

log = logging.getLogger(__name__)

#: Refusals that are a property of the file and can be kept; a timeout, a crash or a full verifier are not.
KEEPABLE_ERRORS = frozenset({None, ERR_NOT_PDF, ERR_UNREADABLE})


def verify_data(data: bytes, agency_id: int | None, *, keep: bool = False) -> VerificationReport:
    """Verify `data` for an agency's users (`agency_id`) or for the public (None).

    With `keep`, a report stored earlier for the same file, trust set and policy is returned as it is, and a new
    one is stored (documents of the system); uploads to the public page and the API are not kept. Must be called
    before the caller's transaction writes anything: it closes that transaction for the verification.
    Raises `VerifierBusy` (503) when every verifier is taken.
    """
    roots = audience_roots(agency_id)
    key = trust_key(roots)
    sha256 = hashlib.sha256(data).hexdigest()
    if keep:
        found = _find(sha256, key)
        if found is not None:
            return found
    end_transaction_for_slow_work(db.session)
    config = current_app.config
    try:
        report = verify_pdf_isolated(
            data, trust_roots=roots, offline=not config["VERIFY_REVOCATION_ONLINE"],
            timeout_s=config["VERIFY_TIMEOUT_SECONDS"], memory_mb=config["VERIFY_MEMORY_MB"],
            max_bytes=config["VERIFY_MAX_BYTES"])
    except VerifierBusy as exc:  # the verifier knows no locale; the user reads this in theirs
        raise VerifierBusy(_("The signature verifier is busy. Try again in a moment."),
                           retry_after=exc.retry_after) from None
    if keep and report.error_code in KEEPABLE_ERRORS:
        _store(sha256, key, report)
        # The report is a fact about the file, not part of the caller's change: it is committed on its own (this
        # function already owns the transaction boundary), so the caller can verify the next file, or fail,
        # without losing or holding it.
        db.session.commit()
    return report


def refuse_unverifiable(report: VerificationReport, name: str | None = None) -> VerificationReport:
    """`report` when the file was judged; a 422 in the error envelope when it could not be (a broken PDF, or one
    that exceeded the verifier's size, time or memory limits), with the report in the details."""
    if report.error_code is None:
        return report
    if report.error_code in (ERR_UNREADABLE, ERR_NOT_PDF):
        message = _("%(name)s could not be read as a PDF.", name=name) if name else \
            _("The file could not be read as a PDF.")
    elif report.error_code == ERR_TOO_LARGE:
        message = _("The file is larger than the signature verifier accepts.")
    else:
        message = _("The file could not be verified within the verifier's limits of time and memory.")
    details = {"report": report.to_dict(), **({"file": name} if name else {})}
    raise ValidationFailed(message, code=report.error_code, details=details)


def stored_report(sha256: str, agency_id: int | None) -> VerificationReport | None:
    """The kept report of a stored file for this audience under today's trust and policy, or None."""
    return _find(sha256, trust_key(audience_roots(agency_id)))


def verify_stored(sha256: str, agency_id: int | None) -> VerificationReport:
    """The report of a file of the store: the kept one, or a new verification that is then kept."""
    from eoffice.core.storage import get_store

    report = stored_report(sha256, agency_id)
    if report is None:
        report = verify_data(get_store().read(sha256), agency_id, keep=True)
    if agency_id is not None and report.error_code in KEEPABLE_ERRORS:
        # Documents holding this file take the verdict over (an incoming document waits for it).
        signals.file_verified.send(sha256, agency_id=agency_id, report=report)
    return report


def request_verification(sha256: str, agency_id: int | None) -> None:
    """Have the report of a stored file computed by a job once the current transaction commits."""
    from eoffice.extensions import jobs

    jobs.enqueue("signing.verify_file", sha256, agency_id)


def _find(sha256: str, key: str) -> VerificationReport | None:
    row = db.session.scalar(select(StoredVerification).where(
        StoredVerification.file_sha256 == sha256, StoredVerification.trust_key == key,
        StoredVerification.policy_version == POLICY_VERSION))
    return VerificationReport.from_dict(json.loads(row.report)) if row is not None else None


def _store(sha256: str, key: str, report: VerificationReport) -> None:
    row = StoredVerification(file_sha256=sha256, trust_key=key, policy_version=POLICY_VERSION,
                             valid=report.valid, signed=report.signed,
                             report=json.dumps(report.to_dict(), ensure_ascii=False))
    try:
        with db.session.begin_nested():
            db.session.add(row)
    except IntegrityError:
        # Another worker stored the same verdict meanwhile; theirs is as good as this one.
        log.debug("verification of %s already stored", sha256)
