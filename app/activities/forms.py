"""Forms for publishing activities, signing up and correcting check-ins."""

from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
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
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, ValidationError

from app.activities.labels import AUDIENCE_LABELS, KIND_LABELS, PLAN_TASK_LABELS, SAFETY_TOPIC_LABELS
from app.activities.services import is_contact_phone, is_map_url
from app.db_types import utcnow
from app.forms import CheckboxListField, RowId
from app.timeutils import local_to_utc

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
    map_url = StringField(
        _l("Map link (optional)"),
        validators=[Length(max=500)],
        description=_l("A https:// link to the place on a map; volunteers see it as “Directions”."),
        render_kw={"inputmode": "url", "autocomplete": "off"},
    )
    what_to_bring = TextAreaField(_l("What to bring"), validators=[Length(max=500)])
    contact_name = StringField(_l("Contact person"), validators=[Length(max=60)])
    contact_phone = StringField(
        _l("Contact phone"),
        validators=[Length(max=20)],
        description=_l("Shown to the volunteers who signed up, so they can call on the day."),
        render_kw={"inputmode": "tel", "autocomplete": "off"},
    )
    is_contact_on_poster = BooleanField(_l("Also show the contact on the poster"))
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

    # Village id -> town id, filled in with the choices: checked with the rest of the form.
    village_towns: dict[int, int] = {}

    def validate_map_url(self, field) -> None:
        if field.data and not is_map_url(field.data.strip()):
            raise ValidationError(_l("The map link must be a web address starting with https://."))

    def validate_contact_phone(self, field) -> None:
        if field.data and not is_contact_phone(field.data.strip()):
            raise ValidationError(_l("Please enter a phone number of digits (spaces and dashes allowed)."))

    def validate_village_id(self, field) -> None:
        town = self.village_towns.get(field.data or 0)
        if town is not None and self.town_id.data and town != self.town_id.data:
            raise ValidationError(_l("The village is not in the chosen town."))

    def validate(self, extra_validators=None) -> bool:
        """Every field and every shift row in one pass, so the coordinator sees all that is wrong at once."""
        valid = super().validate(extra_validators)
        rows_valid = self._check_shift_rows()
        self._errors = None
        return valid and rows_valid

    def _check_shift_rows(self) -> bool:
        now = utcnow()
        filled = [row.form for row in self.shifts if not row.form.is_blank()]
        if not filled and self.shifts.entries:
            self.shifts.entries[0].form.day.errors.append(_l("An activity needs at least one shift."))
        for row in filled:
            for name in ("day", "start", "end", "capacity"):
                sub = row[name]
                if sub.data is None and not sub.errors:
                    sub.errors.append(_l("Each shift needs a date, a start, an end and a number of places."))
            if row.day.data and row.start.data and row.end.data:
                if row.end.data <= row.start.data:
                    row.end.errors.append(_l("A shift must end after it starts."))
                if not row.shift_id.data and local_to_utc(row.day.data, row.start.data) <= now:
                    row.day.errors.append(_l("A new shift cannot start in the past."))
        valid = True
        for entry in self.shifts.entries:
            entry.form._errors = None
            if entry.errors:
                valid = False
        self.shifts.errors = [entry.errors for entry in self.shifts.entries if entry.errors]
        return valid

    def error_summary(self) -> list[tuple[str, str, str]]:
        """(field id, label, message) of every error, in the order of the page, for the list at the top."""
        summary = []
        for field in self:
            if field.type == "CSRFTokenField":
                continue
            if field.type == "FieldList":
                for number, entry in enumerate(field.entries, start=1):
                    for sub in entry.form:
                        for message in sub.errors:
                            summary.append((sub.id, f"{_('Shift %(n)d', n=number)} · {sub.label.text}", message))
            else:
                summary.extend((field.id, field.label.text, message) for message in field.errors)
        return summary


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
