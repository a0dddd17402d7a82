"""Every state change of outgoing documents, as `verb_noun` functions that flush and send a signal; the caller's
edge (request, job, command) commits. Split by stage: `drafting` (data, recipients, file versions), `workflow`
(review in the configured order, the signer's signature), `issuing` (number, date, seal), `delivery` (inbox,
exchange outbox, recall / update / replace), `access` (who sees what)."""

from eoffice.outgoing.services.access import can_view, visible_documents  # noqa: F401
from eoffice.outgoing.services.delivery import (  # noqa: F401
    add_partner, deliver_document, notify_update, recall_document, replace_document, set_recipient_status,
)
from eoffice.outgoing.services.drafting import (  # noqa: F401
    PreparedUpload, add_file, check_secret_delivery, convert_docx, create_draft, prepare_upload, set_recipients,
    update_draft,
)
from eoffice.outgoing.services.issuing import date_line, issuable_books, issue_document, layout_for  # noqa: F401
from eoffice.outgoing.services.workflow import (  # noqa: F401
    actionable_step, approve_document, define_step, prepare_document, return_document, sign_document, step_chain,
    submit_document, waiting_steps,
)
