"""Login, logout, volunteer registration, and the account page (password, language)."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, flash, make_response, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from app.audit.services import client_address
from app.auth.forms import ChangePasswordForm, LoginForm, ProfileForm, RegistrationForm
from app.auth.models import STAFF_ROLES
from app.auth.services import (
    LoginResult,
    authenticate,
    change_password,
    log_out,
    register_volunteer,
    update_profile,
)
from app.auth.sessions import start_session
from app.auth.throttle import DEVICE_COOKIE, device_cookie_days, read_device_cookie, write_device_cookie
from app.directory.models import Organization
from app.domain import apply
from app.extensions import db
from app.i18n import localized_name, supported
from app.permissions import logged_in, public
from app.timeutils import to_local

bp = Blueprint("auth", __name__)

# Pages a user who must change their password may still open.
_ALLOWED_BEFORE_PASSWORD_CHANGE = {"auth.change_password", "auth.logout", "static", "main.healthz", "main.privacy"}


def safe_next(target: str | None) -> str | None:
    """Only follow ``next`` (or ``back``) to a path on this site, never to another host: no open redirect. A path
    starts with one ``/``; a backslash (browsers read ``/\\host`` as ``//host``) or a control character (browsers drop
    tabs and newlines from URLs) refuses it, as does any scheme or host."""
    if not target or len(target) > 2048:
        return None
    if "\\" in target or any(ord(char) < 32 or ord(char) == 127 for char in target):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    return target


@bp.before_app_request
def require_password_change():
    if (
        current_user.is_authenticated
        and current_user.must_change_password
        and request.endpoint not in _ALLOWED_BEFORE_PASSWORD_CHANGE
    ):
        return redirect(url_for("auth.change_password"))
    return None


def _login_error_message(result: LoginResult) -> str:
    error, wait_seconds = result.error, result.wait_seconds
    if error == "account_capped":
        return _(
            "Too many failed attempts on this account. Logins from new devices are paused until %(time)s; a device "
            "you have logged in with before can log in as usual.",
            time=to_local(result.retry_at).strftime("%H:%M"),
        )
    if error == "locked":
        minutes = max(1, (wait_seconds + 59) // 60)
        return _("Too many failed attempts. This account is locked here for %(n)d minutes.", n=minutes)
    if error == "wait":
        return _("Too many failed attempts. Please wait %(n)d seconds and try again.", n=wait_seconds)
    if error == "inactive":
        return _("This account has been deactivated. Please contact the county civil-affairs bureau.")
    return _("The mobile number, username or password is not correct.")


@bp.route("/login", methods=["GET", "POST"])
@public
def login():
    if current_user.is_authenticated:
        return redirect(safe_next(request.args.get("next")) or url_for("main.index"))
    form = LoginForm()
    if form.validate_on_submit():
        devices = read_device_cookie(request.cookies.get(DEVICE_COOKIE))
        result = authenticate(form.identifier.data, form.password.data, client_address(), devices=devices)
        if result.user is not None and result.user.sms_second_step and result.user.phone:
            return code_routes.begin_second_step(
                result, remember=form.remember.data, next_url=request.args.get("next"), form=form
            )
        if result.user is not None:
            start_session(result.user, remember=form.remember.data)
        # One commit either way, and not through apply(): a refused login is not a rule to roll back but a fact to
        # keep (the throttle that slows the next guess, the audit entry).
        db.session.commit()
        if result.user is None:
            flash(_login_error_message(result), "error")
            status = {"bad_credentials": 401, "inactive": 403}.get(result.error, 429)
            response = make_response(render_template("auth/login.html", form=form), status)
            if status == 429:
                response.headers["Retry-After"] = str(result.wait_seconds)
            return response
        return logged_in_response(result.user, request.args.get("next"), result.account_key, result.device_nonce)
    return render_template("auth/login.html", form=form)


def logged_in_response(user, next_url: str | None, account_key: str = "", device_nonce: str | None = None):
    """Where a fresh login goes: on to ``next`` (or the home page) in the account's language; after a password, this
    browser becomes a known device for the account (OWASP device cookie), so others' failures spare it."""
    if user.locale:
        session["lang"] = user.locale
    response = redirect(safe_next(next_url) or url_for("main.index"))
    if device_nonce:
        devices = read_device_cookie(request.cookies.get(DEVICE_COOKIE))
        response.set_cookie(
            DEVICE_COOKIE,
            write_device_cookie(devices, account_key, device_nonce),
            max_age=device_cookie_days() * 86400,
            secure=request.is_secure,
            httponly=True,
            samesite="Lax",
        )
    return response


@bp.route("/logout", methods=["POST"])
@logged_in
def logout():
    apply(lambda: log_out(current_user._get_current_object()), _("You have logged out."))
    return redirect(url_for("main.index"))


def _organization_choices() -> list[tuple[int, str]]:
    organizations = db.session.execute(  # names only: a light query for the ~50 options of a public form
        select(Organization.id, Organization.name_zh, Organization.name_en)
        .where(Organization.is_active)
        .order_by(Organization.sort_order, Organization.name_zh)
    )
    return [(0, _("— none —"))] + [(o.id, localized_name(o)) for o in organizations]


def registration_from_form(form: RegistrationForm) -> dict:
    """What a validated registration form says, as ``register_volunteer``'s arguments."""
    organization = db.session.get(Organization, form.organization_id.data) if form.organization_id.data else None
    return {
        "name": form.name.data,
        "phone": form.phone.data,
        "password": form.password.data,
        "organization": organization,
        "locale": supported(session.get("lang")),
    }


@bp.route("/register", methods=["GET", "POST"])
@public
def register():
    """A volunteer registers; afterwards they are logged in and go where they were headed (e.g. a sign-up)."""
    next_url = safe_next(request.args.get("next"))
    if current_user.is_authenticated:
        return redirect(next_url or url_for("main.index"))
    form = RegistrationForm()
    form.organization_id.choices = _organization_choices()
    if form.validate_on_submit() and apply(
        lambda: start_session(register_volunteer(**registration_from_form(form))),
        _("Welcome, %(name)s! You are registered as a volunteer.", name=form.name.data.strip()),
        form=form,
    ):
        return redirect(next_url or url_for("main.index"))
    return render_template("auth/register.html", form=form, next_url=next_url), 422 if form.errors else 200


@bp.route("/account/password", methods=["GET", "POST"], endpoint="change_password")
@logged_in
def change_password_view():
    """Change one's password, or set a first one (a volunteer who signed up by SMS code has none to give)."""
    form = ChangePasswordForm()
    had_password = current_user.has_password
    if not had_password:
        del form.current_password
    if form.validate_on_submit() and apply(
        lambda: change_password(
            current_user, form.current_password.data if had_password else None, form.new_password.data
        ),
        _("Your password has been changed. You were logged out everywhere else.")
        if had_password
        else _("Your password has been set. You can log in with it or with an SMS code."),
        form=form,
    ):
        return redirect(url_for("auth.account"))
    return render_template("auth/change_password.html", form=form), 422 if form.errors else 200


@bp.route("/account", methods=["GET", "POST"])
@logged_in
def account():
    form = ProfileForm(obj=current_user)
    if request.method == "GET":
        form.locale.data = current_user.locale or session.get("lang") or "zh_Hans_CN"
    if form.validate_on_submit() and apply(
        lambda: update_profile(current_user, name=form.name.data, locale=form.locale.data, by=current_user),
        _("Your details have been saved."),
        form=form,
    ):
        session["lang"] = form.locale.data
        return redirect(url_for("auth.account"))
    return render_template("auth/account.html", form=form, staff_roles=STAFF_ROLES), 422 if form.errors else 200


# Logging in and registering by SMS code, the second step and the forgotten password live in their own module, on
# this blueprint (imported last: it needs ``bp``).
from app.auth import code_routes  # noqa: E402
