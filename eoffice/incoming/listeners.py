"""Reactions of the incoming module to other modules' signals."""

from __future__ import annotations

from eoffice.core import signals
from eoffice.incoming.services.intake import record_verification


@signals.file_verified.connect
def _file_verified(sha256: str, *, agency_id: int, report, **_kwargs) -> None:
    record_verification(sha256, agency_id, report)
