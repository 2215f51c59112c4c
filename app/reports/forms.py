"""The progress report's written sections."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import TextAreaField
from wtforms.validators import Length

SECTION = [Length(max=20000)]


class ProgressReportForm(FlaskForm):
    achievements = TextAreaField(_l("Achievements"), validators=SECTION, render_kw={"rows": 8})
    difficulties = TextAreaField(_l("Difficulties and problems"), validators=SECTION, render_kw={"rows": 6})
    next_measures = TextAreaField(_l("Measures for next year"), validators=SECTION, render_kw={"rows": 6})
