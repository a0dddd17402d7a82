"""PDF signature verification for eoffice: pure functions, no Flask, no database.

``verify_pdf`` checks in process; ``verify_pdf_isolated`` runs the same check in a child process with memory,
time and size limits and is what code facing uploaded files should call. ``signed_revision`` extracts the bytes
a signature actually covers. The policy that turns pyHanko's findings into one ETSI indication per signature is
documented in ``verdict``; ``POLICY_VERSION`` names it, for caches of stored reports.
"""
from .core import verify_pdf
from .isolated import verify_pdf_isolated
from .model import SignatureReport, VerificationReport
from .pdfparts import SignedRevisionError, signed_revision_bytes as signed_revision
from .verdict import POLICY_VERSION

__all__ = [
    'POLICY_VERSION',
    'SignatureReport',
    'SignedRevisionError',
    'VerificationReport',
    'signed_revision',
    'verify_pdf',
    'verify_pdf_isolated',
]
