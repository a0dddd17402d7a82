"""Turn the domain signals into audit entries, inside the transaction of the change."""

from __future__ import annotations

from flask import g, has_app_context

from eoffice.audit.services import record
from eoffice.core import signals


def _actor(kwargs):
    actor = kwargs.get("actor")
    if actor is None and has_app_context():
        actor = g.get("actor")
    return actor


def _agency_of(obj, actor):
    return getattr(obj, "agency_id", None) or getattr(actor, "agency_id", None)


@signals.user_logged_in.connect
def _logged_in(user, **kwargs):
    record("user.login", agency_id=user.agency_id, actor=user, obj=user, data={"via": kwargs.get("via", "web")})


@signals.user_logged_out.connect
def _logged_out(user, **kwargs):
    record("user.logout", agency_id=user.agency_id, actor=user, obj=user, data={"via": kwargs.get("via", "web")})


@signals.login_failed.connect
def _login_failed(user, **kwargs):
    record("user.login_failed", agency_id=getattr(user, "agency_id", None), actor=None,
           object_type="user", object_id=str(user.id) if user is not None else "",
           data={"username": (kwargs.get("username") or "")[:64], "reason": kwargs.get("reason"),
                 "locked": bool(kwargs.get("locked"))})


@signals.user_created.connect
def _user_created(user, **kwargs):
    record("user.create", agency_id=user.agency_id, actor=_actor(kwargs), obj=user,
           data={"username": user.username, "roles": sorted(user.roles)})


@signals.user_updated.connect
def _user_updated(user, **kwargs):
    record("user.update", agency_id=user.agency_id, actor=_actor(kwargs), obj=user, data=kwargs.get("changes"))


@signals.roles_changed.connect
def _roles_changed(user, **kwargs):
    record("user.roles", agency_id=user.agency_id, actor=_actor(kwargs), obj=user,
           data={"old": kwargs.get("old"), "new": kwargs.get("new")})


@signals.unit_changed.connect
def _unit_changed(unit, **kwargs):
    record(f"unit.{kwargs.get('action')}", agency_id=unit.agency_id, actor=_actor(kwargs), obj=unit,
           data={"name": unit.name, "abbreviation": unit.abbreviation})


@signals.agency_changed.connect
def _agency_changed(agency, **kwargs):
    record(f"agency.{kwargs.get('action')}", agency_id=agency.id, actor=_actor(kwargs), obj=agency,
           data={"name": agency.name, "code": agency.code})


@signals.book_changed.connect
def _book_changed(book, **kwargs):
    record(f"book.{kwargs.get('action')}", agency_id=book.agency_id, actor=_actor(kwargs), obj=book,
           data={"name": book.name, "direction": book.direction, **(kwargs.get("changes") or {})})


@signals.number_allocated.connect
def _number_allocated(allocation, **kwargs):
    record("number.allocate", agency_id=allocation.agency_id, actor=_actor(kwargs), obj=allocation,
           data={"book_id": allocation.book_id, "year": allocation.year, "number": allocation.number,
                 "reference": allocation.reference})


@signals.credential_changed.connect
def _credential_changed(obj, **kwargs):
    # The sender is the credential or image; for a refused import (nothing stored) it is the key's owner.
    record(f"signing.{kwargs.get('action')}", agency_id=obj.agency_id, actor=_actor(kwargs), obj=obj,
           data={"user_id": getattr(obj, "user_id", None), "subject": getattr(obj, "subject", None),
                 "kind": getattr(obj, "kind", None), **(kwargs.get("details") or {})})


@signals.pin_failed.connect
def _pin_failed(credential, **kwargs):
    record("signing.pin_failed", agency_id=credential.agency_id, actor=_actor(kwargs), obj=credential,
           data={"locked": bool(kwargs.get("locked"))})


@signals.trust_changed.connect
def _trust_changed(anchor, **kwargs):
    record(f"trust.{kwargs.get('action')}", agency_id=anchor.agency_id, actor=_actor(kwargs), obj=anchor,
           data={"subject": anchor.subject, "sha256": anchor.sha256})


@signals.document_signed.connect
def _document_signed(credential, **kwargs):
    record("signing.sign", agency_id=credential.agency_id, actor=_actor(kwargs), obj=credential,
           data={"count": kwargs.get("count"), "level": kwargs.get("level"), "seal": credential.user_id is None,
                 "downgraded": kwargs.get("downgraded") or []})


@signals.incoming_received.connect
def _incoming_received(doc, **kwargs):
    record("incoming.receive", agency_id=doc.agency_id, actor=_actor(kwargs), obj=doc,
           data={"source": kwargs.get("source"), "subject": doc.subject[:200], "secrecy": doc.secrecy,
                 "signature_valid": doc.signature_valid})


@signals.incoming_changed.connect
def _incoming_changed(doc, **kwargs):
    record(f"incoming.{kwargs.get('action')}", agency_id=doc.agency_id, actor=_actor(kwargs), obj=doc,
           data={"state": doc.state, **(kwargs.get("data") or {})})


# -- outgoing documents -----------------------------------------------------------------------------------------

@signals.outgoing_changed.connect
def _outgoing_changed(doc, **kwargs):
    record(f"outgoing.{kwargs.get('action')}", agency_id=doc.agency_id, actor=_actor(kwargs), obj=doc,
           data={"revision": doc.revision, "status": doc.status, **(kwargs.get("details") or {})})


@signals.outgoing_reviewed.connect
def _outgoing_reviewed(doc, **kwargs):
    record(f"outgoing.{kwargs.get('action')}", agency_id=doc.agency_id, actor=_actor(kwargs), obj=doc,
           data={"step": kwargs.get("step"), "revision": doc.revision, "comment": (kwargs.get("comment") or "")[:500]})


@signals.outgoing_signed.connect
def _outgoing_signed(doc, **kwargs):
    record("outgoing.sign", agency_id=doc.agency_id, actor=_actor(kwargs), obj=doc, data={"revision": doc.revision})


@signals.outgoing_issued.connect
def _outgoing_issued(doc, **kwargs):
    record("outgoing.issue", agency_id=doc.agency_id, actor=_actor(kwargs), obj=doc,
           data={"symbol": doc.symbol, "book_id": doc.book_id, "number": doc.number, "year": doc.year})


@signals.outgoing_dispatched.connect
def _outgoing_dispatched(package, **kwargs):
    record("outgoing.package", agency_id=package.agency_id, actor=_actor(kwargs), obj=package,
           data={"document_id": package.document_id, "package_id": package.package_id,
                 "business_type": package.business_type, "recipient_id": package.recipient_id})


@signals.outgoing_status_changed.connect
def _outgoing_status_changed(doc, **kwargs):
    record(f"outgoing.{kwargs.get('action')}", agency_id=doc.agency_id, actor=_actor(kwargs), obj=doc,
           data={"status": doc.status, "reason": (kwargs.get("reason") or "")[:500]})


# -- exchange ---------------------------------------------------------------------------------------------------

@signals.partner_changed.connect
def _partner_changed(partner, **kwargs):
    record(f"exchange.partner_{kwargs.get('action')}", agency_id=partner.agency_id, actor=_actor(kwargs), obj=partner,
           data={"organ_id": partner.organ_id, "name": partner.name, "kind": partner.kind,
                 "changes": kwargs.get("changes") or {}})
