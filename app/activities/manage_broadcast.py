"""A coordinator's message to the volunteers of a shift or of the whole activity: written, previewed with the number
of people it will reach, then sent (routes of the ``manage`` blueprint; the rules are in
``app.notifications.broadcasts``)."""

from __future__ import annotations

from flask import redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.activities.forms import BroadcastForm
from app.activities.manage import bp
from app.activities.models import Activity, Shift
from app.db_types import utcnow
from app.domain import DomainError, apply
from app.extensions import db
from app.formatting import when
from app.notifications.broadcasts import (
    broadcast_params,
    clean_body,
    next_allowed,
    recipients,
    send_broadcast,
)
from app.notifications.kinds import KINDS
from app.permissions import Permission, permission_required

WHOLE = "all"


def _form(activity: Activity) -> BroadcastForm:
    form = BroadcastForm()
    form.target.choices = [(WHOLE, _("All volunteers of the activity"))] + [
        (str(shift.id), _("Shift %(when)s", when=_shift_label(shift))) for shift in activity.shifts
    ]
    return form


def _shift_label(shift: Shift) -> str:
    label = when(shift.starts_at, shift.ends_at)
    return f"{label} {shift.role}".strip()


@bp.route("/activities/<int:activity_id>/message", methods=["GET", "POST"])
@permission_required(Permission.MANAGE_ACTIVITIES, scope="managed_activity")
def broadcast(activity_id: int):
    """GET: write; POST ``preview``: the text as it will read and how many it reaches; POST ``send``: send it."""
    activity = db.get_or_404(Activity, activity_id)
    form = _form(activity)
    waiting_until = next_allowed(current_user, utcnow())
    if not form.validate_on_submit():
        status = 422 if form.errors else 200
        return render_template("manage/broadcast.html", activity=activity, form=form, until=waiting_until), status
    shift = None if form.target.data == WHOLE else db.session.get(Shift, int(form.target.data))
    if "send" in request.form and apply(
        lambda: send_broadcast(activity, shift, form.body.data, by=current_user),
        _("Your message is on its way."),
        form=form,
    ):
        return redirect(url_for("manage.activity", activity_id=activity.id))
    preview = None
    if "send" not in request.form:
        try:
            text = clean_body(form.body.data)
        except DomainError as error:
            form.body.errors = [*form.body.errors, error.message]
        else:
            rendered = KINDS["broadcast"].render(broadcast_params(activity, shift, text))
            preview = {"rendered": rendered, "count": len(recipients(activity, shift)), "text": text}
    status = 422 if form.errors or "send" in request.form else 200  # a refused send: the reason is flashed
    return (
        render_template("manage/broadcast.html", activity=activity, form=form, preview=preview, until=waiting_until),
        status,
    )
