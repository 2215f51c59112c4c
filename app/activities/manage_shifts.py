"""What coordinators do per shift and per volunteer: rosters and their exports, the check-in screen, check-ins and
corrections by hand, and a training's participants. Routes of the ``manage`` blueprint; the scope decorators load
and check the record, the services hold the rules."""

from __future__ import annotations

import csv
import io

from flask import Response, abort, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app.activities.checkin import (
    CheckInState,
    check_in,
    check_in_state,
    check_out,
    make_token,
    mark_no_show,
    window_message,
)
from app.activities.confirm import roster_question
from app.activities.forms import MinutesForm
from app.activities.manage import bp
from app.activities.models import Activity, Shift, Signup, SignupStatus, service_minutes
from app.activities.qr import qr_png
from app.activities.roster import (
    active_child_directors,
    set_signup_minutes,
    set_training_participants,
    training_participant_ids,
)
from app.activities.services import cancel_signup, waitlist_position
from app.audit.services import record
from app.auth.routes import safe_next
from app.confirm import ask
from app.db_types import row_id
from app.domain import apply
from app.export_cells import inert_row, make_sheet_inert
from app.extensions import db
from app.labels import label
from app.permissions import Permission, permission_required
from app.spreadsheets import fit_widths, prepare_for_print
from app.timeutils import to_local
from app.urls import public_url

ROSTER_HEADERS = ["序号", "姓名", "手机号", "状态", "候补顺序", "签到时间", "签退时间", "服务时长（分钟）"]
# The printed roster is the venue's sign-in sheet: a column to sign, every column on one landscape page.
SIGNATURE = "签名"
ROSTER_WIDTHS = dict(zip("ABCDEFGHI", (6, 12, 14, 8, 8, 16, 16, 10, 20), strict=True))


def _roster_rows(shift: Shift) -> list[list]:
    rows = []
    signups = db.session.scalars(
        select(Signup)
        .options(selectinload(Signup.user))
        .where(Signup.shift_id == shift.id, Signup.status != SignupStatus.CANCELLED)
        .order_by(Signup.status, Signup.queued_at, Signup.id)
    ).all()
    fmt = "%Y-%m-%d %H:%M"
    for number, signup in enumerate(signups, start=1):
        rows.append(
            [
                number,
                signup.user.display_name,
                signup.user.phone or "",
                label(signup.status),
                waitlist_position(signup) or "",
                to_local(signup.checked_in_at).strftime(fmt) if signup.checked_in_at else "",
                to_local(signup.checked_out_at).strftime(fmt) if signup.checked_out_at else "",
                service_minutes(signup),
            ]
        )
    return rows


@bp.route("/shifts/<int:shift_id>/roster.<fmt>")
@permission_required(Permission.MANAGE_ACTIVITIES, scope="managed_shift")
def roster_export(shift_id: int, fmt: str):
    shift = db.get_or_404(Shift, shift_id)
    if fmt not in ("csv", "xlsx"):
        abort(404)
    rows = _roster_rows(shift)
    name = f"roster-{shift.activity.code}-{shift.id}"
    # Who took the volunteers' phone numbers away is on record: the export's only write, committed with it.
    record("roster.exported", shift, actor=current_user, format=fmt)
    db.session.commit()
    if fmt == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(ROSTER_HEADERS)
        writer.writerows(inert_row(row) for row in rows)
        # A BOM so that Excel on Chinese Windows opens the UTF-8 file with the right characters.
        return Response(
            "\ufeff" + buffer.getvalue(),
            mimetype="text/csv",
            headers={"Content-Disposition": f'attachment; filename="{name}.csv"'},
        )
    from openpyxl import Workbook  # imported here: only staff exports need it (a worker's memory)
    from openpyxl.styles import Font

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "名单"
    start = to_local(shift.starts_at)
    sheet.append([f"{shift.activity.title} {start:%Y-%m-%d %H:%M}–{to_local(shift.ends_at):%H:%M} {shift.role}"])
    sheet.append([*ROSTER_HEADERS, SIGNATURE])
    for cell in sheet[2]:
        cell.font = Font(bold=True)
    for row in rows:
        sheet.append([*row, ""])
        sheet.row_dimensions[sheet.max_row].height = 30  # room to sign by hand
    sheet.freeze_panes = "A3"
    make_sheet_inert(sheet)
    fit_widths(sheet, from_row=2, widths=ROSTER_WIDTHS)
    prepare_for_print(sheet, title_rows=2)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return Response(
        buffer.getvalue(),
        mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers={"Content-Disposition": f'attachment; filename="{name}.xlsx"'},
    )


@bp.route("/shifts/<int:shift_id>/checkin")
@permission_required(Permission.MANAGE_ACTIVITIES, scope="managed_shift")
def checkin_screen(shift_id: int):
    """The coordinator's screen at the venue: while check-in is open, a fresh check-in QR (the page reloads itself);
    before and after, when it opens or that it closed, and no code. The roster below either way."""
    shift = db.get_or_404(Shift, shift_id)
    state = check_in_state(shift)
    token = make_token(shift) if state == CheckInState.OPEN else None
    signups = db.session.scalars(
        select(Signup)
        .options(selectinload(Signup.user))
        .where(Signup.shift_id == shift.id, Signup.status == SignupStatus.CONFIRMED)
        .order_by(Signup.queued_at)
    ).all()
    return render_template(
        "manage/checkin.html",
        shift=shift,
        token=token,
        signups=signups,
        minutes=service_minutes,
        checkin_url=public_url("activities.checkin", shift_id=shift.id, token=token) if token else None,
        state=state,
        state_message=window_message(shift, state),
        minutes_form=MinutesForm(),
    )


@bp.route("/shifts/<int:shift_id>/checkin-qr/<token>.png")
@permission_required(Permission.MANAGE_ACTIVITIES, scope="managed_shift")
def checkin_qr(shift_id: int, token: str):
    shift = db.get_or_404(Shift, shift_id)
    return Response(
        qr_png(public_url("activities.checkin", shift_id=shift.id, token=token)),
        mimetype="image/png",
        headers={"Cache-Control": "private, no-store"},
    )


def _signup_operation(signup: Signup, action: str):
    """The service call behind each button of the check-in screen (None: no such action)."""
    if action == "checkin":
        return lambda: check_in(signup.shift, signup.user, by=current_user)
    if action == "checkout":
        return lambda: check_out(signup, by=current_user)
    if action == "noshow":
        return lambda: mark_no_show(signup, by=current_user)
    if action == "cancel":
        remove = request.form.get("remove_attendance") == "1"
        return lambda: cancel_signup(signup, by=current_user, remove_attendance=remove)
    if action == "minutes":
        form = MinutesForm()
        minutes = form.minutes.data if form.validate_on_submit() else None
        return lambda: set_signup_minutes(signup, minutes, by=current_user)
    return None


@bp.route("/signups/<int:signup_id>/<action>", methods=["GET", "POST"])
@permission_required(Permission.MANAGE_ACTIVITIES, scope="managed_signup")
def signup_action(signup_id: int, action: str):
    """Check in or out by hand, mark a no-show, correct the minutes, or take someone off the roster (which GET
    asks about first: a checked-in volunteer's hours are kept unless the coordinator removes them)."""
    signup = db.get_or_404(Signup, signup_id)
    if request.method == "GET":
        if action != "cancel" or signup.status == SignupStatus.CANCELLED:
            abort(404)
        back = safe_next(request.args.get("back")) or url_for("manage.checkin_screen", shift_id=signup.shift_id)
        return ask(roster_question(signup, back))
    operation = _signup_operation(signup, action)
    if operation is None:
        abort(404)
    shift_id = signup.shift_id
    apply(operation, _("Saved."))
    return redirect(safe_next(request.form.get("back")) or url_for("manage.checkin_screen", shift_id=shift_id))


@bp.route("/activities/<int:activity_id>/participants", methods=["GET", "POST"])
@permission_required(Permission.MANAGE_ACTIVITIES, scope="managed_activity")
def training_participants(activity_id: int):
    """For a child director training: tick the child directors who took part (they count as trained, R6)."""
    activity = db.get_or_404(Activity, activity_id)
    if not activity.records_participants:
        abort(404)
    if request.method == "POST":
        chosen = request.form.getlist("director_ids", type=row_id)
        apply(lambda: set_training_participants(activity, chosen, by=current_user), _("Saved."))
        return redirect(url_for("manage.training_participants", activity_id=activity.id))
    return render_template(
        "manage/participants.html",
        activity=activity,
        directors=active_child_directors(),
        chosen=training_participant_ids(activity),
    )
