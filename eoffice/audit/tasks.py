"""Periodic check of the audit chain, so tampering is noticed without anyone running `audit verify`."""

import logging

from eoffice.audit.services import verify_chain
from eoffice.extensions import jobs

log = logging.getLogger(__name__)


@jobs.periodic("audit.check_chain", minutes_setting="AUDIT_CHECK_MINUTES")
def check_chain():
    report = verify_chain()
    if not report.ok:
        log.error("audit chain check failed: %s", "; ".join(report.as_dict()["problems"]))
    return report.as_dict()
