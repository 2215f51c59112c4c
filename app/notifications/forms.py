"""The form for choosing how messages arrive."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField
from wtforms.validators import Length, Optional, Regexp

EMAIL_RE = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"


class ChannelsForm(FlaskForm):
    sms = BooleanField(_l("By SMS to my mobile number"))
    email_enabled = BooleanField(_l("By e-mail"))
    email = EmailField(
        _l("E-mail address"),
        validators=[
            Optional(),
            Length(max=254),
            Regexp(EMAIL_RE, message=_l("Please enter a valid e-mail address.")),
        ],
        render_kw={"autocomplete": "email"},
    )
