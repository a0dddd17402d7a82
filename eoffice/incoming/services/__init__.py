"""Every state change of incoming documents, as `verb_noun` functions that flush and send a signal; the caller's
edge (request, job, command) commits. Split by stage: `intake` (receive, check, register, return), `handling`
(direct, re-assign, forward, comment, extend, complete), `reminders` (deadline notifications)."""

from eoffice.incoming.services.handling import (  # noqa: F401
    comment_incoming, complete_assignment, decide_extension, direct_incoming, forward_incoming, mark_read,
    reassign_assignment, request_extension,
)
from eoffice.incoming.services.intake import (  # noqa: F401
    recall_incoming,
    check_upload, create_incoming, find_duplicates, receive_internal, register_incoming, return_incoming,
    verify_uploads,
)
from eoffice.incoming.services.reminders import (  # noqa: F401
    mark_notifications_read, remind_deadlines, working_days_between,
)
from eoffice.incoming.services.trace import record_access, record_action  # noqa: F401
