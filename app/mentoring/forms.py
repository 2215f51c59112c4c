"""Forms for proposals, pairings, screenings and sessions."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, Optional, ValidationError

from app.mentoring.labels import CONSENT_LABELS, PAIRING_KIND_LABELS

DATE = InputRequired(message=_l("Please enter a valid date."))
KIND_CHOICES = [(k.value, v) for k, v in PAIRING_KIND_LABELS.items()]


class ProposalForm(FlaskForm):
    """A child director proposes a child of their villages to an organization for a mentor."""

    organization_id = SelectField(_l("Organization"), coerce=int)
    kind = SelectField(_l("Kind of pairing"), choices=KIND_CHOICES)
    needs = TextAreaField(
        _l("Needs to share with the mentor"),
        validators=[Length(max=2000)],
        description=_l(
            "The organization sees the child's masked name, village and age and this text, never the file. "
            "Write only what a mentor needs to know."
        ),
    )

    def validate_organization_id(self, field) -> None:
        if not field.data:
            raise ValidationError(_l("Choose an organization."))


class PairingForm(FlaskForm):
    """A coordinator pairs a proposed child with a screened mentor, recording the guardian's consent."""

    mentor_id = SelectField(_l("Mentor"), coerce=int, validators=[InputRequired(_l("Choose a mentor."))])
    kind = SelectField(_l("Kind of pairing"), choices=KIND_CHOICES)
    started_on = DateField(_l("Start"), validators=[DATE])
    planned_end = DateField(_l("Planned end"), validators=[Optional()])
    goal = TextAreaField(_l("Goal"), validators=[Length(max=2000)])
    shared_needs = TextAreaField(
        _l("Needs shared with the mentor"),
        validators=[Length(max=2000)],
        description=_l("The mentor sees only the child's given name and this text, never the file."),
    )
    consent_by = StringField(
        _l("Guardian who consented"),
        validators=[DataRequired(message=_l("Record who gave the guardian's consent.")), Length(max=40)],
    )
    consent_on = DateField(_l("Consent date"), validators=[DATE])
    consent_method = SelectField(_l("How consent was given"), choices=[(k.value, v) for k, v in CONSENT_LABELS.items()])


class ScreeningForm(FlaskForm):
    mentor_id = SelectField(_l("Volunteer or teacher"), coerce=int)
    valid_until = DateField(_l("Screening valid until"), validators=[DATE])


class SessionForm(FlaskForm):
    held_on = DateField(_l("Date"), validators=[DATE])
    minutes = IntegerField(_l("Minutes"), validators=[InputRequired(message=_l("Please enter minutes."))])
    what_was_done = TextAreaField(
        _l("What you did together"), validators=[DataRequired(message=_l("Please write something.")), Length(max=5000)]
    )
    worry = TextAreaField(
        _l("Anything worrying (optional)"),
        validators=[Length(max=5000)],
        description=_l("The child director is told, on the child's file."),
    )


class EndPairingForm(FlaskForm):
    reason = StringField(
        _l("Reason for ending"), validators=[DataRequired(message=_l("Please give a reason.")), Length(max=300)]
    )
