from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from eoffice.core.db import AgencyOwnedMixin, Base, TimestampMixin, UTCDateTime
from eoffice.core.time import utcnow

IN, OUT = "in", "out"

book_document_type = sa.Table(
    "book_document_type",
    Base.metadata,
    sa.Column("book_id", sa.ForeignKey("registry_book.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("document_type_id", sa.ForeignKey("document_type.id", ondelete="RESTRICT"), primary_key=True),
)


class DocumentType(Base):
    """A document type of the Decree 30 catalogue (shared by all agencies, seeded by the migrations)."""

    __tablename__ = "document_type"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Stable ASCII key, e.g. `QD`.
    code: Mapped[str] = mapped_column(sa.String(20), unique=True)
    #: TypeName, e.g. "Quyết định".
    name: Mapped[str] = mapped_column(sa.String(100))
    #: Abbreviation in symbols, e.g. `QĐ`; None for công văn and thư công, whose symbols name the drafting unit.
    abbreviation: Mapped[str | None] = mapped_column(sa.String(10))
    sort_order: Mapped[int] = mapped_column(default=0)

    def __repr__(self) -> str:
        return f"<DocumentType {self.code}>"


class RegistryBook(AgencyOwnedMixin, TimestampMixin, Base):
    """A registry book (sổ đăng ký văn bản) whose numbers restart at 01 every year."""

    __tablename__ = "registry_book"
    __table_args__ = (sa.CheckConstraint(sa.column("direction").in_((IN, OUT)), name="direction"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    #: `in` for arrival numbers (số đến), `out` for outgoing numbers (số đi).
    direction: Mapped[str] = mapped_column(sa.String(3))
    #: Book for secret documents (Mật, Tối mật, Tuyệt mật), which have their own sequence.
    secret: Mapped[bool] = mapped_column(default=False)
    #: Legal normative documents carry the year in their symbol (`30/2020/NĐ-CP`) and have their own sequence.
    legal_normative: Mapped[bool] = mapped_column(default=False)
    #: Closed books keep their history but take no new numbers.
    active: Mapped[bool] = mapped_column(default=True)

    document_types: Mapped[list[DocumentType]] = relationship(secondary=book_document_type,
                                                              order_by="DocumentType.sort_order")

    def __repr__(self) -> str:
        return f"<RegistryBook {self.id} {self.direction} {self.name!r}>"


class BookCounter(Base):
    """The last number given by a book in a year; the row is locked while a number is allocated."""

    __tablename__ = "book_counter"

    book_id: Mapped[int] = mapped_column(sa.ForeignKey("registry_book.id", ondelete="CASCADE"), primary_key=True)
    year: Mapped[int] = mapped_column(primary_key=True)
    last_number: Mapped[int] = mapped_column(default=0)


class NumberAllocation(AgencyOwnedMixin, Base):
    """One number given by a book; the unique constraint is the last line of defence against a repeat."""

    __tablename__ = "number_allocation"
    __table_args__ = (sa.UniqueConstraint("book_id", "year", "number", name="uq_number_allocation_book_year_number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    book_id: Mapped[int] = mapped_column(sa.ForeignKey("registry_book.id", ondelete="RESTRICT"), index=True)
    year: Mapped[int]
    number: Mapped[int]
    #: What the number was given to, e.g. `outgoing:12`.
    reference: Mapped[str] = mapped_column(sa.String(100), default="")
    allocated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    allocated_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))

    book: Mapped[RegistryBook] = relationship()

    @property
    def number_text(self) -> str:
        return format_number(self.number)


def format_number(number: int) -> str:
    """Numbers below 10 take a leading zero (Decree 30, Phụ lục I)."""
    return f"{number:02d}"
