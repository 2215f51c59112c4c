"""What volunteers see: the public listing, an activity's page and QR, sign-up and cancel, calendars, check-in."""

from __future__ import annotations

from datetime import date

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from markupsafe import Markup
from sqlalchemy import select
from sqlalchemy.orm import contains_eager, joinedload
from wtforms import BooleanField, RadioField, SelectField, StringField
from wtforms.validators import DataRequired, InputRequired, Length

from app.activities.checkin import check_in, check_out, read_token
from app.activities.confirm import cancel_question
from app.activities.ical import build_calendar
from app.activities.join import join_activity
from app.activities.models import Activity, ActivityKind, ActivityStatus, Shift, Signup, SignupStatus
from app.activities.pagecache import RenderCache
from app.activities.qr import qr_png, qr_svg
from app.activities.queries import (
    CARDS_PER_PAGE,
    ActivityPage,
    activity_card,
    activity_cards,
    activity_page,
    signups_of,
)
from app.activities.services import ActivityError, cancel_signup, sign_up, waitlist_position
from app.audit.services import client_address
from app.auth.code_routes import code_accepted
from app.auth.codes import send_code
from app.auth.forms import code_field
from app.auth.models import User
from app.auth.routes import _organization_choices
from app.auth.sessions import start_session
from app.confirm import ask
from app.db_types import page_number, row_id, utcnow
from app.directory.models import Organization, Town
from app.directory.routes import town_choices
from app.domain import apply
from app.extensions import db
from app.formatting import today
from app.forms import RememberedSelect, phone_field, validate_fields
from app.i18n import supported
from app.labels import label
from app.notifications.models import CodePurpose
from app.permissions import (
    Permission,
    can_manage_activity,
    can_register_children,
    permission_required,
    public,
    scoped,
)
from app.timeutils import local_day_start
from app.urls import public_url

bp = Blueprint("activities", __name__)
# Anonymous activity pages, rendered once per version: a poster brings many scans of the same page at once.
page_cache = RenderCache()
list_cache = RenderCache(size=128)  # the activity list's pages and their cards, by filter and language


class JoinForm(FlaskForm):
    """Sign up from a poster on one screen: the shift, who you are, and the code sent to your mobile (which signs in
    a number that has an account and registers one that has not)."""

    shift_id = RadioField(coerce=int)
    name = StringField(
        _l("Your name"),
        validators=[DataRequired(message=_l("Please enter your name.")), Length(max=60)],
        render_kw={"autocomplete": "name"},
    )
    phone = phone_field(_l("Mobile number"), DataRequired(message=_l("Please enter your mobile number.")))
    code = code_field()
    organization_id = SelectField(
        _l("Organization you volunteer with (optional)"), coerce=int, default=0, widget=RememberedSelect()
    )
    consent = BooleanField(
        _l("I have read and agree to the privacy notice."),
        validators=[InputRequired(message=_l("Please agree to the privacy notice to register."))],
    )


JOIN_FIELDS = ("shift_id", "name", "phone", "organization_id", "consent")


def _activity_or_404(code: str, *, public: bool = True) -> Activity:
    options = [
        joinedload(Activity.organization),
        joinedload(Activity.town),
        joinedload(Activity.village),
        joinedload(Activity.coorganizers),
        joinedload(Activity.shifts),
    ]
    activity = db.session.scalars(select(Activity).options(*options).where(Activity.code == code)).unique().first()
    if activity is None or (public and _hidden_draft(activity)):
        abort(404)
    return activity


def _hidden_draft(activity: Activity | ActivityPage) -> bool:
    """A draft the visitor may not see: only its organization's coordinators (and the administrator) may."""
    return activity.is_draft and not (current_user.is_authenticated and can_manage_activity(activity))


@bp.route("/activities")
@public
def index():
    town_id = request.args.get("town", type=row_id)
    kind = request.args.get("kind", "")
    day = request.args.get("from", "")
    try:
        since = local_day_start(date.fromisoformat(day)) if day else None
    except ValueError:
        flash(_("Please choose a valid date."), "error")
        since = None
    page = page_number()
    cards, total = activity_cards(town_id=town_id, kind=kind, since=since, page=page)
    if not cards and page > 1:  # past the end (a stale link, or fewer activities now): the first page
        page = 1
        cards, total = activity_cards(town_id=town_id, kind=kind, since=since, page=page)
    filters = {"town": town_id or 0, "kind": kind, "from": day if since else ""}
    kept = {name: value for name, value in filters.items() if value}  # the pager's links keep the filters

    def page_url(number: int) -> str:
        return url_for("activities.index", **kept, **({"page": number} if number > 1 else {}))

    # The key holds all the cards show (and today's date, for 今天/明天), so cached cards are never stale in places
    # or times; they are the same for everyone, logged in or not.
    shown = (
        request.host,
        str(get_locale()),
        today(),
        tuple((c.activity.code, c.activity.title, c.activity.kind, c.activity.starts_at, c.free) for c in cards),
        tuple((c.organization.name_zh, c.organization.name_en, _names(c.town)) for c in cards),
    )
    cards_html = list_cache.get_or_render(
        ("cards", *shown), lambda: render_template("activities/_cards.html", cards=cards)
    )

    def render() -> str:
        return render_template(
            "activities/index.html",
            cards=cards,
            cards_html=Markup(cards_html),  # noqa: S704 -- our own template's output, escaped as it was rendered
            page=page,
            pages=max(1, -(-total // CARDS_PER_PAGE)),
            page_url=page_url,
            towns=town_choices(),
            kinds=[(k.value, label(k)) for k in ActivityKind],
            filters=filters,
        )

    if current_user.is_authenticated or session.get("_flashes"):
        return render()
    # For anonymous visitors the whole page (the towns of the filter follow within the cache's minute).
    return list_cache.get_or_render(("page", request.full_path, page, total, *shown), render)


def _names(place) -> tuple[str, str] | None:
    return (place.name_zh, place.name_en) if place is not None else None


def _join_form(activity: Activity) -> JoinForm:
    form = JoinForm(prefix="join")
    form.organization_id.choices = _organization_choices()
    form.shift_id.choices = [(s.id, s.id) for s in activity.shifts]
    return form


@bp.route("/a/<code>")
@public
def detail(code: str):
    """The page a poster's QR code opens: kept small and script-free for old phones on weak mobile data."""
    activity = activity_page(code, current_user.id if current_user.is_authenticated else None)
    if activity is None or _hidden_draft(activity):
        abort(404)
    now = utcnow()
    # What the activity's card shows (and today's date, for 今天/明天): in the key of every cached rendering of it.
    content = (
        str(get_locale()),
        today(),
        activity.id,
        activity.sequence,
        activity.updated_at,
        activity.status,
        (activity.starts_at, activity.ends_at, activity.organization_id, activity.town_id, activity.village_id),
    )

    def about_card() -> Markup:
        """The activity's card: the same for everyone but for two yes/no things, so rendered once per content."""
        may_register_children = current_user.is_authenticated and can_register_children()
        html = page_cache.get_or_render(
            ("about", *content, activity.mine, may_register_children),
            lambda: render_template(
                "activities/_about.html",
                activity=activity_card(activity.id),  # its text and names: loaded only when the card is rendered
                mine=activity.mine,
                may_register_children=may_register_children,
            ),
        )
        return Markup(html)  # noqa: S704 -- our own template's output, escaped as it was rendered

    def render() -> str:
        return render_template(
            "activities/detail.html",
            about_html=about_card(),
            activity=activity,
            now=now,
            short_url=public_url("activities.detail", code=activity.code),
        )

    if current_user.is_authenticated or session.get("_flashes"):
        return render()
    # Everything an anonymous visitor sees is in the key, so a cached page is never stale in places or times.
    key = (
        request.host,  # the short link on the page follows the address in development (app/urls.py)
        request.full_path,
        *content,
        activity.ends_at > now,
        tuple((shift.id, shift.confirmed, shift.waiting, shift.starts_at > now) for shift in activity.shifts),
    )
    return page_cache.get_or_render(key, render)


def signup_message(signup: Signup) -> str:
    """What a volunteer is told after signing up: confirmed, or their place on the waitlist."""
    if signup.is_confirmed:
        return _("You are signed up. See you there!")
    position = signup.place_in_line or waitlist_position(signup)
    return _("This shift is full: you are number %(n)d on the waitlist.", n=position)


@bp.route("/a/<code>/signup", methods=["POST"])
@permission_required(Permission.VOLUNTEER)
def signup(code: str):
    """One tap for a logged-in volunteer. The shift and its activity come in one statement; the message is written
    before the commit, from what the sign-up knows (nothing is read again after it)."""
    shift_id = request.form.get("shift_id", type=row_id)
    shift = shift_id and db.session.scalar(
        select(Shift)
        .join(Shift.activity)
        .options(contains_eager(Shift.activity))
        .where(Activity.code == code, Shift.id == shift_id)
    )
    if not shift:
        _activity_or_404(code)
        abort(400)
    if _hidden_draft(shift.activity):
        abort(404)
    done = {}

    def operation() -> None:
        done["message"] = signup_message(sign_up(shift.id, current_user))

    if apply(operation, lambda: done["message"]):
        return redirect(url_for("activities.mine"))
    return redirect(url_for("activities.detail", code=code))


def _render_join(activity: Activity, form: JoinForm, code_step: bool, status: int = 200):
    if form.shift_id.errors:
        form.shift_id.errors = [_("Please choose a shift.")]
    page = render_template("activities/join.html", activity=activity, form=form, code_step=code_step, now=utcnow())
    return page, status


@bp.route("/a/<code>/join", methods=["GET", "POST"])
@public
def join(code: str):
    """The second (and last) screen from a poster: the shift, name and number, "get code" (a POST that shows the same
    screen with a code field), then the code signs the person up — into their account if the number has one, a new
    one without a password if not. A refused sign-up leaves no account behind and the code unused."""
    activity = _activity_or_404(code)
    if current_user.is_authenticated:  # logged in on the way ("already registered?"): straight to the chosen shift
        shift = request.args.get("shift", type=row_id)
        return redirect(url_for("activities.detail", code=code, _anchor=f"shift-{shift}" if shift else None))
    form = _join_form(activity)
    if request.method == "GET":
        form.shift_id.data = request.args.get("shift", type=row_id)
        return _render_join(activity, form, False)
    code_step = bool(request.form.get("code_sent"))
    if request.form.get("action") == "send":
        sent = validate_fields(form, *JOIN_FIELDS) and apply(
            lambda: send_code(form.phone.data, CodePurpose.JOIN, client_address()),
            _("We have sent a 6-digit code by SMS. It is valid for 5 minutes."),
            form=form,
        )
        return _render_join(activity, form, code_step or sent, 200 if sent else 422)
    if not (validate_fields(form, *JOIN_FIELDS, "code") and code_accepted(form, form.phone.data, CodePurpose.JOIN)):
        return _render_join(activity, form, True, 422)
    done = {}

    def operation() -> None:
        organization = db.session.get(Organization, form.organization_id.data) if form.organization_id.data else None
        user, signup = join_activity(
            form.shift_id.data,
            name=form.name.data,
            phone=form.phone.data,
            consented=form.consent.data,
            organization=organization,
            locale=supported(session.get("lang")),
        )
        start_session(user)
        done["signup"] = signup

    if apply(operation, lambda: signup_message(done["signup"]), form=form):
        return redirect(url_for("activities.mine"))
    return _render_join(activity, form, True, 422)


@bp.route("/signups/<int:signup_id>/cancel", methods=["GET", "POST"])
@scoped("own_signup")
def cancel(signup_id: int):
    """GET asks first (what the volunteer gives up); POST cancels."""
    signup = db.get_or_404(Signup, signup_id)
    if request.method == "GET":
        return ask(cancel_question(signup))
    apply(lambda: cancel_signup(signup, by=current_user), _("Your sign-up has been cancelled."))
    return redirect(url_for("activities.mine"))


def _ics(body: bytes, filename: str) -> Response:
    return Response(
        body, mimetype="text/calendar", headers={"Content-Disposition": f'attachment; filename="{filename}"'}
    )


def _activity_link(activity: Activity) -> str:
    return public_url("activities.detail", code=activity.code)


@bp.route("/calendar/<token>.ics")
@public
def personal_feed(token: str):
    """A volunteer's own subscription feed: their confirmed shifts (and cancelled ones, so calendars drop them)."""
    user = db.session.scalar(select(User).where(User.calendar_token == token)) if len(token) >= 20 else None
    if user is None or not user.is_active:
        abort(404)
    signups = [s for s in signups_of(user.id) if s.status in (SignupStatus.CONFIRMED, SignupStatus.CANCELLED)]
    cancelled = {s.shift_id for s in signups if s.status == SignupStatus.CANCELLED}
    body = build_calendar(
        [s.shift for s in signups],
        name=_("My Shouhu activities"),
        url_for_activity=_activity_link,
        cancelled_ids=cancelled,
    )
    return _ics(body, "shouhu.ics")


@bp.route("/a/<code>/calendar.ics")
@public
def activity_calendar(code: str):
    """The activity's shifts as a calendar file; ``?shift=`` gives that one shift alone (the one a volunteer signed
    up for), so adding it does not fill the calendar with every shift of the day."""
    activity = _activity_or_404(code)
    shifts = activity.shifts
    chosen = request.args.get("shift", type=row_id)
    if chosen is not None:
        shifts = [s for s in shifts if s.id == chosen]
        if not shifts:
            abort(404)
    filename = f"{code}-{chosen}.ics" if chosen is not None else f"{code}.ics"
    return _ics(build_calendar(shifts, name=activity.title, url_for_activity=_activity_link), filename)


def _public_feed(activities: list[Activity], name: str, filename: str) -> Response:
    shifts = [s for a in activities for s in a.shifts]
    return _ics(build_calendar(shifts, name=name, url_for_activity=_activity_link), filename)


def _published_of(*conditions) -> list[Activity]:
    return list(
        db.session.scalars(
            select(Activity)
            .where(
                Activity.status.in_([ActivityStatus.PUBLISHED, ActivityStatus.CANCELLED, ActivityStatus.COMPLETED]),
                *conditions,
            )
            .order_by(Activity.starts_at)
        )
    )


@bp.route("/organizations/<code>/calendar.ics")
@public
def organization_feed(code: str):
    organization = db.session.scalar(select(Organization).where(Organization.code == code)) or abort(404)
    return _public_feed(_published_of(Activity.organization_id == organization.id), organization.name_zh, f"{code}.ics")


@bp.route("/towns/<code>/calendar.ics")
@public
def town_feed(code: str):
    town = db.session.scalar(select(Town).where(Town.code == code)) or abort(404)
    return _public_feed(_published_of(Activity.town_id == town.id), town.name_zh, f"{code}.ics")


@bp.route("/a/<code>/qr.<fmt>")
@public
def qr(code: str, fmt: str):
    activity = _activity_or_404(code)
    url = public_url("activities.detail", code=activity.code)
    if fmt == "png":
        return Response(qr_png(url), mimetype="image/png", headers={"Cache-Control": "public, max-age=3600"})
    if fmt == "svg":
        return Response(qr_svg(url), mimetype="image/svg+xml", headers={"Cache-Control": "public, max-age=3600"})
    abort(404)


@bp.route("/a/<code>/poster")
@public
def poster(code: str):
    activity = _activity_or_404(code)
    return render_template(
        "activities/poster.html", activity=activity, short_url=public_url("activities.detail", code=activity.code)
    )


@bp.route("/c/<int:shift_id>/<token>", methods=["GET", "POST"])
@public
def checkin(shift_id: int, token: str):
    """The page a scanned check-in code opens: a GET shows one button, the POST checks in (or out)."""
    try:
        shift = read_token(token, shift_id)
    except ActivityError as error:
        return render_template("activities/checkin_result.html", error=error.message), 400
    if not current_user.is_authenticated:
        flash(_("Log in or register to check in."), "info")
        return redirect(url_for("auth.login", next=request.path))
    signup = db.session.scalar(select(Signup).where(Signup.shift_id == shift.id, Signup.user_id == current_user.id))
    if request.method == "POST":
        if request.form.get("action") == "out" and signup is not None:
            operation, message = (
                lambda: check_out(signup, by=current_user),
                _("Checked out. Thank you for your service!"),
            )
        else:
            operation, message = lambda: check_in(shift, current_user, by=current_user), _("Checked in. Welcome!")
        if apply(operation, message):
            return redirect(request.path)
        return render_template("activities/checkin_result.html", shift=shift, signup=signup, error=None), 409
    return render_template("activities/checkin_result.html", shift=shift, signup=signup, error=None)


# The volunteer's own pages live in their own module, on this blueprint (imported last: it needs ``bp``).
from app.activities import me  # noqa: E402, F401
