"""Pages that work with an SMS code: signing in (or registering) by phone, the staff's second step after the
password, resetting a forgotten password, and turning the second step on or off.

Each asks in two steps on one page: the phone and a "send code" button (a POST that re-renders the same page), then
the code. Without JavaScript, on a 360-px phone."""

from __future__ import annotations

import time

from flask import flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.audit.services import client_address, record
from app.auth.code_accounts import reset_password_by_code, set_second_step, volunteer_for_code
from app.auth.codes import CodeCheck, CodeError, check_code, code_problem, send_code
from app.auth.forms import CodeLoginForm, ResetPasswordForm, SecondStepForm
from app.auth.models import User
from app.auth.routes import bp, logged_in_response, safe_next
from app.auth.sessions import start_session
from app.domain import apply
from app.extensions import db
from app.forms import validate_fields
from app.i18n import supported
from app.notifications.models import CodePurpose
from app.permissions import logged_in, public

PENDING = "pending_login"  # the Flask session key of a login waiting for its second step
PENDING_SECONDS = 600


def masked(phone: str) -> str:
    return f"{phone[:3]}****{phone[-4:]}"


def sending(form, purpose: CodePurpose, success: str, *fields: str) -> bool:
    """The "send code" button: check the step's fields, send a code to the form's phone, and say so (or why not)."""
    return validate_fields(form, "phone", *fields) and apply(
        lambda: send_code(form.phone.data, purpose, client_address()), success, form=form
    )


def code_accepted(form, phone: str, purpose: CodePurpose) -> bool:
    """Check the code typed in ``form.code`` for ``phone``. A wrong try is committed at once (it must count though
    nothing else happens) and shown next to the field; a right one is used up in the transaction the caller then
    applies, so a refused operation gives the code back."""
    result = check_code(phone, purpose, form.code.data)
    if result == CodeCheck.OK:
        return True
    db.session.commit()
    form.code.errors = [*form.code.errors, code_problem(result)]
    return False


def _is_send() -> bool:
    return request.form.get("action") == "send"


@bp.route("/login/code", methods=["GET", "POST"])
@public
def login_code():
    """A volunteer signs in with their mobile number and a code; a number new to Shouhu registers in the same step
    (name and consent). Registered or not, a number gets the same pages."""
    next_url = safe_next(request.args.get("next"))
    if current_user.is_authenticated:
        return redirect(next_url or url_for("main.index"))
    form = CodeLoginForm()
    code_step = bool(request.form.get("code_sent"))
    if request.method == "POST" and _is_send():
        sent = _("We have sent a 6-digit code by SMS. It is valid for 5 minutes.")
        done = sending(form, CodePurpose.LOGIN, sent)
        return _render_login_code(form, code_step or done, next_url, 200 if done else 422)
    if request.method == "POST":
        code_step = True
        if validate_fields(form, "phone", "code", "name") and code_accepted(form, form.phone.data, CodePurpose.LOGIN):
            done = {}

            def operation() -> None:
                done["user"] = volunteer_for_code(
                    form.phone.data,
                    name=form.name.data,
                    consented=form.consent.data,
                    locale=supported(session.get("lang")),
                )
                start_session(done["user"], remember=form.remember.data)

            if apply(operation, lambda: _("Welcome, %(name)s!", name=done["user"].display_name), form=form):
                return logged_in_response(done["user"], next_url)
        return _render_login_code(form, code_step, next_url, 422)
    return _render_login_code(form, code_step, next_url)


def _render_login_code(form, code_step: bool, next_url: str | None, status: int = 200):
    return render_template("auth/login_code.html", form=form, code_step=code_step, next_url=next_url), status


# --- the second step after a password -------------------------------------------------------------------------


def begin_second_step(result, *, remember: bool, next_url: str | None, form):
    """The password was right and the account asks for an SMS code too: send it and keep the half-done login in the
    Flask session for ten minutes; the login session starts only after the code. A code that cannot be sent (a
    limit, the provider) leaves the person on the login page with the reason."""
    user = result.user
    try:
        with db.session.begin_nested():
            send_code(user.phone, CodePurpose.SECOND_STEP, client_address())
    except CodeError as error:
        db.session.commit()  # the password's bookkeeping (audit, cleared throttle) stands
        flash(error.message, "error")
        return render_template("auth/login.html", form=form), 503
    db.session.commit()
    session[PENDING] = {
        "user_id": user.id,
        "remember": bool(remember),
        "next": safe_next(next_url),
        "until": int(time.time()) + PENDING_SECONDS,
        "account_key": result.account_key,
        "device_nonce": result.device_nonce,
    }
    return redirect(url_for("auth.second_step"))


def _pending_user() -> tuple[dict | None, User | None]:
    pending = session.get(PENDING)
    if not isinstance(pending, dict) or pending.get("until", 0) < time.time():
        session.pop(PENDING, None)
        return None, None
    user = db.session.get(User, pending.get("user_id"))
    if user is None or not user.is_active or not user.phone:
        session.pop(PENDING, None)
        return None, None
    return pending, user


@bp.route("/login/second-step", methods=["GET", "POST"])
@public
def second_step():
    """After a right password, the code sent to the account's phone; then the login session starts."""
    if current_user.is_authenticated:
        return redirect(url_for("main.index"))
    pending, user = _pending_user()
    form = SecondStepForm()
    if user is None:
        return render_template("auth/second_step.html", form=form, phone=None), 200
    if request.method == "POST" and _is_send():
        done = validate_fields(form) and apply(
            lambda: send_code(user.phone, CodePurpose.SECOND_STEP, client_address()), _("A new code has been sent.")
        )
        return render_template("auth/second_step.html", form=form, phone=masked(user.phone)), 200 if done else 422
    if form.validate_on_submit() and code_accepted(form, user.phone, CodePurpose.SECOND_STEP):
        start_session(user, remember=pending["remember"])
        record("auth.second_step", user, actor=user)
        db.session.commit()
        return logged_in_response(user, pending["next"], pending["account_key"], pending["device_nonce"])
    status = 422 if form.errors else 200
    return render_template("auth/second_step.html", form=form, phone=masked(user.phone)), status


@bp.route("/account/second-step", methods=["POST"])
@logged_in
def second_step_setting():
    enabled = request.form.get("enabled") == "1"
    if validate_fields(SecondStepForm()):
        apply(
            lambda: set_second_step(current_user, enabled),
            _("From now on you log in with your password and an SMS code.")
            if enabled
            else _("You log in with your password only."),
        )
    return redirect(url_for("auth.account"))


# --- a forgotten password --------------------------------------------------------------------------------------


@bp.route("/password/reset", methods=["GET", "POST"])
@public
def reset_password():
    """Anyone (staff or volunteer) sets a new password with a code sent to the account's number. An unknown number
    gets the same pages (and no SMS). Afterwards every session of the account has ended; the person logs in anew."""
    form = ResetPasswordForm()
    code_step = bool(request.form.get("code_sent"))
    if request.method == "POST" and _is_send():
        sent = _("If an account has this number, we have sent it a 6-digit code by SMS. It is valid for 5 minutes.")
        done = sending(form, CodePurpose.RESET, sent)
        return render_template("auth/reset_password.html", form=form, code_step=code_step or done), 200 if done else 422
    if request.method == "POST":
        code_step = True
        checked = validate_fields(form, "phone", "code", "new_password", "confirm") and code_accepted(
            form, form.phone.data, CodePurpose.RESET
        )
        if checked and apply(
            lambda: reset_password_by_code(form.phone.data, form.new_password.data),
            _("Your password has been changed and you were logged out everywhere. Please log in."),
            form=form,
        ):
            return redirect(url_for("auth.login"))
        return render_template("auth/reset_password.html", form=form, code_step=code_step), 422
    return render_template("auth/reset_password.html", form=form, code_step=code_step)
