"""Fields and validators shared by the feature forms."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import SelectMultipleField, StringField
from wtforms.validators import ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from app.auth.services import normalise_phone


class MobilePhone:
    """A mainland mobile number: 11 digits starting with 1 (spaces, dashes and +86 are accepted and dropped)."""

    def __call__(self, form, field) -> None:
        if not field.data:
            return
        phone = normalise_phone(field.data)
        if phone is None:
            raise ValidationError(_l("Please enter a valid mainland mobile number (11 digits, starting with 1)."))
        field.data = phone


def phone_field(label, *validators) -> StringField:
    return StringField(
        label,
        validators=[*validators, MobilePhone()],
        render_kw={"inputmode": "tel", "autocomplete": "tel", "maxlength": 20},
    )


class CheckboxListField(SelectMultipleField):
    """A multiple choice shown as checkboxes, which a phone handles better than a multi-select box."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()
