"""Time: stored in UTC, shown in Asia/Ho_Chi_Minh as dd/mm/yyyy, exchanged as ISO 8601 with the +07:00 offset."""

from __future__ import annotations

from datetime import date, datetime, timezone
from zoneinfo import ZoneInfo

VN_TZ = ZoneInfo("Asia/Ho_Chi_Minh")


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def to_local(value: datetime) -> datetime:
    if value.tzinfo is None:
        raise ValueError("naive datetime: stored times are UTC and must carry their zone")
    return value.astimezone(VN_TZ)


def local_today() -> date:
    """Today's date in Vietnam, which decides the numbering year and the date printed on documents."""
    return utcnow().astimezone(VN_TZ).date()


def format_date(value: date | datetime | None) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = to_local(value)
    return value.strftime("%d/%m/%Y")


def format_datetime(value: datetime | None) -> str:
    return "" if value is None else to_local(value).strftime("%d/%m/%Y %H:%M")


def iso_local(value: datetime) -> str:
    """ISO 8601 in Vietnam time, e.g. 2026-11-22T09:30:00+07:00 (the form the signature stamps print)."""
    return to_local(value).isoformat(timespec="seconds")


def format_iso(value: str | None) -> str:
    """An ISO 8601 timestamp from a report, shown as dd/mm/yyyy HH:MM:SS in Vietnam time ("" for none)."""
    if not value:
        return ""
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return value
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=timezone.utc)
    return to_local(parsed).strftime("%d/%m/%Y %H:%M:%S")
