"""Forms of the reports: a town progress report's sections and its return, the year's school vacations."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, IntegerField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length

SECTION = [Length(max=20000)]


class ProgressReportForm(FlaskForm):
    """The three written sections; ``submit_report`` refuses a submission with one left empty."""

    achievements = TextAreaField(_l("Achievements"), validators=SECTION, render_kw={"rows": 8})
    difficulties = TextAreaField(_l("Difficulties and problems"), validators=SECTION, render_kw={"rows": 6})
    next_measures = TextAreaField(_l("Measures for next year"), validators=SECTION, render_kw={"rows": 6})

    def validate_for_submission(self) -> bool:
        """A draft may be saved half-written; a submitted report has every section written (checked here for every
        empty section at once, so the page marks them all; the service holds the rule)."""
        ok = True
        for section in (self.achievements, self.difficulties, self.next_measures):
            if not (section.data or "").strip():
                section.errors = [*section.errors, _l("Write this section before submitting.")]
                ok = False
        return ok


class ReturnReportForm(FlaskForm):
    """The bureau sends a submitted report back to its town, saying why."""

    reason = TextAreaField(
        _l("Why the report goes back"),
        validators=[DataRequired(message=_l("Say what the town should revise.")), Length(max=2000)],
        render_kw={"rows": 3},
    )


class VacationForm(FlaskForm):
    """The year's school vacations; ``save_vacation_dates`` holds the rules they must meet."""

    year = IntegerField(_l("Year"), validators=[InputRequired(message=_l("Please enter a year."))])
    winter_first = DateField(
        _l("Winter vacation from"), validators=[InputRequired(message=_l("Please enter a valid date."))]
    )
    winter_last = DateField(
        _l("Winter vacation to"), validators=[InputRequired(message=_l("Please enter a valid date."))]
    )
    summer_first = DateField(
        _l("Summer vacation from"), validators=[InputRequired(message=_l("Please enter a valid date."))]
    )
    summer_last = DateField(
        _l("Summer vacation to"), validators=[InputRequired(message=_l("Please enter a valid date."))]
    )
