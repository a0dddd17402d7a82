from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, MultipleFileField
from wtforms import DateField, IntegerField, PasswordField, SelectField, SelectMultipleField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from eoffice.outgoing.models import ELECTRONIC, ELECTRONIC_PAPER, PAPER

PRIORITY_CHOICES = [(0, _l("Normal")), (1, _l("Urgent (Khẩn)")), (2, _l("Very urgent (Thượng khẩn)")),
                    (3, _l("Express (Hỏa tốc)")), (4, _l("Timed express (Hỏa tốc hẹn giờ)"))]
SECRECY_CHOICES = [("", _l("Not secret")), ("mat", _l("Secret (Mật)")), ("toi_mat", _l("Top secret (Tối mật)")),
                   ("tuyet_mat", _l("Absolute secret (Tuyệt mật)"))]
MODE_CHOICES = [(ELECTRONIC, _l("Electronic only")), (ELECTRONIC_PAPER, _l("Electronic and paper")),
                (PAPER, _l("Paper only"))]


class DraftForm(FlaskForm):
    document_type_id = SelectField(_l("Document type"), coerce=int, validators=[DataRequired()])
    subject = TextAreaField(_l("Subject (trích yếu)"), validators=[DataRequired(), Length(max=500)])
    signer_id = SelectField(_l("Signer"), coerce=int, validators=[DataRequired()])
    signer_position = StringField(_l("Signer's position as printed"), validators=[Length(max=100)],
                                  description=_l("Empty: the signer's position, e.g. \"KT. CHỦ TỊCH\" when signing "
                                                 "for the head."))
    signer_name = StringField(_l("Signer's name as printed"), validators=[Length(max=50)])
    drafting_unit_id = SelectField(_l("Drafting unit"), coerce=int, validators=[DataRequired()])
    unit_ids = SelectMultipleField(_l("Units of the agency"), coerce=int)
    agency_ids = SelectMultipleField(_l("Other agencies"), coerce=int)
    partner_ids = SelectMultipleField(_l("Partner agencies"), coerce=int)
    mode = SelectField(_l("Transmission mode"), choices=MODE_CHOICES, default=ELECTRONIC)
    places = TextAreaField(_l("Other places (paper), one per line"), validators=[Length(max=1000)])
    due_date = DateField(_l("Reply due date"), validators=[Optional()])
    priority = SelectField(_l("Urgency"), coerce=int, choices=PRIORITY_CHOICES, default=0)
    secrecy = SelectField(_l("Secrecy"), choices=SECRECY_CHOICES, default="")
    page_amount = IntegerField(_l("Pages"), validators=[Optional(), NumberRange(1, 999)])
    issued_amount = IntegerField(_l("Copies issued"), default=1, validators=[Optional(), NumberRange(1, 999)])
    language = StringField(_l("Language"), default="vi", validators=[Length(max=30)])
    description = TextAreaField(_l("Notes"), validators=[Length(max=500)])
    main_file = FileField(_l("Main document (PDF or DOCX)"))
    appendices = MultipleFileField(_l("Appendices (separate files)"))

    def validate(self, extra_validators=None) -> bool:
        ok = super().validate(extra_validators)
        electronic = self.mode.data != PAPER and (self.unit_ids.data or self.agency_ids.data or self.partner_ids.data)
        if self.secrecy.data and electronic:
            # The page refuses it before the service would (409): a secret document never goes electronically.
            self.mode.errors = list(self.mode.errors) + [
                _l("A secret document cannot be sent electronically; choose paper only.")]
            ok = False
        return ok


class UploadForm(FlaskForm):
    file = FileField(_l("File (PDF or DOCX)"))
    role = SelectField(_l("Kind"), choices=[("main", _l("Main document (new version)")),
                                           ("appendix", _l("New appendix"))])


class CommentForm(FlaskForm):
    comment = TextAreaField(_l("Comment"), validators=[Length(max=2000)])


class PinForm(FlaskForm):
    pin = PasswordField(_l("PIN of your signing key"), validators=[DataRequired()])


class IssueForm(FlaskForm):
    book_id = SelectField(_l("Outgoing book"), coerce=int, validators=[DataRequired()])
    pin = PasswordField(_l("PIN of the agency seal"), validators=[DataRequired()])


class ReasonForm(FlaskForm):
    action = SelectField(_l("Action"), choices=[("recall", _l("Recall")), ("update", _l("Send an update")),
                                               ("replace", _l("Replace"))])
    reason = TextAreaField(_l("Reason"), validators=[DataRequired(), Length(max=500)])
    replacement_id = IntegerField(_l("Replaced by document no. (id)"), validators=[Optional()])


class RecipientStatusForm(FlaskForm):
    status = SelectField(_l("Delivery status"), choices=[("paper_sent", _l("Paper sent")),
                                                         ("delivered", _l("Delivered")), ("failed", _l("Failed"))])
    note = StringField(_l("Note"), validators=[Length(max=500)])


class StepForm(FlaskForm):
    document_type_id = SelectField(_l("Document type"), coerce=int, default=0)
    position = IntegerField(_l("Order"), default=1, validators=[DataRequired(), NumberRange(1, 20)])
    kind = SelectField(_l("Step"), choices=[("unit_head", _l("Head of the drafting unit")),
                                            ("format_check", _l("Format check (clerk)")),
                                            ("leader", _l("Leader review")), ("signer", _l("Approval by the signer"))])
    name = StringField(_l("Name shown"), validators=[Length(max=100)])
    required_approvals = IntegerField(_l("Approvals needed (n of m)"), default=1,
                                      validators=[DataRequired(), NumberRange(1, 20)])


class PartnerForm(FlaskForm):
    name = StringField(_l("Agency name"), validators=[DataRequired(), Length(max=200)])
    organ_id = StringField(_l("Identifier code (mã định danh)"), validators=[DataRequired(), Length(max=64)])
    email = StringField(_l("Email"), validators=[Length(max=120)])
