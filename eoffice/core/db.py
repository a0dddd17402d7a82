"""Declarative base, shared mixins and the engine settings both supported databases need."""

from __future__ import annotations

import contextvars
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, declared_attr, mapped_column

from eoffice.core.time import utcnow

# Named constraints keep Alembic migrations portable between SQLite and PostgreSQL.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)


class UTCDateTime(sa.types.TypeDecorator):
    """A timezone-aware UTC datetime on both databases (SQLite stores naive values and returns them naive)."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is not None:
            if value.tzinfo is None:
                raise ValueError("naive datetime given for a UTC column")
            value = value.astimezone(utcnow().tzinfo)
        return value

    def process_result_value(self, value, dialect):
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=utcnow().tzinfo)
        return value


class TimestampMixin:
    #: When the row was created (UTC).
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    #: When the row was last changed (UTC).
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow, nullable=False)


class AgencyOwnedMixin:
    """Rows that belong to one agency; every read and write of them goes through `core.tenancy`."""

    @declared_attr
    def agency_id(cls) -> Mapped[int]:
        #: The owning agency.
        return mapped_column(sa.ForeignKey("agency.id", ondelete="RESTRICT"), nullable=False, index=True)


# SQLite: whether the next transaction takes the write lock at BEGIN. Numbering and the audit chain read a row
# and then write it; with a deferred BEGIN two writers can both read the old value, and in WAL mode the loser
# fails with SQLITE_BUSY instead of waiting. BEGIN IMMEDIATE makes writers queue on the lock (busy timeout).
sqlite_immediate: contextvars.ContextVar[bool] = contextvars.ContextVar("sqlite_immediate", default=True)


def configure_sqlite_engine(engine: sa.Engine, busy_timeout: int) -> None:
    """Take over transaction control from pysqlite so BEGIN IMMEDIATE and SAVEPOINT behave as documented."""

    @event.listens_for(engine, "connect")
    def _connect(dbapi_connection, connection_record):
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout) * 1000}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(connection):
        connection.exec_driver_sql("BEGIN IMMEDIATE" if sqlite_immediate.get() else "BEGIN")


def is_postgresql(session_or_engine) -> bool:
    bind = session_or_engine.get_bind() if hasattr(session_or_engine, "get_bind") else session_or_engine
    return bind.dialect.name == "postgresql"


# -- slow work outside transactions -------------------------------------------------------------------------------
# PDF parsing, signature verification and calls to other servers take from milliseconds to many seconds. Done
# inside a transaction that holds SQLite's write lock (every POST begins with BEGIN IMMEDIATE) they stall every
# other writer of the deployment; done inside a PostgreSQL transaction that has written they hold row locks.
# `end_transaction_for_slow_work` closes the session's transaction before such work and refuses when that
# transaction has already written, because committing it there would split the request's single commit.
_WROTE = "eoffice.wrote"


@event.listens_for(Session, "after_flush")
def _note_write(session, flush_context) -> None:
    session.info[_WROTE] = True


@event.listens_for(Session, "after_commit")
def _forget_write_on_commit(session) -> None:
    if not session.in_nested_transaction():
        session.info.pop(_WROTE, None)


@event.listens_for(Session, "after_soft_rollback")
def _forget_write_on_rollback(session, previous_transaction) -> None:
    if previous_transaction.parent is None:
        session.info.pop(_WROTE, None)


class WriteTransactionOpen(RuntimeError):
    """Slow work was asked for while the session's transaction holds writes: a programming error."""


def end_transaction_for_slow_work(session) -> None:
    """Close `session`'s (read-only) transaction so that slow work runs without a database transaction or lock.

    What follows begins a new transaction, which on SQLite takes the write lock at BEGIN, since the work is
    usually followed by storing its result. Raises WriteTransactionOpen when the transaction has pending or
    flushed changes.
    """
    session = session() if callable(session) else session  # the scoped session's current Session
    if in_write_transaction(session) or session.in_nested_transaction():
        raise WriteTransactionOpen("slow work requested inside a database transaction that has written")
    if session.in_transaction():
        # Nothing was written, so the loaded objects are as current as they were a moment ago: keeping them
        # loaded means the slow work can read them without beginning a new transaction (and taking the lock).
        expire, session.expire_on_commit = session.expire_on_commit, False
        try:
            session.commit()
        finally:
            session.expire_on_commit = expire
    sqlite_immediate.set(True)


def in_write_transaction(session) -> bool:
    """True when the session's current transaction has written (or is about to): slow work must wait."""
    return bool(session.new or session.dirty or session.deleted or session.info.get(_WROTE))
