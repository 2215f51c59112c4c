"""Forms for organizations, villages and the CSV import."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import RadioField, SelectField, StringField
from wtforms.validators import DataRequired, Length

from app.labels import ORGANIZATION_KIND_LABELS, VILLAGE_KIND_LABELS


class OrganizationForm(FlaskForm):
    name_zh = StringField(
        _l("Name (Chinese)"), validators=[DataRequired(message=_l("Please enter the Chinese name.")), Length(max=120)]
    )
    name_en = StringField(_l("Name (English)"), validators=[Length(max=200)])
    short_name_zh = StringField(_l("Short name (Chinese)"), validators=[Length(max=60)])
    code = StringField(
        _l("Code"),
        validators=[DataRequired(message=_l("Please enter a code.")), Length(max=60)],
        description=_l("Lowercase letters, digits and dashes, e.g. school-hekou-primary."),
        render_kw={"autocapitalize": "none"},
    )
    kind = SelectField(_l("Type"), choices=[(k.value, label) for k, label in ORGANIZATION_KIND_LABELS.items()])
    town_id = SelectField(_l("Town where it is local"), coerce=int, default=0)


class VillageForm(FlaskForm):
    town_id = SelectField(_l("Town"), coerce=int)
    name_zh = StringField(
        _l("Name (Chinese)"), validators=[DataRequired(message=_l("Please enter the Chinese name.")), Length(max=60)]
    )
    name_en = StringField(_l("Name (English)"), validators=[Length(max=120)])
    kind = SelectField(_l("Type"), choices=[(k.value, label) for k, label in VILLAGE_KIND_LABELS.items()])


class ImportForm(FlaskForm):
    what = RadioField(
        _l("What the file lists"),
        choices=[("villages", _l("Villages and communities")), ("schools", _l("Schools"))],
        default="villages",
    )
    file = FileField(
        _l("CSV file"),
        validators=[
            FileRequired(message=_l("Please choose a CSV file.")),
            FileAllowed(["csv", "txt"], message=_l("Please upload a .csv file.")),
        ],
    )
