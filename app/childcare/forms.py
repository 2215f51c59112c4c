"""Forms for children's files and their timeline entries."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import DateField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from app.childcare.labels import choices
from app.childcare.models import (
    CareKind,
    CheckLevel,
    ChildCategory,
    CloseReason,
    Gender,
    ProblemStatus,
    RiskFlag,
    VisitKind,
)
from app.forms import CheckboxListField

DATE_REQUIRED = InputRequired(message=_l("Please enter a valid date."))


class ChildForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(message=_l("Please enter a name.")), Length(max=40)])
    gender = SelectField(_l("Gender"), choices=choices(Gender))
    birth_date = DateField(_l("Date of birth"), validators=[DATE_REQUIRED])
    id_number = StringField(_l("Resident ID number"), validators=[Optional(), Length(max=20)])
    village_id = SelectField(_l("Village or community"), coerce=int)
    school_id = SelectField(_l("School"), coerce=int, default=0)
    grade = StringField(_l("Grade"), validators=[Length(max=30)])
    categories = CheckboxListField(_l("Categories"), choices=choices(ChildCategory), default=[])
    risk_flags = CheckboxListField(_l("Risk flags (more frequent visits)"), choices=choices(RiskFlag), default=[])
    father_name = StringField(_l("Father's name"), validators=[Length(max=40)])
    mother_name = StringField(_l("Mother's name"), validators=[Length(max=40)])
    guardian_name = StringField(_l("Guardian's name"), validators=[Length(max=40)])
    guardian_relation = StringField(_l("Guardian's relationship to the child"), validators=[Length(max=20)])
    guardian_phone = StringField(_l("Guardian's phone"), validators=[Length(max=20)])
    parents_workplace = StringField(_l("Where the parents work"), validators=[Length(max=120)])
    caregiver_name = StringField(_l("Entrusted caregiver"), validators=[Length(max=40)])
    on_record_since = DateField(
        _l("On record since"),
        validators=[DATE_REQUIRED],
        description=_l("Since when the child is on the county's books: visits from this day count."),
    )
    # Only the administrator chooses (the page removes it for others): active child directors of the village.
    director_id = SelectField(_l("Child director"), coerce=int, default=0)


TEXT = [DataRequired(message=_l("Please write something.")), Length(max=5000)]


class VisitForm(FlaskForm):
    kind = SelectField(_l("Kind"), choices=choices(VisitKind), default=VisitKind.HOME.value)
    visited_on = DateField(_l("Date"), validators=[DATE_REQUIRED])
    findings = TextAreaField(_l("What was found"), validators=TEXT)
    caregiver_ability = TextAreaField(_l("Entrusted caregiver's ability to care"), validators=[Length(max=5000)])
    psychological_needs = TextAreaField(_l("Psychological needs"), validators=[Length(max=5000)])
    problem = TextAreaField(
        _l("Problem found (optional)"),
        validators=[Length(max=5000)],
        description=_l("Opens a problem on the file to follow up."),
    )


class WorkLogForm(FlaskForm):
    logged_on = DateField(_l("Date"), validators=[DATE_REQUIRED])
    text = TextAreaField(_l("Work log"), validators=TEXT)


class CareActionForm(FlaskForm):
    kind = SelectField(_l("Kind"), choices=choices(CareKind))
    acted_on = DateField(_l("Date"), validators=[DATE_REQUIRED])
    organization_id = SelectField(_l("By which organization"), coerce=int, default=0)
    notes = TextAreaField(_l("Notes"), validators=[Length(max=5000)])


class ProblemForm(FlaskForm):
    found_on = DateField(_l("Date found"), validators=[DATE_REQUIRED])
    description = TextAreaField(_l("Problem"), validators=TEXT)
    handler = StringField(_l("Who handles it"), validators=[Length(max=80)])


class ProblemUpdateForm(FlaskForm):
    status = SelectField(_l("Status"), choices=choices(ProblemStatus))
    handler = StringField(_l("Who handles it"), validators=[Length(max=80)])
    solution = TextAreaField(_l("Solution"), validators=[Length(max=5000)])


class FileCheckForm(FlaskForm):
    level = SelectField(_l("Check"), choices=choices(CheckLevel))
    checked_on = DateField(_l("Date"), validators=[DATE_REQUIRED])
    passed = SelectField(_l("Result"), choices=[("1", _l("Complete")), ("0", _l("Needs work"))])
    remarks = TextAreaField(_l("Remarks"), validators=[Length(max=5000)])


class CloseForm(FlaskForm):
    """Why a file closes: nothing is chosen until the user chooses, and "turned 18" is not offered for a younger
    child (``for_age``)."""

    reason = SelectField(
        _l("Reason"),
        choices=[("", _l("Choose a reason")), *choices(CloseReason)],
        validators=[DataRequired(message=_l("Please choose why the file closes."))],
    )

    def for_age(self, age: int) -> CloseForm:
        if age < 18:
            self.reason.choices = [c for c in self.reason.choices if c[0] != CloseReason.TURNED_18.value]
        return self


class ChildImportForm(FlaskForm):
    file = FileField(
        _l("File (XLSX or CSV)"),
        validators=[
            FileRequired(message=_l("Please choose a file.")),
            FileAllowed(["xlsx", "csv"], message=_l("Please upload an .xlsx or .csv file.")),
        ],
    )


def _days(label, most: int, description=None):
    return IntegerField(
        label,
        validators=[
            InputRequired(message=_l("Please enter a number of days.")),
            NumberRange(min=1, max=most, message=_l("Between 1 and %(max)d days.")),
        ],
        description=description,
    )


class VisitPolicyForm(FlaskForm):
    """R3's intervals (``app.childcare.visits``): a week (month) is cut into as many windows of this many days as
    fit in it, each needing a contact (home visit); 7 and 30 are the plan's weekly and monthly rule."""

    contact_days = _days(_l("Contact at least every (days)"), 7, _l("7: once a week, as the plan asks."))
    home_days = _days(_l("Home visit at least every (days)"), 31, _l("30: once a month, as the plan asks."))
    contact_days_risk = _days(
        _l("Contact with a risk flag at least every (days)"),
        7,
        _l("No more than the ordinary interval. 3: Monday–Wednesday and Thursday–Sunday."),
    )
    home_days_risk = _days(
        _l("Home visit with a risk flag at least every (days)"),
        31,
        _l("No more than the ordinary interval. 14: the 1st–14th and the 15th to the month's end."),
    )
    problem_escalation_days = _days(_l("A problem unresolved after (days) goes to the town's child supervisor"), 90)
