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
    doc="A signing credential or stamp image was imported or replaced. Sender: it; kwargs actor, action.",
)
pin_failed = _signals.signal("pin-failed", doc="A wrong PIN was given for a credential. Sender: it; kwargs actor, locked.")
trust_changed = _signals.signal("trust-changed", doc="A trust anchor was added or removed. Sender: it; kwargs actor, action.")
document_signed = _signals.signal(
    "document-signed", doc="Documents were signed. Sender: the credential; kwargs actor, count, level, downgraded."
)
