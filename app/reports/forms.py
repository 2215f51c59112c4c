"""The progress report's written sections."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, IntegerField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange

SECTION = [Length(max=20000)]


class ProgressReportForm(FlaskForm):
    achievements = TextAreaField(_l("Achievements"), validators=SECTION, render_kw={"rows": 8})
    difficulties = TextAreaField(_l("Difficulties and problems"), validators=SECTION, render_kw={"rows": 6})
    next_measures = TextAreaField(_l("Measures for next year"), validators=SECTION, render_kw={"rows": 6})

    def validate_for_submission(self) -> bool:
        """A draft may be saved half-written; a submitted report has every section written."""
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
    year = IntegerField(_l("Year"), validators=[InputRequired(), NumberRange(min=2024, max=2100)])
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

    def validate(self, extra_validators=None) -> bool:
        if not super().validate(extra_validators):
            return False
        ok = True
        for first, last in ((self.winter_first, self.winter_last), (self.summer_first, self.summer_last)):
            if last.data < first.data:
                last.errors.append(_l("The vacation must end after it starts."))
                ok = False
            if first.data.year != self.year.data:
                first.errors.append(_l("The vacation must start in the year chosen."))
                ok = False
        return ok
