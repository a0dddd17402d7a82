"""Web forms of the signing pages (`forms.py` in this package builds PDF form fields, not web forms)."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired, MultipleFileField
from wtforms import BooleanField, HiddenField, PasswordField, SelectField
from wtforms.validators import DataRequired, Length


class VerifyForm(FlaskForm):
    file = FileField(_l("PDF file"), validators=[FileRequired()])


class SignForm(FlaskForm):
    files = MultipleFileField(_l("PDF files to sign"), validators=[DataRequired()])
    pin = PasswordField(_l("PIN"), validators=[DataRequired(), Length(max=128)])
    visible = BooleanField(_l("Visible signature stamp"), default=True)
    as_seal = BooleanField(_l("Apply the agency seal (clerks)"))


class Pkcs12Form(FlaskForm):
    file = FileField(_l("PKCS#12 file (.p12, .pfx)"), validators=[FileRequired()])
    pin = PasswordField(_l("PIN of the file"), validators=[DataRequired(), Length(max=128)])


class UserPkcs12Form(Pkcs12Form):
    """An admin imports a user's PKCS#12; `confirm_name` counts only for the user it was asked about
    (`confirm_for`), so changing the chosen user after the question asks it again."""

    user_id = SelectField(_l("User"), coerce=int, validators=[DataRequired()])
    confirm_name = BooleanField()
    confirm_for = HiddenField()

    def confirmed_for(self, user_id: int) -> bool:
        return bool(self.confirm_name.data) and self.confirm_for.data == str(user_id)


class ImageForm(FlaskForm):
    file = FileField(_l("Transparent PNG image"), validators=[FileRequired()])


class TrustAnchorForm(FlaskForm):
    file = FileField(_l("Root certificate (PEM or DER)"), validators=[FileRequired()])
