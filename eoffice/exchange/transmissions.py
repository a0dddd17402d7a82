"""Transmission tracking (theo dõi truyền nhận): every delivery of an issued outgoing document, its mode and
outcome, and the figures an admin watches for a period and a drafting unit.

A delivery is one recipient (`OutgoingRecipient`) of a non-secret document issued in the period (issued, then
possibly recalled or replaced: it was issued all the same). Its outcome, most informative first:

- the highest status code the recipient reported back (01 arrived … 06 completed, 13, 15, 16; 02 rejected): of
  the status history where the exchange keeps one (`InboxPackage`, one row per code received), else the
  recipient's `exchange_status`, the last code reported;
- else the state of the newest "new document" package in the outbox: not sent, sent, failed (retrying), dead;
- else the recipient's own delivery status (units of the agency get the document in their inbox at issuing; a
  clerk records a delivery by hand).

Paper-only recipients have no electronic outcome: paper sent, or not sent.

The figures follow the e-document ratio (DESIGN.md, `GET /api/v1/reports/e-document-ratio`): a document counts
once, by its recipients — fully electronic when every recipient gets it electronically only, paper only when none
gets it electronically (a document without recipients too), electronic and paper otherwise; the ratio is a
fraction of the non-secret documents issued in the period. The free-text places (`places`: "Như Điều 3",
"Lưu: VT") are not recipients and do not count.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from eoffice.core.errors import ValidationFailed
from eoffice.core.time import local_today
from eoffice.exchange.edxml.model import STATUS_CODES
from eoffice.exchange import models as exchange_models
from eoffice.exchange.models import OutboxPackage
from eoffice.extensions import db
from eoffice.outgoing.models import (
    DELIVERED, ELECTRONIC, ELECTRONIC_PAPER, FAILED, ISSUED, MODES, NEW, PAPER, PAPER_SENT, RECALLED, REPLACED,
    UNIT_RECIPIENT, OutgoingDocument, OutgoingRecipient,
)

#: Documents that were issued: a recalled or replaced document left the agency all the same.
ISSUED_STATES = (ISSUED, RECALLED, REPLACED)

# Outcomes of a delivery before any status code comes back.
NOT_SENT, SENT, SEND_FAILED, DEAD = "not_sent", "sent", "failed", "dead"
REJECTED = "02"
#: Outcomes listed as failures on the admin page.
FAILURES = (SEND_FAILED, DEAD, REJECTED)
#: Status codes that say the recipient's system accepted the package: 01 and every later code but 02.
ACCEPTED_CODES = tuple(code for code in STATUS_CODES if code != REJECTED)

# The outbox package's state as the delivery jobs leave it. A state not listed here is shown as it is.
PACKAGE_OUTCOMES = {"pending": NOT_SENT, "sent": SENT, "failed": SEND_FAILED, "retrying": SEND_FAILED,
                    "dead": DEAD, "refused": REJECTED}

OUTCOME_LABELS = {
    NOT_SENT: _l("Not sent"), SENT: _l("Sent, no reply yet"), SEND_FAILED: _l("Sending failed, retrying"),
    DEAD: _l("Undeliverable (retries exhausted)"), PAPER_SENT: _l("Paper sent"),
    "01": _l("Arrived (01)"), "02": _l("Rejected (02)"), "03": _l("Accepted and registered (03)"),
    "04": _l("Assigned for handling (04)"), "05": _l("Being handled (05)"), "06": _l("Completed (06)"),
    "13": _l("Take-back requested (13)"), "15": _l("Take-back or update agreed (15)"),
    "16": _l("Take-back or update refused (16)"),
}


def _status_history():
    """The table of status packages received, one row per code and recipient, when the exchange keeps it
    (`InboxPackage`, with the delivery pipeline); None before, and the recipient row's last code is all there is."""
    return getattr(exchange_models, "InboxPackage", None)


def outcome_label(outcome: str) -> str:
    return str(OUTCOME_LABELS.get(outcome, outcome))


@dataclass(frozen=True)
class Delivery:
    """One recipient of an issued document, with what became of its copy."""

    document_id: int
    symbol: str
    subject: str
    issued_date: date
    unit_id: int
    recipient_id: int
    kind: str
    name: str
    organ_id: str
    mode: str
    outcome: str
    #: When the recipient's status last changed (the code's arrival, the package's, the clerk's record).
    status_at: datetime | None
    attempts: int
    note: str

    @property
    def failed(self) -> bool:
        return self.outcome in FAILURES

    @property
    def label(self) -> str:
        return outcome_label(self.outcome)


@dataclass
class Figures:
    """The tracking figures of one agency for a period and, optionally, one drafting unit."""

    start: date
    end: date
    unit_id: int | None
    #: Non-secret documents issued: the denominator of the ratio.
    issued: int = 0
    secret_excluded: int = 0
    fully_electronic: int = 0
    electronic_and_paper: int = 0
    paper_only: int = 0
    deliveries: list[Delivery] = field(default_factory=list)

    @property
    def fully_electronic_ratio(self) -> float | None:
        return round(self.fully_electronic / self.issued, 4) if self.issued else None

    @property
    def by_mode(self) -> dict[str, int]:
        counts = Counter(d.mode for d in self.deliveries)
        return {mode: counts.get(mode, 0) for mode in MODES}

    @property
    def by_outcome(self) -> dict[str, int]:
        counts = Counter(d.outcome for d in self.deliveries)
        order = [NOT_SENT, SENT, SEND_FAILED, DEAD, *STATUS_CODES, PAPER_SENT]
        return {o: counts[o] for o in order + sorted(set(counts) - set(order)) if counts.get(o)}

    @property
    def failures(self) -> list[Delivery]:
        return [d for d in self.deliveries if d.failed]


def outcome_of(*, mode: str, status: str, code: str, package_status: str | None) -> str:
    """The outcome of one delivery from its highest status code, its newest package and its own delivery status
    (see the module)."""
    if mode == PAPER:
        return PAPER_SENT if status == PAPER_SENT else NOT_SENT
    if code:
        return code
    from_package = PACKAGE_OUTCOMES.get(package_status, package_status) if package_status else None
    if from_package and from_package != NOT_SENT:
        return from_package
    if status == DELIVERED:
        return SENT
    if status == FAILED:
        return SEND_FAILED
    return NOT_SENT


def _newest_packages():
    """Subquery: the newest "new document" package of each recipient (recall/update/replace are later news)."""
    newest = (sa.select(OutboxPackage.recipient_id, sa.func.max(OutboxPackage.id).label("package_id"))
              .where(OutboxPackage.recipient_id.is_not(None), OutboxPackage.business_type == NEW)
              .group_by(OutboxPackage.recipient_id).subquery())
    return (sa.select(newest.c.recipient_id, OutboxPackage.status, OutboxPackage.attempts)
            .join(OutboxPackage, OutboxPackage.id == newest.c.package_id).subquery())


def _codes_received(recipient_ids: list[int]) -> dict[int, dict[str, datetime]]:
    """{recipient id: {code: when it came}} from the status history, empty where there is none."""
    history = _status_history()
    if history is None or not recipient_ids:
        return {}
    found: dict[int, dict[str, datetime]] = {}
    for chunk in range(0, len(recipient_ids), 500):
        rows = db.session.execute(
            sa.select(history.recipient_id, history.status_code, history.status_at, history.received_at)
            .where(history.recipient_id.in_(recipient_ids[chunk:chunk + 500]), history.status_code.is_not(None)))
        for rid, code, at, received in rows:
            codes = found.setdefault(rid, {})
            when = at or received
            if codes.get(code) is None or (when is not None and when < codes[code]):
                codes[code] = when
    return found


def highest_code(recipient: OutgoingRecipient, history: dict[str, datetime] | None = None) -> str:
    """The highest status code the recipient reported: of its history when kept, else its last code."""
    known = [code for code in {*(history or ()), recipient.exchange_status} if code in STATUS_CODES]
    return max(known, key=STATUS_CODES.index) if known else ""


def recipient_outcomes(recipients: list[OutgoingRecipient]) -> dict[int, str]:
    """Outcome per recipient id, for the recipients of one document (its page and its API JSON)."""
    ids = [r.id for r in recipients if r.id is not None]
    packages = {}
    if ids:
        newest = _newest_packages()
        packages = dict(db.session.execute(sa.select(newest.c.recipient_id, newest.c.status)
                                           .where(newest.c.recipient_id.in_(ids))).all())
    history = _codes_received(ids)
    return {r.id: outcome_of(mode=r.mode, status=r.status, code=highest_code(r, history.get(r.id)),
                             package_status=packages.get(r.id)) for r in recipients}


def compute_figures(agency_id: int, start: date, end: date, unit_id: int | None = None) -> Figures:
    """Figures and deliveries of the documents `agency_id` issued from `start` to `end` (inclusive, Vietnam
    dates), drafted by `unit_id` when given."""
    figures = Figures(start=start, end=end, unit_id=unit_id)
    where = [OutgoingDocument.agency_id == agency_id, OutgoingDocument.status.in_(ISSUED_STATES),
             OutgoingDocument.issued_date >= start, OutgoingDocument.issued_date <= end]
    if unit_id is not None:
        where.append(OutgoingDocument.drafting_unit_id == unit_id)
    figures.secret_excluded = db.session.scalar(
        sa.select(sa.func.count()).select_from(OutgoingDocument).where(*where, OutgoingDocument.secrecy != ""))
    docs = db.session.execute(sa.select(OutgoingDocument.id, OutgoingDocument.symbol, OutgoingDocument.subject,
                                        OutgoingDocument.issued_date, OutgoingDocument.drafting_unit_id)
                              .where(*where, OutgoingDocument.secrecy == "")
                              .order_by(OutgoingDocument.issued_date, OutgoingDocument.id)).all()
    figures.issued = len(docs)
    packages = _newest_packages()
    rows = db.session.execute(
        sa.select(OutgoingRecipient, packages.c.status, packages.c.attempts)
        .join(OutgoingDocument, OutgoingDocument.id == OutgoingRecipient.document_id)
        .outerjoin(packages, packages.c.recipient_id == OutgoingRecipient.id)
        .where(*where, OutgoingDocument.secrecy == "").order_by(OutgoingRecipient.id)).all()
    history = _codes_received([r.id for r, _s, _a in rows])
    by_doc: dict[int, list] = {}
    for row in rows:
        by_doc.setdefault(row[0].document_id, []).append(row)
    for doc in docs:
        recipients = by_doc.get(doc.id, [])
        modes = {r.mode for r, _s, _a in recipients}
        if modes == {ELECTRONIC}:
            figures.fully_electronic += 1
        elif modes & {ELECTRONIC, ELECTRONIC_PAPER}:
            figures.electronic_and_paper += 1
        else:
            figures.paper_only += 1
        for r, package_status, attempts in recipients:
            outcome = outcome_of(mode=r.mode, status=r.status, code=highest_code(r, history.get(r.id)),
                                 package_status=package_status)
            figures.deliveries.append(Delivery(
                document_id=doc.id, symbol=doc.symbol or "", subject=doc.subject, issued_date=doc.issued_date,
                unit_id=doc.drafting_unit_id, recipient_id=r.id, kind=r.kind, name=r.name, organ_id=r.organ_id,
                mode=r.mode, outcome=outcome, status_at=r.status_at, attempts=attempts or 0, note=r.note))
    return figures


def transfer_times(documents: list[OutgoingDocument]) -> dict[int, datetime]:
    """When each document was transferred (Ngày chuyển of the outgoing register): the earliest time one of its
    copies was taken in — a package accepted by the recipient's system (code 01 or later, 02 excepted), a copy
    put in a unit's inbox, a paper copy the clerk recorded as sent. A document issued and not yet taken in has
    no transfer date.

    With the status history, a package is dated by the first accepting code; without it by the recipient's
    `status_at`, the time of its latest status (a recipient past 01 then dates its transfer by its latest code)."""
    history = _codes_received([r.id for doc in documents for r in doc.recipients])
    times: dict[int, datetime] = {}
    for doc in documents:
        taken = []
        for r in doc.recipients:
            accepted = [at for code, at in history.get(r.id, {}).items() if code in ACCEPTED_CODES and at]
            if accepted:
                taken.append(min(accepted))
            elif r.status_at is not None and (r.exchange_status in ACCEPTED_CODES
                                              or (r.kind == UNIT_RECIPIENT and r.status == DELIVERED)
                                              or r.status == PAPER_SENT):
                taken.append(r.status_at)
        if taken:
            times[doc.id] = min(taken)
    return times


def parse_period(start: str | None, end: str | None, *, day_first: bool) -> tuple[date, date]:
    """The period of a request: dd/mm/yyyy on the pages (`day_first`), yyyy-mm-dd in the API; by default from
    1 January to today (Vietnam). A date that does not parse, or an end before the start, is a 422."""
    today = local_today()

    def parse(text: str | None, default: date, name: str) -> date:
        text = (text or "").strip()
        if not text:
            return default
        try:
            return datetime.strptime(text, "%d/%m/%Y" if day_first else "%Y-%m-%d").date()
        except ValueError:
            message = _l("A date as dd/mm/yyyy.") if day_first else _l("A date as YYYY-MM-DD.")
            raise ValidationFailed(message, code="invalid_date", details={"fields": [name]}) from None

    first, last = parse(start, today.replace(month=1, day=1), "from"), parse(end, today, "to")
    if last < first:
        raise ValidationFailed(_l("The end of the period is before its start."), code="invalid_period",
                               details={"fields": ["from", "to"]})
    return first, last
