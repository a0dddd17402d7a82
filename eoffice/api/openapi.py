"""The OpenAPI document of /api/v1. Written by hand because the API is hand-validated; a test checks that every
API route appears here, so the document cannot silently fall behind the code."""

from flask import jsonify

from eoffice.api import bp

ERROR = {"$ref": "#/components/schemas/Error"}
JSON_OBJECT = {"type": "object"}


def _op(summary: str, *, body: dict | None = None, ok: int = 200, public: bool = False, tag: str = "") -> dict:
    op = {"summary": summary, "tags": [tag] if tag else [],
          "responses": {str(ok): {"description": "OK"} if ok == 204 else
                        {"description": "OK", "content": {"application/json": {"schema": JSON_OBJECT}}},
                        "default": {"description": "Error", "content": {"application/json": {"schema": ERROR}}}}}
    if body is not None:
        op["requestBody"] = {"required": True, "content": {"application/json": {"schema": body}}}
    if public:
        op["security"] = []
    return op


def _obj(**props) -> dict:
    return {"type": "object", "properties": {k: {"type": v} for k, v in props.items()}}


UNIT = _obj(name="string", abbreviation="string", parent_id="integer")
USER = _obj(username="string", password="string", full_name="string", position="string", email="string",
            unit_id="integer", active="boolean", roles="array")
BOOK = _obj(name="string", direction="string", secret="boolean", legal_normative="boolean", active="boolean",
            document_type_ids="array")
OUTGOING = _obj(document_type_id="integer", subject="string", signer_id="integer", signer_position="string",
                signer_name="string", drafting_unit_id="integer", places="string", due_date="string",
                priority="integer", secrecy="string", page_amount="integer", issued_amount="integer",
                language="string", description="string", recipients="array")
PARTNER = _obj(organ_id="string", name="string", organization_in_charge="string", address="string", email="string",
               telephone="string", fax="string", website="string", kind="string", base_url="string",
               active="boolean", certificates="array")

PATHS = {
    "/auth/token": {"post": _op("Exchange username and password for a bearer token", tag="auth", public=True,
                                body=_obj(username="string", password="string"))},
    "/auth/revoke": {"post": _op("Revoke the token of this request", ok=204, tag="auth")},
    "/me": {"get": _op("The authenticated user", tag="auth")},
    "/agency": {"get": _op("The caller's agency", tag="accounts"),
                "patch": _op("Change the caller's agency (admin)", body=JSON_OBJECT, tag="accounts")},
    "/units": {"get": _op("Units of the caller's agency", tag="accounts"),
               "post": _op("Create a unit (admin)", body=UNIT, ok=201, tag="accounts")},
    "/units/{unit_id}": {"get": _op("One unit", tag="accounts"),
                         "patch": _op("Change a unit (admin)", body=UNIT, tag="accounts"),
                         "delete": _op("Remove an empty unit (admin)", ok=204, tag="accounts")},
    "/users": {"get": _op("Users of the caller's agency", tag="accounts"),
               "post": _op("Create a user (admin)", body=USER, ok=201, tag="accounts")},
    "/users/{user_id}": {"get": _op("One user", tag="accounts"),
                         "patch": _op("Change a user, roles or password (admin)", body=USER, tag="accounts"),
                         "delete": _op("Deactivate a user (admin)", ok=204, tag="accounts")},
    "/registry/document-types": {"get": _op("The Decree 30 document types", tag="registry")},
    "/registry/books": {"get": _op("Registry books with this year's last number (admin, clerk)", tag="registry"),
                        "post": _op("Create a registry book (admin)", body=BOOK, ok=201, tag="registry")},
    "/registry/books/{book_id}": {"get": _op("One registry book (admin, clerk)", tag="registry"),
                                  "patch": _op("Change a registry book (admin)", body=BOOK, tag="registry"),
                                  "delete": _op("Remove an unused registry book (admin)", ok=204, tag="registry")},
    "/signatures/verify": {"post": _op("Verify every signature of a PDF (multipart `file`) against the deployment's "
                                       "trust list and the caller's agency's anchors; 503 with Retry-After when "
                                       "every verifier is busy", tag="signing", body=None)},
    "/signatures/sign": {"post": _op("Sign one or several PDFs (multipart `file`…, `pin`, optional `seal`, "
                                     "`visible`) → application/pdf or application/zip", tag="signing")},
    "/signing/credential": {"get": _op("The caller's signing key", tag="signing")},
    "/signing/credential/remote": {"post": _op("Admin: a user's key at a remote signing service (url under "
                                               "REMOTE_SIGNING_ALLOWED_URLS, key_id, token, user_id or username)",
                                               body=JSON_OBJECT, ok=201, tag="signing")},
    "/signing/credential/pkcs12": {"post": _op("Import a PKCS#12 key (multipart `file`, `pin`; admin: `user_id` or "
                                               "`username`, `confirm_name=1` for a certificate naming someone else)",
                                               ok=201, tag="signing", body=None)},
    "/signing/trust-anchors": {"get": _op("Trusted roots of the agency (admin)", tag="signing"),
                               "post": _op("Add trusted roots (multipart `file`, PEM or DER; admin)", ok=201,
                                           tag="signing")},
    "/signing/trust-anchors/{anchor_id}": {"delete": _op("Remove a trusted root (admin)", ok=204, tag="signing")},
    "/outgoing": {"get": _op("Outgoing documents the caller sees (`box`: all, drafts, to_review, to_sign, to_issue, "
                             "issued)", tag="outgoing"),
                  "post": _op("Draft an outgoing document", body=OUTGOING, ok=201, tag="outgoing")},
    "/outgoing/{doc_id}": {"get": _op("One outgoing document with files, steps, history and recipients",
                                      tag="outgoing"),
                           "patch": _op("Change the draft (drafter); a change after approval goes back to the signer",
                                        body=OUTGOING, tag="outgoing")},
    "/outgoing/{doc_id}/files": {"post": _op("Upload a new version (multipart `file`, `role` main|appendix, "
                                             "`position`); DOCX is converted when LibreOffice is installed", ok=201,
                                             tag="outgoing")},
    "/outgoing/{doc_id}/files/{file_id}": {"get": _op("Download one file version", tag="outgoing")},
    "/outgoing/{doc_id}/file": {"get": _op("The signed PDF (issued, else signed by the leader)", tag="outgoing")},
    "/outgoing/{doc_id}/submit": {"post": _op("Submit the draft for review (drafter)", tag="outgoing")},
    "/outgoing/{doc_id}/approve": {"post": _op("Approve the waiting step (403 out of turn)", body=_obj(comment="string"),
                                               tag="outgoing")},
    "/outgoing/{doc_id}/return": {"post": _op("Return the draft with a comment (403 out of turn)",
                                              body=_obj(comment="string"), tag="outgoing")},
    "/outgoing/{doc_id}/sign": {"post": _op("Sign as the chosen signer with the stored key (403 for anyone else)",
                                            body=_obj(pin="string"), tag="outgoing")},
    "/outgoing/{doc_id}/books": {"get": _op("Books that can number this document (clerk)", tag="outgoing")},
    "/outgoing/{doc_id}/issue": {"post": _op("Number, seal and deliver (clerk; idempotent; a failure consumes no "
                                             "number)", body=_obj(book_id="integer", pin="string"), tag="outgoing")},
    "/outgoing/{doc_id}/recall": {"post": _op("Recall an issued document (clerk)", body=_obj(reason="string"),
                                              tag="outgoing")},
    "/outgoing/{doc_id}/update": {"post": _op("Send an update notice (clerk)", body=_obj(reason="string"),
                                              tag="outgoing")},
    "/outgoing/{doc_id}/replace": {"post": _op("Replace an issued document (clerk)",
                                               body=_obj(reason="string", replacement_id="integer"), tag="outgoing")},
    "/outgoing/{doc_id}/recipients/{recipient_id}/status": {
        "post": _op("Record a recipient's delivery status (clerk)", body=_obj(status="string", note="string"),
                    tag="outgoing")},
    "/outgoing/{doc_id}/verification": {"get": _op("Verification report of the signed PDF", tag="outgoing")},
    "/outgoing/register": {"get": _op("The outgoing register for `from`..`to` (`format`: json, pdf, xlsx; clerk, "
                                      "admin)", tag="outgoing")},
    "/outgoing/partners": {"get": _op("The partner directory", tag="outgoing"),
                           "post": _op("Add a partner (admin, clerk)", body=_obj(name="string", organ_id="string",
                                                                                 email="string"), ok=201,
                                       tag="outgoing")},
    "/outgoing/steps": {"get": _op("Approval step definitions", tag="outgoing"),
                        "post": _op("Add an approval step (admin)", body=_obj(
                            kind="string", position="integer", document_type_id="integer", name="string",
                            required_approvals="integer"), ok=201, tag="outgoing")},
    "/outgoing/steps/{step_id}": {"delete": _op("Remove an approval step (admin)", ok=204, tag="outgoing")},
    "/exchange/partners": {"get": _op("The exchange partner directory (admin)", tag="exchange"),
                           "post": _op("Add a partner (admin)", body=PARTNER, ok=201, tag="exchange")},
    "/exchange/partners/{partner_id}": {"get": _op("One partner (admin)", tag="exchange"),
                                        "patch": _op("Change a partner; `active: false` deactivates it (admin)",
                                                     body=PARTNER, tag="exchange")},
    "/exchange/partners/import": {"post": _op("Create or update partners from a CSV or JSON file (multipart `file`, "
                                              "optional `format` csv|json) or a JSON body; all or nothing (admin)",
                                              tag="exchange")},
    "/exchange/outbox": {"get": _op("Packages of the agency's outbox, optionally by `status` (pending, sent, retrying, "
                                    "dead, refused), newest first (admin)", tag="exchange")},
    "/exchange/outbox/{outbox_id}/retry": {"post": _op("Send a dead or retrying package again (admin)",
                                                       tag="exchange")},
    "/exchange/transmissions": {"get": _op("Transmission tracking for `from`..`to` (yyyy-mm-dd, default 1 January to "
                                           "today) and optional drafting `unit`: documents by mode, the fully "
                                           "electronic ratio, deliveries by mode and outcome, the failures; "
                                           "`deliveries=1` lists every delivery (admin)", tag="exchange")},
    "/openapi.json": {"get": _op("This document", public=True, tag="meta")},
}


# Incoming documents (eoffice.api.incoming).
RECIPIENTS = {"type": "array", "items": _obj(unit_id="integer", user_id="integer", deadline="string", note="string")}
PATHS.update({
    "/incoming": {"get": _op("Incoming documents the caller sees (`view` all|inbox|to_direct|overdue|near_due, `state`, "
                             "`q`, `urgency`, `secrecy`, `from`, `to`, `book_id`)", tag="incoming"),
                  "post": _op("Receive a document (multipart `file`, `attachments`, intake fields; clerk)", ok=201,
                              tag="incoming")},
    "/incoming/{doc_id}": {"get": _op("One document: fields, verification, stamp, files, assignments, history",
                                      tag="incoming")},
    "/incoming/{doc_id}/register": {"post": _op(
        "Register with the next arrival number (clerk); 409 `duplicate` unless `duplicate_reason`", tag="incoming",
        body=_obj(book_id="integer", arrival_date="string", presented_to_id="integer", file_code="string",
                  duplicate_reason="string"))},
    "/incoming/{doc_id}/recall": {"post": _op("Carry out a recall order (clerk; `reason`): files removed, history "
                                               "kept", body=_obj(reason="string"), tag="incoming")},
    "/incoming/{doc_id}/return": {"post": _op("Return to the sender with a reason (clerk)", tag="incoming",
                                              body=_obj(reason="string"))},
    "/incoming/{doc_id}/direct": {"post": _op("Direct: opinion, lead, co-handling, for information (leader)",
                                              tag="incoming", body={"type": "object", "properties": {
                                                  "opinion": {"type": "string"}, "lead": RECIPIENTS["items"],
                                                  "co": RECIPIENTS, "info": RECIPIENTS}})},
    "/incoming/assignments/{assignment_id}/reassign": {"post": _op("Hand an assignment down inside its unit",
                                                                   tag="incoming",
                                                                   body={"type": "object", "properties": {
                                                                       "targets": RECIPIENTS, "note": {"type": "string"}}})},
    "/incoming/{doc_id}/forward": {"post": _op("Forward for information", tag="incoming", body={
        "type": "object", "properties": {"targets": RECIPIENTS, "note": {"type": "string"}}})},
    "/incoming/{doc_id}/comments": {"post": _op("Comment (JSON `text`, or multipart `text` and result `files`)",
                                                ok=201, tag="incoming")},
    "/incoming/assignments/{assignment_id}/extensions": {"post": _op(
        "Ask the directing leader for a later deadline", ok=201, tag="incoming",
        body=_obj(deadline="string", reason="string"))},
    "/incoming/extensions/{request_id}/approve": {"post": _op(
        "Approve a request for more time (the directing leader)", tag="incoming")},
    "/incoming/extensions/{request_id}/refuse": {"post": _op(
        "Refuse a request for more time (the directing leader)", tag="incoming")},
    "/incoming/assignments/{assignment_id}/complete": {"post": _op(
        "Complete an assignment (the lead's completes the document)", tag="incoming")},
    "/incoming/{doc_id}/files/{file_id}": {"get": _op("Download a file of the document", tag="incoming")},
    "/incoming/notifications": {"get": _op("The caller's deadline notifications", tag="incoming")},
    "/incoming/register": {"get": _op("The incoming register (`book_id`, `from`, `to`; `format` json|pdf|xlsx; clerk)",
                                      tag="incoming")},
})


def document() -> dict:
    return {
        "openapi": "3.1.0",
        "info": {"title": "eoffice API", "version": "1"},
        "servers": [{"url": "/api/v1"}],
        "security": [{"bearer": []}],
        "paths": PATHS,
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "schemas": {"Error": {"type": "object", "required": ["error"], "properties": {"error": {
                "type": "object", "required": ["code", "message", "details"],
                "properties": {"code": {"type": "string"}, "message": {"type": "string"},
                               "details": {"type": "object"}}}}}},
        },
    }


@bp.get("/openapi.json")
def openapi():
    return jsonify(document())
