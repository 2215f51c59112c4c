"""Fields and validators shared by the feature forms."""

from __future__ import annotations

import threading
from collections import OrderedDict

from flask import request
from flask_babel import lazy_gettext as _l
from wtforms import SelectMultipleField, StringField
from wtforms.validators import ValidationError
from wtforms.widgets import CheckboxInput, ListWidget, Select

from app.auth.services import normalise_phone
from app.db_types import row_id
from app.text import has_control_characters


class MobilePhone:
    """A mainland mobile number: 11 digits starting with 1 (spaces, dashes and +86 are accepted and dropped)."""

    def __call__(self, form, field) -> None:
        if not field.data:
            return
        phone = normalise_phone(field.data)
        if phone is None:
            raise ValidationError(_l("Please enter a valid mainland mobile number (11 digits, starting with 1)."))
        field.data = phone


class RowId:
    """A hidden or posted row id: empty, or a positive whole number that fits an INTEGER column (``db_types.row_id``);
    ``shift_id=abc`` or a 23-digit number is refused with a message instead of failing later."""

    def __call__(self, form, field) -> None:
        if not field.data:
            return
        try:
            row_id(str(field.data))
        except ValueError:
            raise ValidationError(
                _l("This form refers to a record that does not exist. Please reload the page.")
            ) from None


def validate_fields(form, *names: str) -> bool:
    """Validate a submitted form's CSRF token and only the named fields: a page that asks in two steps (the phone,
    then the code from the SMS) checks what the step needs. Errors land on the fields as usual."""
    if not form.is_submitted():
        return False
    valid = True
    for name in ("csrf_token", *names):
        field = form._fields.get(name)
        if field is not None and not field.validate(form):
            valid = False
    return valid


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


def refuse_control_characters():
    """Refuse a request whose query string or form holds a control character (NUL included, ``app/text.py``) with a
    400 page that says why, before any route reads it: such a value is never typed by a person and nothing is
    changed. Refused at the door, so no service, query or export ever sees them; uploaded files are checked cell by
    cell by their importers."""
    if has_control_characters([*request.args.values(), *request.form.values()]):
        from app.errors.handlers import render_error

        return render_error(400, _l("The form or address holds invalid control characters. Please remove them."))
    return None


class RememberedSelect(Select):
    """A ``<select>`` rendered once per field, choices, selection and attributes, then looked up: a public form's
    ~50 organizations cost a dictionary look-up instead of 50 escaped options on every request. The key holds all
    the markup depends on, so the HTML is exactly what ``Select`` would render now."""

    def __init__(self, size: int = 32) -> None:
        super().__init__()
        self.size = size
        self._rendered: OrderedDict[tuple, str] = OrderedDict()
        self._lock = threading.Lock()

    def __call__(self, field, **kwargs):
        flags = tuple(name for name in self.validation_attrs if getattr(field.flags, name, False))
        key = (field.id, field.name, repr(field.choices), repr(field.data), repr(sorted(kwargs.items())), flags)
        with self._lock:
            html = self._rendered.get(key)
            if html is not None:
                self._rendered.move_to_end(key)
                return html
        html = super().__call__(field, **kwargs)
        with self._lock:
            self._rendered[key] = html
            while len(self._rendered) > self.size:
                self._rendered.popitem(last=False)
        return html
