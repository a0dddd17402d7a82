"""Verification reports of the public page are kept apart from documents and removed after a while, so that an
anonymous visitor cannot fill the document store."""

from __future__ import annotations

import time
from pathlib import Path

from flask import current_app

from eoffice.core.storage import FileStore
from eoffice.extensions import jobs


def report_store() -> FileStore:
    return FileStore(Path(current_app.instance_path) / "verify-reports")


@jobs.periodic("signing.expire_reports", minutes_setting="AUDIT_CHECK_MINUTES")
def expire_reports() -> dict:
    cutoff = time.time() - current_app.config["VERIFY_REPORT_HOURS"] * 3600
    removed = 0
    for path in report_store().root.rglob("*"):
        if path.is_file() and path.stat().st_mtime < cutoff:
            path.unlink()
            removed += 1
    return {"removed": removed}


@jobs.task("signing.verify_file", retries=3)
def verify_file(sha256: str, agency_id: int | None) -> dict:
    """Verify a stored file for an agency's users and keep the report (a busy verifier makes the job retry)."""
    from eoffice.signing.verification import verify_stored

    report = verify_stored(sha256, agency_id)
    return {"valid": report.valid, "signed": report.signed, "error": report.error_code}
