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
