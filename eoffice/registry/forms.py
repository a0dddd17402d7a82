from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, SelectField, SelectMultipleField, StringField
from wtforms.validators import DataRequired, Length

from eoffice.registry.models import IN, OUT


class BookForm(FlaskForm):
    name = StringField(_l("Book name"), validators=[DataRequired(), Length(max=200)])
    direction = SelectField(_l("Direction"), choices=[(OUT, _l("Outgoing")), (IN, _l("Incoming"))])
    document_type_ids = SelectMultipleField(_l("Document types"), coerce=int,
                                            description=_l("Leave empty for a book that takes every type."))
    secret = BooleanField(_l("Book for secret documents"))
    legal_normative = BooleanField(_l("Legal normative documents (year in the symbol)"))
    active = BooleanField(_l("Open for new numbers"), default=True)
