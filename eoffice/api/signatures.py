"""Verifying and signing PDFs through the API."""

from flask import Response, jsonify, request
from flask_babel import gettext as _

from eoffice.api import bp, json_body
from eoffice.core.errors import Forbidden, NotFound, ValidationFailed
from eoffice.core.permissions import ADMIN, require_roles
from eoffice.core.tenancy import current_actor, get_scoped, scoped
from eoffice.core.time import utcnow
from eoffice.extensions import db
from eoffice.signing import operations, services
from eoffice.signing.models import REMOTE, TrustAnchor
from eoffice.signing.views import _free_field, _signed_name, _zip, read_pdf_upload
from eoffice.web.transaction import reads_before_writing


@bp.post("/signatures/verify")
@reads_before_writing
def signatures_verify():
    """Verify every signature of the uploaded `file` against the deployment's trust list and the caller's agency's
    anchors, under the one server-side policy (no request parameter changes it)."""
    upload = request.files.get("file")
    data = read_pdf_upload(upload)
    report = services.verify_data(data, current_actor().agency_id)
    return jsonify(services.refuse_unverifiable(report, upload.filename).to_dict())


@bp.post("/signatures/sign")
@reads_before_writing
def signatures_sign():
    """Sign the uploaded `file` (or several `file` parts, one PIN) with the caller's key or, with `seal`, the
    agency seal; one PDF back, or a ZIP for several."""
    uploads = request.files.getlist("file")
    if not uploads:
        raise ValidationFailed(_("Choose a PDF file."), code="file_required")
    pin = request.form.get("pin", "")
    as_seal = request.form.get("seal") in ("1", "true")
    visible = request.form.get("visible", "1") in ("1", "true")
    actor = current_actor()
    # A remote signing service authenticates its user itself; every other key needs the PIN.
    if not pin and services.active_credential(actor.agency_id, None if as_seal else actor).kind != REMOTE:
        raise ValidationFailed(_("The PIN is required."), code="pin_required", details={"fields": ["pin"]})
    pdfs = [read_pdf_upload(upload) for upload in uploads]
    results = operations.sign_documents(actor, pdfs, pin, as_seal=as_seal, visible=visible,
                                        field_name=_free_field(actor, as_seal))
    headers = {"X-Signature-Level": results[0].level.value}
    if any(r.downgraded for r in results):
        headers["X-Signature-Downgraded"] = "; ".join(r.downgrade_reason for r in results if r.downgraded)[:500]
    if len(results) == 1:
        return Response(results[0].pdf, mimetype="application/pdf", headers=headers)
    names = [_signed_name(u.filename or "document.pdf") for u in uploads]
    return Response(_zip(names, [r.pdf for r in results]), mimetype="application/zip", headers=headers)


@bp.get("/signing/credential")
def signing_credential():
    actor = current_actor()
    credential = services.active_credential(actor.agency_id, actor)
    return jsonify({"id": credential.id, "kind": credential.kind, "subject": credential.subject,
                    "issuer": credential.issuer, "serial": credential.serial,
                    "not_after": credential.not_after.isoformat() if credential.not_after else None,
                    "locked": bool(credential.locked_until and credential.locked_until > utcnow())})


@bp.post("/signing/credential/remote")
@require_roles(ADMIN)
def signing_credential_remote():
    """Admin: give a user of the agency (`user_id` or `username`; the admin when neither) a key held by a remote
    signing service (`url`, `key_id`, `token`). The URL must lie under REMOTE_SIGNING_ALLOWED_URLS."""
    data = json_body()
    fields = {k: data.get(k) for k in ("url", "key_id", "token")}
    if not isinstance(fields["url"], str) or not isinstance(fields["key_id"], str) or not fields["key_id"]:
        raise ValidationFailed(_("url and key_id are required strings."), details={"fields": ["url", "key_id"]})
    actor = current_actor()
    owner = _agency_user(actor, data.get("user_id"), data.get("username"))
    credential = services.register_remote(actor.agency, url=fields["url"], key_id=fields["key_id"],
                                          token=str(fields["token"] or ""), user=owner, actor=actor)
    return jsonify({"id": credential.id, "kind": credential.kind, "subject": credential.subject,
                    "user_id": credential.user_id}), 201


@bp.post("/signing/credential/pkcs12")
def signing_credential_pkcs12():
    """Import a PKCS#12 (multipart `file`, `pin`) as the caller's key; an admin may import it for a user of the
    agency (`user_id` or `username`) and confirm (`confirm_name=1`) a certificate that names someone else."""
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        raise ValidationFailed(_("Choose a PKCS#12 file."), code="file_required")
    actor = current_actor()
    owner = _agency_user(actor, request.form.get("user_id"), request.form.get("username"))
    confirm = request.form.get("confirm_name") in ("1", "true")
    if (owner is not actor or confirm) and not actor.has_role(ADMIN):
        raise Forbidden(_("Only an administrator can import a key for another user or confirm its name."))
    credential = services.import_pkcs12(actor.agency, upload.read(), request.form.get("pin", ""), user=owner,
                                        actor=actor, confirm_name=confirm)
    return jsonify({"id": credential.id, "kind": credential.kind, "subject": credential.subject,
                    "user_id": credential.user_id}), 201


def _agency_user(actor, user_id, username):
    """The user of the actor's agency named by id or username (404 for anyone else), or the actor."""
    from eoffice.accounts.models import User

    if user_id not in (None, ""):
        if isinstance(user_id, bool) or not isinstance(user_id, (int, str)) or not str(user_id).isdigit():
            raise ValidationFailed(_("user_id must be a number."), details={"fields": ["user_id"]})
        return get_scoped(User, int(user_id))
    if username not in (None, ""):
        user = db.session.scalar(scoped(User).where(User.username == str(username)))
        if user is None:
            raise NotFound(_("Not found."))
        return user
    return actor


def _anchor_json(anchor: TrustAnchor) -> dict:
    return {"id": anchor.id, "subject": anchor.subject, "sha256": anchor.sha256,
            "not_after": anchor.not_after.isoformat() if anchor.not_after else None}


@bp.get("/signing/trust-anchors")
@require_roles(ADMIN)
def trust_anchors_list():
    return jsonify({"items": [_anchor_json(a) for a in db.session.scalars(scoped(TrustAnchor))]})


@bp.post("/signing/trust-anchors")
@require_roles(ADMIN)
def trust_anchors_add():
    upload = request.files.get("file")
    if upload is None:
        raise ValidationFailed(_("Choose a certificate file."), code="file_required")
    added = services.add_trust_anchor(current_actor().agency, upload.read(), actor=current_actor())
    return jsonify({"items": [_anchor_json(a) for a in added]}), 201


@bp.delete("/signing/trust-anchors/<int:anchor_id>")
@require_roles(ADMIN)
def trust_anchors_remove(anchor_id: int):
    services.remove_trust_anchor(get_scoped(TrustAnchor, anchor_id), actor=current_actor())
    return "", 204
