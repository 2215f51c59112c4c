"""Forms for publishing activities, signing up and correcting check-ins."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    DateField,
    FieldList,
    Form,
    FormField,
    HiddenField,
    IntegerField,
    SelectField,
    StringField,
    TextAreaField,
    TimeField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from app.activities.labels import AUDIENCE_LABELS, KIND_LABELS, PLAN_TASK_LABELS, SAFETY_TOPIC_LABELS
from app.forms import CheckboxListField, RowId

SHIFT_ROWS = 4


class ShiftForm(Form):
    """One shift row; a row left blank is ignored."""

    shift_id = HiddenField(validators=[RowId()])
    day = DateField(_l("Date"), validators=[Optional()])
    start = TimeField(_l("From"), validators=[Optional()])
    end = TimeField(_l("To"), validators=[Optional()])
    capacity = IntegerField(
        _l("Volunteer places"),
        validators=[Optional(), NumberRange(min=1, max=10000, message=_l("Between 1 and 10,000 places."))],
    )
    role = StringField(_l("Role (optional)"), validators=[Length(max=60)])

    def is_blank(self) -> bool:
        return not (self.day.data or self.start.data or self.end.data or self.capacity.data)


class ActivityForm(FlaskForm):
    title = StringField(_l("Title"), validators=[DataRequired(message=_l("Please enter a title.")), Length(max=120)])
    kind = SelectField(_l("Kind of activity"), choices=[(k.value, label) for k, label in KIND_LABELS.items()])
    organization_id = SelectField(_l("Organizing body"), coerce=int)
    coorganizer_ids = CheckboxListField(_l("Co-organizers"), coerce=int, default=[])
    plan_tasks = CheckboxListField(
        _l("Plan tasks it counts for"),
        coerce=int,
        choices=list(PLAN_TASK_LABELS.items()),
        description=_l("Filled in from the kind when left empty."),
        default=[],
    )
    safety_topics = CheckboxListField(
        _l("Safety topics"), choices=[(t.value, label) for t, label in SAFETY_TOPIC_LABELS.items()], default=[]
    )
    audience = SelectField(_l("For"), choices=[(a.value, label) for a, label in AUDIENCE_LABELS.items()])
    town_id = SelectField(_l("Town"), coerce=int, default=0)
    village_id = SelectField(_l("Village or community"), coerce=int, default=0)
    venue = StringField(_l("Venue address"), validators=[Length(max=200)])
    expected_children = IntegerField(
        _l("Expected number of children"),
        default=0,
        validators=[Optional(), NumberRange(min=0, max=100000, message=_l("Please enter a number from 0."))],
    )
    description = TextAreaField(_l("Description"), validators=[Length(max=5000)])
    shifts = FieldList(FormField(ShiftForm), min_entries=SHIFT_ROWS, max_entries=20)
    repeat_weeks = IntegerField(
        _l("Repeat weekly"),
        default=1,
        description=_l("1 for a single activity; e.g. 8 for the same activity every week for eight weeks."),
        validators=[Optional(), NumberRange(min=1, max=60, message=_l("Between 1 and 60 weeks."))],
    )


class CancelForm(FlaskForm):
    reason = TextAreaField(
        _l("Reason for the cancellation"),
        validators=[DataRequired(message=_l("Please give a reason for the cancellation.")), Length(max=500)],
    )


class DuplicateForm(FlaskForm):
    first_day = DateField(
        _l("New date of the first shift"), validators=[InputRequired(message=_l("Please choose a date."))]
    )


class MinutesForm(FlaskForm):
    minutes = IntegerField(
        _l("Service minutes"),
        validators=[InputRequired(message=_l("Please enter minutes.")), NumberRange(min=0, max=24 * 60)],
    )


class BroadcastForm(FlaskForm):
    """A coordinator's message to volunteers; the text's rules are the service's (``clean_body``)."""

    body = TextAreaField(
        _l("Message to the volunteers"),
        validators=[DataRequired(message=_l("Please write the message.")), Length(max=500)],
        description=_l("At most 500 characters. It goes by SMS to those who get SMS."),
    )
    target = SelectField(_l("To"), choices=[], validate_choice=True)
