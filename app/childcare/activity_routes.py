"""Children at an activity: directors register theirs beforehand, coordinators and directors mark attendance.

Outside the file a child shows only as a masked name, village and age (R9); a coordinator chooses only among the
children registered for the activity, or those of the activity's own town (and village): no county-wide search.
"""

from __future__ import annotations

from flask import abort, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app.activities.models import Activity
from app.audit.services import record
from app.childcare.attendance import attendance_pool, mark_attendance, register_child, remove_attendance
from app.childcare.models import ActivityRegistration, Attendance, Child, ChildStatus
from app.childcare.routes import bp
from app.childcare.services import mask_name, today
from app.confirm import Choice, Question, ask
from app.db_types import row_id, utcnow
from app.domain import apply
from app.extensions import db
from app.permissions import can_mark_attendance, can_register_children, child_scope, scoped


@bp.route("/activity/<int:activity_id>", methods=["GET", "POST"])
@scoped("activity_children")
def activity_children(activity_id: int):
    """Children at an activity; a search (only among the activity's own town) is audited with its words."""
    activity = db.get_or_404(Activity, activity_id)
    may_mark = can_mark_attendance(activity, current_user)
    may_register = can_register_children(current_user)
    if not (may_mark or may_register):
        abort(403)
    if request.method == "POST":
        _activity_children_action(activity, may_mark, may_register)
        return redirect(url_for("children.activity_children", activity_id=activity.id, q=request.args.get("q", "")))
    if may_mark and request.args.get("remove"):
        return _ask_remove(activity, request.args.get("remove", type=row_id))
    q = request.args.get("q", "").strip()[:40]
    attended = db.session.scalars(
        select(Attendance).options(selectinload(Attendance.child)).where(Attendance.activity_id == activity.id)
    ).all()
    registered = db.session.scalars(
        select(ActivityRegistration)
        .options(selectinload(ActivityRegistration.child))
        .where(ActivityRegistration.activity_id == activity.id)
    ).all()
    searchable = may_mark and activity.town_id is not None
    found = []
    if q and searchable:
        query = attendance_pool(activity).where(Child.status == ChildStatus.ACTIVE, Child.name.contains(q))
        found = db.session.scalars(query.options(selectinload(Child.village)).order_by(Child.name).limit(30)).all()
    mine = []
    if may_register:
        taken = {r.child_id for r in registered}
        mine = [
            c
            for c in db.session.scalars(child_scope(select(Child).where(Child.status == ChildStatus.ACTIVE)))
            if c.id not in taken
        ]
    html = render_template(
        "children/activity.html",
        activity=activity,
        attended=attended,
        registered=registered,
        found=found,
        mine=mine,
        q=q,
        searchable=searchable,
        may_mark=may_mark,
        may_register=may_register,
        started=activity.starts_at <= utcnow(),
        mask=mask_name,
        today=today(),
    )
    if q and searchable:
        record("child.searched", actor=current_user, where="activity", activity=activity.id, q=q, count=len(found))
        db.session.commit()  # after rendering: a commit expires the loaded rows
    return html


def _activity_children_action(activity: Activity, may_mark: bool, may_register: bool) -> None:
    """Remove an attendance, mark one, or register a child, as the form asks and the user may."""
    action = request.form.get("action")
    if action == "remove" and may_mark:
        attendance = _posted(Attendance, "attendance_id")
        if attendance is None or attendance.activity_id != activity.id:
            abort(404)
        apply(lambda: remove_attendance(attendance, by=current_user), _("Saved."))
        return
    child = _posted(Child, "child_id")
    if child is None:
        abort(404)
    if action == "attend" and may_mark:
        concern = request.form.get("concern", "")[:2000]
        apply(lambda: mark_attendance(activity, child, by=current_user, concern=concern), _("Saved."))
    elif action == "register" and may_register:
        apply(lambda: register_child(activity, child, by=current_user), _("Saved."))
    else:
        abort(403)


def _ask_remove(activity: Activity, attendance_id: int | None):
    """Removing a child's attendance asks first: the child no longer counts among those the activity reached."""
    attendance = db.session.get(Attendance, attendance_id) if attendance_id is not None else None
    if attendance is None or attendance.activity_id != activity.id:
        abort(404)
    back = url_for("children.activity_children", activity_id=activity.id)
    name = mask_name(attendance.child.name)
    lost = [_("%(name)s will no longer count among the children this activity reached.", name=name)]
    if attendance.concern:
        lost.append(_("The concern noted with it is removed too: %(concern)s", concern=attendance.concern))
    return ask(
        Question(
            _("Remove this attendance?"),
            lost,
            [
                Choice(
                    url_for("children.activity_children", activity_id=activity.id),
                    _("Yes, remove it"),
                    {"action": "remove", "attendance_id": str(attendance.id)},
                )
            ],
            back,
            keep=_("No, keep it"),
        )
    )


def _posted(model, name: str):
    """The row whose id the form posts as ``name``; None when the id is missing, malformed or unknown."""
    value = request.form.get(name, type=row_id)
    return db.session.get(model, value) if value is not None else None
