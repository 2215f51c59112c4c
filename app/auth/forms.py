"""Forms for logging in, registering as a volunteer and changing one's password."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, EqualTo, InputRequired, Length, Regexp

from app.forms import phone_field


class LoginForm(FlaskForm):
    identifier = StringField(
        _l("Mobile number or username"),
        validators=[DataRequired(message=_l("Please enter your mobile number or username.")), Length(max=64)],
        render_kw={"autocomplete": "username", "autocapitalize": "none"},
    )
    password = PasswordField(
        _l("Password"),
        validators=[DataRequired(message=_l("Please enter your password."))],
        render_kw={"autocomplete": "current-password"},
    )
    remember = BooleanField(_l("Remember me on this device"))


def code_field() -> StringField:
    """The six digits from the SMS (spaces tolerated); phones offer the code from the message with one-time-code."""
    return StringField(
        _l("Verification code"),
        validators=[
            DataRequired(message=_l("Please enter the code from the SMS.")),
            Length(max=12),
            Regexp(r"^\s*(\d\s*){6}$", message=_l("The code has 6 digits.")),
        ],
        render_kw={"inputmode": "numeric", "autocomplete": "one-time-code", "maxlength": 12},
    )


def new_password_fields(name: str, label, repeat_label, required_message) -> tuple[PasswordField, PasswordField]:
    """A password the person chooses and the same typed again, checked to match; ``name`` is the first field's
    attribute name, which the repeat compares against. Unpack both in one line in the form body so they keep their
    order."""
    password = PasswordField(
        label,
        validators=[DataRequired(message=required_message)],
        description=_l("At least 8 characters, with letters and digits."),
        render_kw={"autocomplete": "new-password"},
    )
    confirm = PasswordField(
        repeat_label,
        validators=[EqualTo(name, message=_l("The two passwords do not match."))],
        render_kw={"autocomplete": "new-password"},
    )
    return password, confirm


class CodeLoginForm(FlaskForm):
    """Sign in (or register) with a mobile number and a code: the phone first, then the code on the same page."""

    phone = phone_field(_l("Mobile number"), DataRequired(message=_l("Please enter your mobile number.")))
    code = code_field()
    name = StringField(
        _l("Your name"),
        validators=[Length(max=60)],
        description=_l("Only if this number is new to Shouhu: we register you as a volunteer."),
        render_kw={"autocomplete": "name"},
    )
    consent = BooleanField(_l("I have read and agree to the privacy notice."))
    remember = BooleanField(_l("Remember me on this device"))


class SecondStepForm(FlaskForm):
    code = code_field()


class ResetPasswordForm(FlaskForm):
    phone = phone_field(_l("Mobile number"), DataRequired(message=_l("Please enter your mobile number.")))
    code = code_field()
    new_password, confirm = new_password_fields(
        "new_password",
        _l("New password"),
        _l("Repeat the new password"),
        _l("Please choose a new password."),
    )


class RegistrationForm(FlaskForm):
    name = StringField(
        _l("Your name"),
        validators=[DataRequired(message=_l("Please enter your name.")), Length(max=60)],
        render_kw={"autocomplete": "name"},
    )
    phone = phone_field(_l("Mobile number"), DataRequired(message=_l("Please enter your mobile number.")))
    password, confirm = new_password_fields(
        "password", _l("Password"), _l("Repeat the password"), _l("Please choose a password.")
    )
    organization_id = SelectField(_l("Organization you volunteer with (optional)"), coerce=int, default=0)
    consent = BooleanField(
        _l("I have read and agree to the privacy notice."),
        validators=[InputRequired(message=_l("Please agree to the privacy notice to register."))],
    )


class ChangePasswordForm(FlaskForm):
    current_password = PasswordField(
        _l("Current password"),
        validators=[DataRequired(message=_l("Please enter your current password."))],
        render_kw={"autocomplete": "current-password"},
    )
    new_password, confirm = new_password_fields(
        "new_password",
        _l("New password"),
        _l("Repeat the new password"),
        _l("Please choose a new password."),
    )


class ProfileForm(FlaskForm):
    name = StringField(
        _l("Your name"), validators=[DataRequired(message=_l("Please enter your name.")), Length(max=60)]
    )
    locale = SelectField(_l("Language"), choices=[("zh_Hans_CN", "中文"), ("en", "English")])
