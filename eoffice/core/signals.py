"""Every cross-module reaction goes through one of these signals. The sender is the object changed; keyword
arguments carry the actor and the details. Listeners run inside the sender's transaction, so what they write
(an audit entry, an outbox row) commits or rolls back with the change itself."""

from blinker import Namespace

_signals = Namespace()

user_logged_in = _signals.signal("user-logged-in", doc="A user logged in (web session or API token). Sender: the user.")
user_logged_out = _signals.signal("user-logged-out", doc="A user logged out. Sender: the user.")
login_failed = _signals.signal(
    "login-failed",
    doc="A login failed. Sender: the user when the username exists, else None; kwargs username, reason, locked.",
)
user_created = _signals.signal("user-created", doc="A user was created. Sender: the user; kwargs actor.")
user_updated = _signals.signal("user-updated", doc="A user was changed. Sender: the user; kwargs actor, changes.")
roles_changed = _signals.signal("roles-changed", doc="A user's roles changed. Sender: the user; kwargs actor, old, new.")
unit_changed = _signals.signal("unit-changed", doc="A unit was created, changed or removed. Sender: the unit; kwargs actor, action.")
agency_changed = _signals.signal("agency-changed", doc="An agency was created or changed. Sender: the agency; kwargs actor, action.")
book_changed = _signals.signal(
    "book-changed", doc="A registry book was created, changed or closed. Sender: the book; kwargs actor, action, changes."
)
number_allocated = _signals.signal(
    "number-allocated", doc="A registry number was allocated. Sender: the allocation; kwargs actor."
)
credential_changed = _signals.signal(
    "credential-changed",
    doc="A signing credential or stamp image was imported or replaced, or a key import was refused pending an "
        "administrator's confirmation. Sender: the credential or image (for a refusal, the user whose key it was); "
        "kwargs actor, action, details.",
)
pin_failed = _signals.signal("pin-failed", doc="A wrong PIN was given for a credential. Sender: it; kwargs actor, locked.")
trust_changed = _signals.signal("trust-changed", doc="A trust anchor was added or removed. Sender: it; kwargs actor, action.")
file_verified = _signals.signal(
    "file-verified",
    doc="The signatures of a stored file were verified for an agency's users and the report stored. Sender: the "
        "file's SHA-256; kwargs agency_id, report (VerificationReport).",
)
document_signed = _signals.signal(
    "document-signed", doc="Documents were signed. Sender: the credential; kwargs actor, count, level, downgraded."
)
incoming_received = _signals.signal(
    "incoming-received",
    doc="An incoming document was received (uploaded, or delivered by a unit of the agency). Sender: the document; "
        "kwargs actor, source.",
)
incoming_changed = _signals.signal(
    "incoming-changed",
    doc="An incoming document changed state or was worked on (register, return, direct, reassign, forward, comment, "
        "extension, complete…). Sender: the document; kwargs actor, action, data.",
)
outgoing_changed = _signals.signal(
    "outgoing-changed",
    doc="An outgoing document was drafted, changed, given a file version or submitted. Sender: the document; "
        "kwargs actor, action, details.",
)
outgoing_reviewed = _signals.signal(
    "outgoing-reviewed",
    doc="An approval step of an outgoing document was approved or the draft returned. Sender: the document; "
        "kwargs actor, action, step, comment.",
)
outgoing_signed = _signals.signal(
    "outgoing-signed", doc="The competent signer signed an outgoing document. Sender: the document; kwargs actor."
)
outgoing_issued = _signals.signal(
    "outgoing-issued",
    doc="An outgoing document was numbered, sealed and handed to delivery. Sender: the document; kwargs actor.",
)
outgoing_dispatched = _signals.signal(
    "outgoing-dispatched",
    doc="An exchange package for an outgoing document was written to the outbox (new, recall, update or replace). "
        "Sender: the outbox package; kwargs actor.",
)
outgoing_status_changed = _signals.signal(
    "outgoing-status-changed",
    doc="An issued outgoing document was recalled, updated or replaced. Sender: the document; kwargs actor, "
        "action, reason.",
)
partner_changed = _signals.signal(
    "partner-changed",
    doc="An exchange partner was created, changed, deactivated or lost a certificate. Sender: the partner; kwargs "
        "actor, action (create, update, deactivate, certificate_remove), changes.",
)
