"""Files that belong to documents: metadata in the database, bytes in the content-addressed store."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from eoffice.core.db import AgencyOwnedMixin, Base, UTCDateTime
from eoffice.core.storage import get_store
from eoffice.core.time import utcnow


class StoredFile(AgencyOwnedMixin, Base):
    """One stored file version. Its bytes never change (they are named by their SHA-256); a signature or a new
    upload makes a new StoredFile."""

    __tablename__ = "stored_file"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: SHA-256 of the bytes, which is their name in the store.
    sha256: Mapped[str] = mapped_column(sa.String(64), index=True)
    #: The name the file had when it came in (shown and used for downloads).
    name: Mapped[str] = mapped_column(sa.String(255))
    size: Mapped[int]
    content_type: Mapped[str] = mapped_column(sa.String(100), default="application/pdf")
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    def read(self) -> bytes:
        return get_store().read(self.sha256)


def store_file(agency_id: int, data: bytes, name: str, *, content_type: str = "application/pdf",
               created_by=None) -> StoredFile:
    """Write the bytes to the store and record them (flushes). The store write is idempotent, so a rolled-back
    transaction leaves at most an unreferenced file behind, never a reference without its file."""
    from eoffice.extensions import db

    row = StoredFile(agency_id=agency_id, sha256=get_store().put(data), name=name[:255], size=len(data),
                     content_type=content_type, created_by_id=getattr(created_by, "id", None))
    db.session.add(row)
    db.session.flush()
    return row
