"""Review and approval with an order the server enforces, then the competent signer's signature.

The chain of steps comes from the agency's `ApprovalStepDefinition` rows for the document type (or for every
type), else the default: head of the drafting unit, then the signer. A submitted document takes its own copy
of the chain (`OutgoingStep`). Only someone eligible for a step that is waiting now may approve or return;
anyone else gets 403, and so does anyone who tries to sign in the signer's place.

Gap, documented: initial signing (ký nháy) by reviewers is not implemented; approvals are recorded events.
"""

from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import select

from eoffice.core import signals
from eoffice.core.db import end_transaction_for_slow_work
from eoffice.core.errors import Conflict, Forbidden, ValidationFailed
from eoffice.core.files import store_file
from eoffice.core.permissions import CLERK, LEADER
from eoffice.core.time import utcnow
from eoffice.extensions import db
from eoffice.outgoing.models import (
    APPENDIX_ISSUED, APPROVED, DRAFT, FORMAT_CHECK, IN_REVIEW, ISSUED_FILE, LEADER_REVIEW, LEADER_SIGNED, MAIN,
    SIGNED, SIGNER, SIGNING_COPY, STEP_KINDS, UNIT_HEAD, ApprovalStepDefinition, OutgoingDocument, OutgoingFile, OutgoingStep,
)
from eoffice.outgoing.services.drafting import record_event
from eoffice.signing import services as signing_services

#: The chain when an agency configured none: the drafting unit's head checks content, the signer approves.
DEFAULT_STEPS = ((1, UNIT_HEAD, "", 1), (2, SIGNER, "", 1))


def step_chain(agency_id: int, document_type_id: int) -> list[tuple[int, str, str, int]]:
    """(position, kind, name, required approvals) of the chain for this type; always ending with the signer."""
    rows = []
    for type_filter in (ApprovalStepDefinition.document_type_id == document_type_id,
                        ApprovalStepDefinition.document_type_id.is_(None)):
        rows = db.session.scalars(select(ApprovalStepDefinition).where(
            ApprovalStepDefinition.agency_id == agency_id, type_filter)
            .order_by(ApprovalStepDefinition.position, ApprovalStepDefinition.id)).all()
        if rows:
            break
    chain = [(r.position, r.kind, r.name, max(1, r.required_approvals)) for r in rows] or list(DEFAULT_STEPS)
    if not any(kind == SIGNER for _p, kind, _n, _r in chain):
        chain.append((max(p for p, *_rest in chain) + 1, SIGNER, "", 1))
    return chain


def define_step(agency, *, kind: str, position: int, document_type_id: int | None = None, name: str = "",
                required_approvals: int = 1, actor=None) -> ApprovalStepDefinition:
    """Add a step to the agency's chain (admin)."""
    if kind not in STEP_KINDS or int(position) < 1 or int(required_approvals) < 1:
        raise ValidationFailed(_("Unknown step kind, or a position or count below 1."))
    step = ApprovalStepDefinition(agency_id=agency.id, kind=kind, position=int(position), name=name[:100],
                                  document_type_id=document_type_id, required_approvals=int(required_approvals))
    db.session.add(step)
    db.session.flush()
    return step


def can_act_on_step(actor, doc: OutgoingDocument, step: OutgoingStep) -> bool:
    """Who may approve or return at a step: the drafting unit's leaders, a clerk (format), a leader, the signer."""
    if actor.agency_id != doc.agency_id:
        return False
    if step.kind == SIGNER:
        return actor.id == doc.signer_id
    if step.kind == UNIT_HEAD:
        return actor.has_role(LEADER) and actor.unit_id == doc.drafting_unit_id
    if step.kind == FORMAT_CHECK:
        return actor.has_role(CLERK)
    return step.kind == LEADER_REVIEW and actor.has_role(LEADER)


def waiting_steps(doc: OutgoingDocument) -> list[OutgoingStep]:
    if doc.status != IN_REVIEW:
        return []
    return [s for s in doc.steps if s.position == doc.current_position and s.completed_at is None]


def _approvals(doc: OutgoingDocument, step: OutgoingStep) -> list:
    return [e for e in doc.events if e.step is step and e.action == "approve" and e.valid]


def actionable_step(actor, doc: OutgoingDocument) -> OutgoingStep | None:
    """The waiting step `actor` may act on now (not one they have already approved), or None."""
    for step in waiting_steps(doc):
        if can_act_on_step(actor, doc, step) and all(e.actor_id != actor.id for e in _approvals(doc, step)):
            return step
    return None


def submit_document(doc: OutgoingDocument, actor) -> OutgoingDocument:
    """Send the draft into review: it takes its own copy of the chain and waits at the first position."""
    if doc.drafter_id != actor.id:
        raise Forbidden(_("Only the drafter can submit the draft."))
    if doc.status != DRAFT:
        raise Conflict(_("Only a draft can be submitted."), code="wrong_state")
    if doc.current_file(MAIN) is None:
        raise ValidationFailed(_("Upload the main document first."), code="file_required")
    doc.steps = [OutgoingStep(position=p, kind=k, name=n, required_approvals=r)
                 for p, k, n, r in step_chain(doc.agency_id, doc.document_type_id)]
    _check_staffed(doc)
    doc.status, doc.current_position = IN_REVIEW, min(s.position for s in doc.steps)
    record_event(doc, "submit", actor)
    db.session.flush()
    signals.outgoing_changed.send(doc, actor=actor, action="submit", details={"revision": doc.revision})
    return doc


def _check_staffed(doc: OutgoingDocument) -> None:
    """Refuse a chain that nobody could finish (e.g. a drafting unit without a leader) instead of letting the
    draft wait forever; the administrator configures the steps (`ApprovalStepDefinition`)."""
    from eoffice.accounts.models import User

    users = db.session.scalars(select(User).where(User.agency_id == doc.agency_id, User.active.is_(True))).all()
    for step in doc.steps:
        eligible = sum(1 for user in users if can_act_on_step(user, doc, step))
        if eligible < step.required_approvals:
            raise Conflict(_("Nobody can complete the approval step \"%(step)s\" (for example, the drafting unit "
                             "has no leader). Ask the administrator to configure the approval steps.",
                             step=step.name or step.kind), code="step_unstaffed", details={"step": step.kind})


def approve_document(doc: OutgoingDocument, actor, comment: str = "", *, prepare_copy: bool = True) -> OutgoingDocument:
    """Approve the waiting step the actor is eligible for; 403 for anyone out of turn. The last approval prepares
    the signing copy, unless the caller (signing as the last approval) brings its own."""
    step = actionable_step(actor, doc)
    if step is None:
        raise Forbidden(_("It is not your turn to approve this document."), code="out_of_turn")
    record_event(doc, "approve", actor, comment=comment, step=step)
    db.session.flush()
    if len(_approvals(doc, step)) >= step.required_approvals:
        step.completed_at = utcnow()
        _advance(doc, actor, prepare_copy)
    db.session.flush()
    signals.outgoing_reviewed.send(doc, actor=actor, action="approve", step=step.kind, comment=comment)
    return doc


def _advance(doc: OutgoingDocument, actor, prepare_copy: bool = True) -> None:
    if waiting_steps(doc):
        return  # a parallel step of this position still waits
    later = sorted({s.position for s in doc.steps if s.completed_at is None})
    if later:
        doc.current_position = later[0]
        return
    doc.status, doc.current_position = APPROVED, None
    if prepare_copy:
        prepare_document(doc, actor)


def return_document(doc: OutgoingDocument, actor, comment: str) -> OutgoingDocument:
    """Send the draft back to the drafter with a comment; the review starts again from the first step."""
    step = actionable_step(actor, doc)
    if step is None:
        raise Forbidden(_("It is not your turn to review this document."), code="out_of_turn")
    if not (comment or "").strip():
        raise ValidationFailed(_("Say what should change."), details={"fields": ["comment"]})
    for event in doc.events:
        if event.action == "approve":
            event.valid = False
    record_event(doc, "return", actor, comment=comment.strip(), step=step)
    doc.steps = []
    doc.status, doc.current_position = DRAFT, None
    db.session.flush()
    signals.outgoing_reviewed.send(doc, actor=actor, action="return", step=step.kind, comment=comment.strip())
    return doc


def restart_approvals(doc: OutgoingDocument, actor, reason: str) -> bool:
    """The content approved is no longer the content to sign (a new main file, another signer): every approval
    stops counting and the chain starts again at its first step, recorded as a `restart` event with `reason`.
    Returns False, changing nothing, when nobody had approved yet."""
    approvals = [e for e in doc.events if e.action == "approve" and e.valid]
    if not approvals and doc.status != APPROVED:
        return False
    for event in approvals:
        event.valid = False
    for step in doc.steps:
        step.completed_at = None
    if doc.steps:
        doc.status, doc.current_position = IN_REVIEW, min(s.position for s in doc.steps)
    record_event(doc, "restart", actor, comment=reason)
    return True


def reopen_for_signer(doc: OutgoingDocument, actor) -> None:
    """A change after the signer approved: the signer's approval no longer counts and the signer decides again
    (Decree 30, Art. 11); the steps before the signer keep their approvals."""
    signer_steps = [s for s in doc.steps if s.kind == SIGNER]
    if not signer_steps or not any(s.completed_at for s in signer_steps):
        return
    for step in signer_steps:
        step.completed_at = None
        for event in _approvals(doc, step):
            event.valid = False
    doc.status, doc.current_position = IN_REVIEW, min(s.position for s in signer_steps)


def prepare_document(doc: OutgoingDocument, actor) -> OutgoingFile:
    """The signing copy of the current main file: number and date fields, leader and agency signature fields."""
    main = doc.current_file(MAIN)
    data = main.stored_file.read()
    signing_services.check_readable_pdf(data, main.stored_file.name)
    return add_version(doc, SIGNING_COPY, _prepared_copy(doc, data), f"{doc.id}-signing-copy.pdf", actor)


def add_version(doc: OutgoingDocument, role: str, pdf: bytes, name: str, actor, position: int = 0) -> OutgoingFile:
    """Store `pdf` as the next version of the document's file of `role` (signing copies, signed results)."""
    last = doc.current_file(role, position)
    row = OutgoingFile(document=doc, role=role, position=position, version=(last.version + 1) if last else 1,
                       stored_file=store_file(doc.agency_id, pdf, name, created_by=actor),
                       created_by_id=getattr(actor, "id", None))
    db.session.add(row)
    db.session.flush()
    if role in (LEADER_SIGNED, ISSUED_FILE, APPENDIX_ISSUED):
        # Signed versions get their verification report computed once, after commit; pages read it.
        signing_services.request_verification(row.stored_file.sha256, doc.agency_id)
    return row


def current_signing_copy(doc: OutgoingDocument) -> OutgoingFile | None:
    """The signing copy, when it was prepared from the current main file (a copy of an older main file is not
    what was approved, and is never signed)."""
    copy, main = doc.current_file(SIGNING_COPY), doc.current_file(MAIN)
    return copy if copy is not None and main is not None and copy.id > main.id else None


def _signable(doc: OutgoingDocument, actor) -> bool:
    """Refuse anyone but the chosen signer and a document not yet approved; True when signing is also the
    signer's own approval (the only step still waiting is the signer's)."""
    if actor.id != doc.signer_id or actor.agency_id != doc.agency_id:
        raise Forbidden(_("Only the chosen signer can sign this document."), code="not_signer")
    waiting = waiting_steps(doc)
    implicit = bool(doc.status == IN_REVIEW and waiting and all(s.kind == SIGNER for s in waiting))
    if doc.status != APPROVED and not implicit:
        raise Conflict(_("The document is not approved for signing yet."), code="wrong_state")
    return implicit


def sign_document(doc: OutgoingDocument, actor, pin: str) -> OutgoingDocument:
    """The signer signs the prepared copy in the leader field with their key and signature image.

    When the document waits only for the signer's own approval, signing is that approval. Anyone but the chosen
    signer gets 403. The signature is made with no database transaction open (the file, the key and the
    timestamp authority take seconds, and SQLite's write lock would stop every other user meanwhile); then the
    document is locked and, only if it is still what was signed (same main file, signing copy and signer, still
    awaiting the signature), the signed version is stored. A double click that finds it signed is answered the
    same; a wrong PIN is counted (see signing.services.unlocked).
    """
    from eoffice.outgoing.services.issuing import lock_document

    if doc.status == SIGNED and actor.id == doc.signer_id:
        return doc  # a retried request or a double click: signed once, answered the same
    implicit = _signable(doc, actor)
    if not (pin or "").strip():
        raise ValidationFailed(_("Enter your PIN."), code="pin_required")
    credential = signing_services.active_credential(actor.agency_id, actor)
    signing_services.can_use(actor, credential)
    # Signing as the last approval prepares the copy afresh, from the document as it is now (as approving does).
    main, copy = doc.current_file(MAIN), None if implicit else current_signing_copy(doc)
    seen = (main.id, copy.id if copy else None, doc.signer_id)
    source = (copy or main).stored_file.read()
    options = _leader_options(doc, actor)
    end_transaction_for_slow_work(db.session)
    # A file that cannot be parsed is refused before the PIN is tried (files stored before uploads were checked).
    signing_services.check_readable_pdf(source)
    copy_pdf = source if copy is not None else _prepared_copy(doc, source)
    with signing_services.unlocked(credential, pin, actor=actor) as signer:
        result = _sign_copy(copy_pdf, signer, options)
    doc = lock_document(doc)
    if doc.status == SIGNED:
        return doc
    implicit = _signable(doc, actor)
    copy = None if implicit else current_signing_copy(doc)
    if (doc.current_file(MAIN).id, copy.id if copy else None, doc.signer_id) != seen:
        raise Conflict(_("The document changed while it was being signed. Check it and sign again."),
                       code="changed_while_signing")
    # Everything after the signature is one unit: a refusal leaves no approval and no file behind.
    with db.session.begin_nested():
        if copy is None:
            add_version(doc, SIGNING_COPY, copy_pdf, f"{doc.id}-signing-copy.pdf", actor)
        if implicit:
            approve_document(doc, actor, prepare_copy=False)
        add_version(doc, LEADER_SIGNED, result.pdf, f"{doc.id}-signed.pdf", actor)
        doc.status, doc.signed_at = SIGNED, result.signing_time
        record_event(doc, "sign", actor, comment=result.level.value)
        db.session.flush()
    signals.document_signed.send(credential, actor=actor, count=1, level=result.level.value,
                                 downgraded=[result.downgrade_reason] if result.downgraded else [])
    signals.outgoing_signed.send(doc, actor=actor)
    return doc


def _leader_options(doc: OutgoingDocument, actor) -> dict:
    from eoffice.outgoing.services.issuing import layout_for
    from eoffice.signing import operations
    from eoffice.signing.models import SIGNATURE_IMAGE
    from eoffice.signing.stamps import SignerStampStyle

    options = operations.signature_options(actor, as_seal=False, layout=layout_for(doc))
    image = signing_services.stamp_png(actor.agency_id, SIGNATURE_IMAGE, actor)
    if image:
        # The block prints the position and name chosen for this document, e.g. "KT. CHỦ TỊCH".
        options["stamp"] = SignerStampStyle(signature_png=image, position=doc.signer_position.upper(),
                                            name=doc.signer_name)
    # A certification signature (DocMDP P=2): later changes other than form filling and signing, which the flow
    # itself makes (number, date, seal), invalidate the leader's signature (DESIGN.md).
    options["certify"] = True
    return options


def _prepared_copy(doc: OutgoingDocument, main_pdf: bytes) -> bytes:
    from eoffice.outgoing.services.issuing import layout_for
    from eoffice.signing.forms import prepare_signing_copy

    try:
        return prepare_signing_copy(main_pdf, layout_for(doc))
    except ValueError as exc:
        raise ValidationFailed(_("The main file cannot be prepared for signing: %(e)s", e=str(exc)[:200]),
                               code="not_preparable") from None


def _sign_copy(pdf: bytes, signer, options: dict):
    from eoffice.signing.operations import signing_errors
    from eoffice.signing.sign import sign_pdf

    with signing_errors():
        return sign_pdf(pdf, signer, **options)
