from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from flask_login import UserMixin
from sqlalchemy.orm import Mapped, mapped_column, relationship

from eoffice.core.db import AgencyOwnedMixin, Base, TimestampMixin, UTCDateTime
from eoffice.core.permissions import ROLES
from eoffice.core.time import utcnow


class Agency(TimestampMixin, Base):
    """A state agency (cơ quan). Contact fields follow the edXML `From`/`To` organisation element."""

    __tablename__ = "agency"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Short key used in URLs and commands, e.g. `thanhtri`.
    slug: Mapped[str] = mapped_column(sa.String(40), unique=True)
    #: OrganName, e.g. "Ủy ban nhân dân huyện Thạnh Trị" (edXML: 200).
    name: Mapped[str] = mapped_column(sa.String(200))
    #: Issuer abbreviation in document symbols, e.g. `UBND` in `15/QĐ-UBND`.
    abbreviation: Mapped[str] = mapped_column(sa.String(30))
    #: OrganId, the agency identifier code (13 characters today, `000.00.00.G22` style; room for longer codes).
    code: Mapped[str] = mapped_column(sa.String(64), unique=True)
    #: OrganizationInCharge: the superior body, e.g. "UBND tỉnh Sóc Trăng".
    organization_in_charge: Mapped[str] = mapped_column(sa.String(200), default="")
    #: OrganAdd, the postal address.
    address: Mapped[str] = mapped_column(sa.String(250), default="")
    email: Mapped[str] = mapped_column(sa.String(100), default="")
    telephone: Mapped[str] = mapped_column(sa.String(20), default="")
    fax: Mapped[str] = mapped_column(sa.String(20), default="")
    website: Mapped[str] = mapped_column(sa.String(100), default="")
    #: Place name printed with the issue date ("Thạnh Trị, ngày … tháng … năm …").
    place: Mapped[str] = mapped_column(sa.String(100), default="")

    units: Mapped[list[Unit]] = relationship(back_populates="agency", order_by="Unit.name")

    def __repr__(self) -> str:
        return f"<Agency {self.slug}>"


class Unit(AgencyOwnedMixin, TimestampMixin, Base):
    """A unit inside an agency (phòng, ban, văn phòng); units form a tree."""

    __tablename__ = "unit"
    __table_args__ = (sa.UniqueConstraint("agency_id", "abbreviation", name="uq_unit_agency_abbreviation"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Parent unit; None for a top-level unit of the agency.
    parent_id: Mapped[int | None] = mapped_column(sa.ForeignKey("unit.id", ondelete="RESTRICT"), index=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    #: Drafting-unit abbreviation in công văn symbols, e.g. `VP` in `05/UBND-VP`.
    abbreviation: Mapped[str] = mapped_column(sa.String(30))

    agency: Mapped[Agency] = relationship(back_populates="units")
    parent: Mapped[Unit | None] = relationship(remote_side=[id], back_populates="children")
    children: Mapped[list[Unit]] = relationship(back_populates="parent", order_by="Unit.name")

    def ancestors(self) -> list[Unit]:
        chain, node = [], self.parent
        while node is not None:
            chain.append(node)
            node = node.parent
        return chain

    def __repr__(self) -> str:
        return f"<Unit {self.abbreviation}>"


class UserRole(Base):
    __tablename__ = "user_role"
    __table_args__ = (sa.CheckConstraint(sa.column("role").in_(ROLES), name="known_role"),)

    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id", ondelete="CASCADE"), primary_key=True)
    #: One of admin, clerk, leader, specialist.
    role: Mapped[str] = mapped_column(sa.String(20), primary_key=True)


class User(UserMixin, AgencyOwnedMixin, TimestampMixin, Base):
    __tablename__ = "user"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Login name, unique in the whole deployment so that login needs no agency choice.
    username: Mapped[str] = mapped_column(sa.String(64), unique=True)
    #: FullName as printed under a signature (edXML SignerInfo: 50).
    full_name: Mapped[str] = mapped_column(sa.String(100))
    #: Position as printed above a signature, e.g. "Chủ tịch" (edXML: 100).
    position: Mapped[str] = mapped_column(sa.String(100), default="")
    email: Mapped[str] = mapped_column(sa.String(120), default="")
    unit_id: Mapped[int | None] = mapped_column(sa.ForeignKey("unit.id", ondelete="SET NULL"), index=True)
    #: argon2id hash of the password.
    password_hash: Mapped[str] = mapped_column(sa.String(255))
    #: Deactivated users cannot log in; their history stays.
    active: Mapped[bool] = mapped_column(default=True)
    #: Consecutive failed logins since the last success.
    failed_logins: Mapped[int] = mapped_column(default=0)
    #: Logins are refused until this time (UTC) after too many failures.
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    password_changed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: Language chosen in the interface (vi or en); empty means the default.
    locale: Mapped[str] = mapped_column(sa.String(5), default="")

    agency: Mapped[Agency] = relationship()
    unit: Mapped[Unit | None] = relationship()
    role_rows: Mapped[list[UserRole]] = relationship(cascade="all, delete-orphan", lazy="selectin")

    @property
    def roles(self) -> set[str]:
        return {row.role for row in self.role_rows}

    def has_role(self, role: str) -> bool:
        return role in self.roles

    def has_any_role(self, *roles: str) -> bool:
        return bool(self.roles.intersection(roles))

    @property
    def is_active(self) -> bool:  # Flask-Login refuses inactive users
        return self.active

    def is_locked(self, now: datetime | None = None) -> bool:
        return self.locked_until is not None and self.locked_until > (now or utcnow())

    def __repr__(self) -> str:
        return f"<User {self.username}>"


class ApiToken(Base):
    """A bearer token for the API. Only the SHA-256 of the token is stored."""

    __tablename__ = "api_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship()
