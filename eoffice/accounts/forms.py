from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, PasswordField, SelectField, SelectMultipleField, StringField
from wtforms.validators import DataRequired, Email, Length, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from eoffice.core.permissions import ROLE_LABELS, ROLES


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class LoginForm(FlaskForm):
    username = StringField(_l("Username"), validators=[DataRequired(), Length(max=64)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=256)])


class AgencyForm(FlaskForm):
    name = StringField(_l("Name (OrganName)"), validators=[DataRequired(), Length(max=200)])
    abbreviation = StringField(_l("Abbreviation in symbols"), validators=[DataRequired(), Length(max=30)])
    code = StringField(_l("Identifier code (OrganId)"), validators=[DataRequired(), Length(max=64)])
    organization_in_charge = StringField(_l("Superior body"), validators=[Length(max=200)])
    address = StringField(_l("Address"), validators=[Length(max=250)])
    place = StringField(_l("Place name on documents"), validators=[Length(max=100)])
    email = StringField(_l("Email"), validators=[Optional(), Email(), Length(max=100)])
    telephone = StringField(_l("Telephone"), validators=[Length(max=20)])
    fax = StringField(_l("Fax"), validators=[Length(max=20)])
    website = StringField(_l("Website"), validators=[Length(max=100)])


class UnitForm(FlaskForm):
    name = StringField(_l("Unit name"), validators=[DataRequired(), Length(max=200)])
    abbreviation = StringField(_l("Abbreviation"), validators=[DataRequired(), Length(max=30)])
    parent_id = SelectField(_l("Parent unit"), coerce=int, validate_choice=True)


class UserForm(FlaskForm):
    username = StringField(_l("Username"), validators=[DataRequired(), Length(max=64)])
    full_name = StringField(_l("Full name"), validators=[DataRequired(), Length(max=100)])
    position = StringField(_l("Position"), validators=[Length(max=100)])
    email = StringField(_l("Email"), validators=[Optional(), Email(), Length(max=120)])
    unit_id = SelectField(_l("Unit"), coerce=int)
    roles = MultiCheckboxField(_l("Roles"), choices=[(r, ROLE_LABELS[r]) for r in ROLES])
    active = BooleanField(_l("Active"), default=True)
    password = PasswordField(_l("Password"), validators=[Optional(), Length(max=256)],
                             description=_l("Leave empty to keep the current password."))
