"""Forms the administrator uses for accounts."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, Length, Optional, Regexp

from app.auth.models import Role
from app.forms import CheckboxListField, phone_field
from app.labels import ROLE_LABELS


class StaffAccountForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(message=_l("Please enter a name.")), Length(max=60)])
    username = StringField(
        _l("Username"),
        validators=[
            Optional(),
            Length(min=3, max=64),
            Regexp(r"^[A-Za-z0-9._\-]+$", message=_l("Use letters, digits, dots, dashes and underscores only.")),
        ],
        render_kw={"autocapitalize": "none"},
    )
    phone = phone_field(_l("Mobile number"), Optional())
    role = SelectField(_l("Role"), choices=[(r.value, ROLE_LABELS[r]) for r in Role])
    organization_id = SelectField(_l("Organization"), coerce=int, default=0)
    town_id = SelectField(_l("Town"), coerce=int, default=0)
    village_ids = CheckboxListField(_l("Villages and communities"), coerce=int, default=[])


class NewStaffAccountForm(StaffAccountForm):
    password = PasswordField(
        _l("First password"),
        validators=[DataRequired(message=_l("Please choose a first password."))],
        description=_l("The person must change it when they first log in."),
        render_kw={"autocomplete": "new-password"},
    )


class ResetPasswordForm(FlaskForm):
    password = PasswordField(
        _l("New password"),
        validators=[DataRequired(message=_l("Please choose a new password."))],
        description=_l("The person must change it when they next log in; all their sessions end now."),
        render_kw={"autocomplete": "new-password"},
    )
