from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from eoffice.core.db import Base, UTCDateTime
from eoffice.core.time import utcnow

GENESIS_HASH = "0" * 64


class AuditEntry(Base):
    """One recorded action. Entries form one hash chain per agency (and one for the system); the migration adds
    triggers that refuse UPDATE and DELETE, and `audit verify` finds an entry altered or removed anyway."""

    __tablename__ = "audit_entry"
    __table_args__ = (sa.UniqueConstraint("chain", "seq", name="uq_audit_entry_chain_seq"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    #: `agency:<id>` or `system`.
    chain: Mapped[str] = mapped_column(sa.String(40))
    #: Position in the chain, from 1 without gaps.
    seq: Mapped[int]
    #: Owning agency; None for system entries (e.g. a login attempt with an unknown username).
    agency_id: Mapped[int | None] = mapped_column(sa.ForeignKey("agency.id", ondelete="RESTRICT"), index=True)
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="RESTRICT"))
    #: Username at the time, kept because it is part of the hashed record.
    actor_name: Mapped[str] = mapped_column(sa.String(64), default="")
    #: Dotted action name, e.g. `user.login`, `book.update`.
    action: Mapped[str] = mapped_column(sa.String(60), index=True)
    object_type: Mapped[str] = mapped_column(sa.String(40), default="")
    object_id: Mapped[str] = mapped_column(sa.String(40), default="")
    #: JSON with the details (changed fields, reason); never a password or a PIN.
    data: Mapped[str] = mapped_column(sa.Text, default="{}")
    ip: Mapped[str] = mapped_column(sa.String(45), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    prev_hash: Mapped[str] = mapped_column(sa.String(64))
    hash: Mapped[str] = mapped_column(sa.String(64))


class AuditChainHead(Base):
    """The last entry of each chain. Locking this row serialises appends, and comparing it with the last entry
    detects entries cut off the end of a chain."""

    __tablename__ = "audit_chain_head"

    chain: Mapped[str] = mapped_column(sa.String(40), primary_key=True)
    seq: Mapped[int] = mapped_column(default=0)
    hash: Mapped[str] = mapped_column(sa.String(64), default=GENESIS_HASH)
