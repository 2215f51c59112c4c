"""Login, logout, volunteer registration, and the account page (password, language)."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from app.audit.services import client_address, record
from app.auth.forms import ChangePasswordForm, LoginForm, ProfileForm, RegistrationForm
from app.auth.models import User
from app.auth.services import AccountError, authenticate, change_password, register_volunteer
from app.auth.sessions import end_session, start_session
from app.directory.models import Organization
from app.extensions import db
from app.i18n import localized_name, supported
from app.permissions import logged_in, public

bp = Blueprint("auth", __name__)

# Pages a user who must change their password may still open.
_ALLOWED_BEFORE_PASSWORD_CHANGE = {"auth.change_password", "auth.logout", "static", "main.healthz", "main.privacy"}


def safe_next(target: str | None) -> str | None:
    """Only follow ``next`` to a path on this site (never to another host: no open redirect)."""
    if not target:
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


def _login_error_message(error: str, wait_seconds: int) -> str:
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
        result = authenticate(form.identifier.data, form.password.data, client_address())
        if result.user is None:
            db.session.commit()  # keep the throttle and the audit entry
            flash(_login_error_message(result.error, result.wait_seconds), "error")
            status = {"bad_credentials": 401, "inactive": 403}.get(result.error, 429)
            return render_template("auth/login.html", form=form), status
        start_session(result.user, remember=form.remember.data)
        db.session.commit()
        if result.user.locale:
            session["lang"] = result.user.locale
        return redirect(safe_next(request.args.get("next")) or url_for("main.index"))
    return render_template("auth/login.html", form=form)


@bp.route("/logout", methods=["POST"])
@logged_in
def logout():
    record("auth.logout", current_user, actor=current_user)
    end_session(current_user)
    db.session.commit()
    flash(_("You have logged out."), "info")
    return redirect(url_for("main.index"))


def _organization_choices() -> list[tuple[int, str]]:
    organizations = db.session.scalars(
        select(Organization).where(Organization.is_active).order_by(Organization.sort_order, Organization.name_zh)
    )
    return [(0, _("— none —"))] + [(o.id, localized_name(o)) for o in organizations]


def register_from_form(form: RegistrationForm) -> User | None:
    """Create the volunteer a validated registration form describes; on a broken rule, put the message on the
    field it concerns, roll back and return None."""
    organization = db.session.get(Organization, form.organization_id.data) if form.organization_id.data else None
    try:
        return register_volunteer(
            name=form.name.data,
            phone=form.phone.data,
            password=form.password.data,
            organization=organization,
            locale=supported(session.get("lang")),
        )
    except AccountError as error:
        db.session.rollback()
        field = form.phone if error.code in {"bad_phone", "phone_taken"} else form.password
        field.errors.append(error.message)
        return None


@bp.route("/register", methods=["GET", "POST"])
@public
def register():
    """A volunteer registers; afterwards they are logged in and go where they were headed (e.g. a sign-up)."""
    next_url = safe_next(request.args.get("next"))
    if current_user.is_authenticated:
        return redirect(next_url or url_for("main.index"))
    form = RegistrationForm()
    form.organization_id.choices = _organization_choices()
    if form.validate_on_submit() and (user := register_from_form(form)) is not None:
        start_session(user)
        db.session.commit()
        flash(_("Welcome, %(name)s! You are registered as a volunteer.", name=user.name), "success")
        return redirect(next_url or url_for("main.index"))
    return render_template("auth/register.html", form=form, next_url=next_url)


@bp.route("/account/password", methods=["GET", "POST"], endpoint="change_password")
@logged_in
def change_password_view():
    form = ChangePasswordForm()
    if form.validate_on_submit():
        try:
            change_password(current_user, form.current_password.data, form.new_password.data)
        except AccountError as error:
            db.session.rollback()
            target = form.current_password if error.code == "wrong_password" else form.new_password
            target.errors.append(error.message)
        else:
            db.session.commit()
            flash(_("Your password has been changed. You were logged out everywhere else."), "success")
            return redirect(url_for("auth.account"))
    return render_template("auth/change_password.html", form=form)


@bp.route("/account", methods=["GET", "POST"])
@logged_in
def account():
    form = ProfileForm(obj=current_user)
    if request.method == "GET":
        form.locale.data = current_user.locale or session.get("lang") or "zh_Hans_CN"
    if form.validate_on_submit():
        current_user.name = form.name.data.strip()
        current_user.locale = form.locale.data
        session["lang"] = form.locale.data
        db.session.commit()
        flash(_("Your details have been saved."), "success")
        return redirect(url_for("auth.account"))
    return render_template("auth/account.html", form=form)
