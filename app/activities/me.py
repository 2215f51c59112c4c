"""A volunteer's own pages: my activities and hours, the service certificate and its public check, the personal
calendar address, and deleting the account. Nothing here changes data on a GET."""

from __future__ import annotations

from base64 import b64encode
from itertools import groupby

from flask import Response, abort, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, logout_user

from app.accounts.services import delete_volunteer_account
from app.activities.certificates import (
    certificate_by_token,
    is_up_to_date,
    issue_certificate,
    issuers_of,
    latest_certificate,
    masked_holder_name,
    service_record,
)
from app.activities.checkin import hours_to_next_star, star_level
from app.activities.models import SignupStatus, service_minutes
from app.activities.public import bp
from app.activities.qr import qr_png
from app.activities.queries import signups_of
from app.activities.roster import mark_changes_seen
from app.activities.services import waitlist_position
from app.auth.services import renew_calendar_address
from app.confirm import Choice, Question, ask
from app.db_types import utcnow
from app.domain import apply
from app.mentoring.queries import has_pairings
from app.permissions import Permission, can_delete_own_account, logged_in, permission_required, public
from app.timeutils import to_local
from app.urls import public_url


@bp.route("/me/activities")
@permission_required(Permission.VOLUNTEER)
def mine():
    signups = signups_of(current_user.id)
    now = utcnow()
    live = [s for s in signups if s.status != SignupStatus.CANCELLED]
    upcoming = [s for s in live if s.shift.ends_at > now]
    past = sorted((s for s in live if s.shift.ends_at <= now), key=lambda s: s.shift.starts_at, reverse=True)
    hours = service_record(current_user.id).total_minutes / 60
    token = current_user.calendar_token
    feed_url = public_url("activities.personal_feed", token=token) if token else None
    return render_template(
        "activities/mine.html",
        upcoming=upcoming,
        past_years=[(year, list(rows)) for year, rows in groupby(past, key=lambda s: to_local(s.shift.starts_at).year)],
        positions={s.id: waitlist_position(s) for s in upcoming},
        minutes={s.id: service_minutes(s) for s in live},
        total_hours=hours,
        stars=star_level(hours),
        to_next_star=hours_to_next_star(hours),
        feed_url=feed_url,
        # webcal: opens the phone's calendar app ready to subscribe, where an https link would download one file
        webcal_url="webcal://" + feed_url.split("://", 1)[1] if feed_url else None,
        now=now,
        has_pairings=has_pairings(current_user.id),
        may_delete=can_delete_own_account(),
    )


@bp.route("/me/activities/seen", methods=["POST"])
@logged_in
def mark_seen():
    """The volunteer has read the "changed" notices."""
    apply(lambda: mark_changes_seen(current_user), _("Thank you: the notices have been cleared."))
    return redirect(url_for("activities.mine"))


def _qr_data_uri(url: str) -> str:
    """The QR code inline, so the printed certificate needs no second request."""
    return "data:image/png;base64," + b64encode(qr_png(url, box_size=4)).decode("ascii")


@bp.route("/me/certificate")
@permission_required(Permission.VOLUNTEER)
def certificate():
    """志愿服务记录证明: the latest certificate issued (printable, with its serial number and a QR code to the public
    check), and a button to issue an up-to-date one when the record has changed since."""
    current = service_record(current_user.id)
    latest = latest_certificate(current_user.id)
    check_url = public_url("activities.certificate_check", token=latest.token) if latest else None
    hours = (latest.activity_minutes + latest.mentoring_minutes) / 60 if latest else current.total_minutes / 60
    return render_template(
        "activities/certificate.html",
        current=current,
        certificate=latest,
        up_to_date=latest is not None and is_up_to_date(latest, current),
        issuers=issuers_of(latest) if latest else current.issuers,
        minutes=service_minutes,
        total_hours=hours,
        stars=star_level(hours),
        check_url=check_url,
        qr=_qr_data_uri(check_url) if check_url else None,
    )


@bp.route("/me/certificate/issue", methods=["POST"])
@permission_required(Permission.VOLUNTEER)
def issue():
    """Issue a certificate as the record stands today (the same one again when nothing has changed)."""
    apply(lambda: issue_certificate(current_user), _("Your certificate has been issued."))
    return redirect(url_for("activities.certificate"))


@bp.route("/certificates/<token>")
@public
def certificate_check(token: str):
    """Where a certificate's QR code leads: anyone may confirm it is genuine. It shows only the volunteer's masked
    name, the hours, the issuers and the date of issue: never a phone number or a full name."""
    found = certificate_by_token(token)
    if found is None:
        abort(404)
    return render_template(
        "activities/certificate_check.html",
        certificate=found,
        holder=masked_holder_name(found),
        issuers=issuers_of(found),
        total_hours=(found.activity_minutes + found.mentoring_minutes) / 60,
    )


@bp.route("/me/delete", methods=["GET", "POST"])
@permission_required(Permission.DELETE_OWN_ACCOUNT)
def delete_account():
    """A volunteer deletes their account (``delete_volunteer_account``: one transaction, committed once)."""
    if request.method == "POST":
        user = current_user._get_current_object()
        if apply(
            lambda: delete_volunteer_account(user, by=user),
            _("Your account has been deleted. Thank you for your service."),
        ):
            logout_user()
            return redirect(url_for("main.index"))
        return redirect(url_for("activities.mine"))
    return render_template("activities/delete_account.html")


@bp.route("/me/calendar/reset", methods=["GET", "POST"])
@logged_in
def reset_calendar():
    """Create the personal calendar address, or replace it (the old one stops working: GET asks first)."""
    if request.method == "GET":
        if not current_user.calendar_token:
            return redirect(url_for("activities.mine"))
        return ask(
            Question(
                _("Change your calendar address?"),
                [
                    _(
                        "The old address stops working: calendars subscribed to it stop showing your shifts until "
                        "you subscribe to the new one."
                    )
                ],
                [Choice(url_for("activities.reset_calendar"), _("Yes, change the address"))],
                url_for("activities.mine"),
                keep=_("No, keep this address"),
            )
        )
    replaced = {}
    apply(
        lambda: replaced.update(old=renew_calendar_address(current_user)),
        lambda: (
            _("Your calendar address has been changed; the old one no longer works.")
            if replaced["old"]
            else _("Your calendar address is ready: subscribe to it in your phone's calendar.")
        ),
    )
    return redirect(url_for("activities.mine"))


@bp.route("/me/calendar.png")
@logged_in
def personal_feed_qr():
    if not current_user.calendar_token:
        abort(404)
    url = public_url("activities.personal_feed", token=current_user.calendar_token)
    return Response(qr_png(url, box_size=6), mimetype="image/png", headers={"Cache-Control": "private, no-store"})
