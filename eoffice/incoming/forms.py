"""Web forms of the incoming pages. Recipient choices are `unit:<id>` or `user:<id>` strings (see `recipient`)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired, MultipleFileField
from wtforms import BooleanField, DateField, IntegerField, SelectField, SelectMultipleField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from eoffice.incoming.models import SECRECY_LABELS, URGENCY_LABELS


class IntakeForm(FlaskForm):
    file = FileField(_l("Document (PDF: scan or signed electronic document)"), validators=[FileRequired()])
    attachments = MultipleFileField(_l("Attachments (PDF)"))
    electronic = BooleanField(_l("Received as an electronic document"))
    issuer_name = StringField(_l("Issuing agency"), validators=[DataRequired(), Length(max=200)])
    issuer_code = StringField(_l("Issuing agency identifier code"), validators=[Length(max=64)])
    document_identifier = StringField(_l("Document identifier"), validators=[Length(max=100)])
    code_number = StringField(_l("Number"), validators=[Length(max=11)])
    code_notation = StringField(_l("Symbol"), validators=[Length(max=30)])
    issued_date = DateField(_l("Issued on"), validators=[Optional()])
    document_type_id = SelectField(_l("Document type"), coerce=int, default=0)
    subject = TextAreaField(_l("Summary of contents"), validators=[DataRequired(), Length(max=500)])
    signer_position = StringField(_l("Signer's position"), validators=[Length(max=100)])
    signer_name = StringField(_l("Signer's name"), validators=[Length(max=50)])
    page_amount = IntegerField(_l("Pages"), validators=[Optional(), NumberRange(min=1, max=999)])
    language = StringField(_l("Language"), default="vi", validators=[Length(max=30)])
    urgency = SelectField(_l("Urgency"), coerce=int, choices=list(URGENCY_LABELS.items()), default=0)
    secrecy = SelectField(_l("Secrecy"), coerce=int, choices=list(SECRECY_LABELS.items()), default=0)
    due_date = DateField(_l("Handling deadline"), validators=[Optional()])
    to_places = TextAreaField(_l("Addressed to"), validators=[Length(max=1000)])
    description = TextAreaField(_l("Notes"), validators=[Length(max=500)])
    arrival_date = DateField(_l("Arrival date"), validators=[Optional()])


class RegisterForm(FlaskForm):
    book_id = SelectField(_l("Registry book"), coerce=int)
    arrival_date = DateField(_l("Arrival date"), validators=[Optional()])
    presented_to_id = SelectField(_l("Present to leader"), coerce=int, default=0)
    file_code = StringField(_l("Work record (hồ sơ) number"), validators=[Length(max=20)])
    duplicate_reason = TextAreaField(_l("Reason to register although it may be a duplicate"))


class ReturnForm(FlaskForm):
    reason = TextAreaField(_l("Reason for returning it to the sender"), validators=[DataRequired()])


class DirectForm(FlaskForm):
    opinion = TextAreaField(_l("Direction opinion"))
    lead = SelectField(_l("Lead (one unit or person)"), validators=[DataRequired()])
    lead_deadline = DateField(_l("Deadline of the lead"), validators=[Optional()])
    co = SelectMultipleField(_l("Co-handling"))
    co_deadline = DateField(_l("Deadline of co-handling"), validators=[Optional()])
    info = SelectMultipleField(_l("For information"))


class ReassignForm(FlaskForm):
    targets = SelectMultipleField(_l("Hand down to"), validators=[DataRequired()])
    deadline = DateField(_l("Deadline"), validators=[Optional()])
    note = TextAreaField(_l("Instruction"))


class ForwardForm(FlaskForm):
    targets = SelectMultipleField(_l("Forward for information to"), validators=[DataRequired()])
    note = TextAreaField(_l("Note"))


class CommentForm(FlaskForm):
    text = TextAreaField(_l("Opinion or comment"))
    files = MultipleFileField(_l("Result files (PDF)"))


class ExtensionForm(FlaskForm):
    deadline = DateField(_l("New deadline"), validators=[DataRequired()])
    reason = TextAreaField(_l("Reason"), validators=[DataRequired()])


class CompleteForm(FlaskForm):
    comment = TextAreaField(_l("Result"))
    files = MultipleFileField(_l("Result files (PDF)"))


class RegisterPeriodForm(FlaskForm):
    class Meta:
        csrf = False  # a GET form: it changes nothing

    book_id = SelectField(_l("Registry book"), coerce=int)
    date_from = DateField(_l("From"), validators=[DataRequired()])
    date_to = DateField(_l("To"), validators=[DataRequired()])


def recipient(value: str) -> dict:
    """`unit:3` → {"unit_id": 3}; `user:7` → {"user_id": 7}."""
    kind, _sep, ident = (value or "").partition(":")
    if kind not in ("unit", "user") or not ident.isdigit():
        return {}
    return {f"{kind}_id": int(ident)}
