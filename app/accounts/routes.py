"""Account management: list, create, edit, reset password, deactivate and reactivate."""

from __future__ import annotations

from itertools import groupby

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import or_, select
from sqlalchemy.orm import contains_eager, selectinload

from app.accounts.forms import NewStaffAccountForm, ResetPasswordForm, StaffAccountForm
from app.audit.models import AuditEntry
from app.auth.models import Role, User
from app.auth.services import (
    StaffData,
    create_staff_account,
    reset_password,
    set_active,
    update_staff_account,
)
from app.db_types import page_number
from app.directory.models import Organization, Town, Village
from app.directory.routes import town_choices
from app.domain import apply
from app.extensions import db
from app.i18n import localized_name
from app.labels import ROLE_LABELS
from app.permissions import Permission, permission_required

bp = Blueprint("accounts", __name__, url_prefix="/admin/accounts")


@bp.route("/")
@permission_required(Permission.MANAGE_ACCOUNTS)
def index():
    q = request.args.get("q", "").strip()
    role = request.args.get("role", "")
    status = request.args.get("status", "active")
    query = (
        select(User)
        .options(selectinload(User.organization), selectinload(User.town), selectinload(User.villages))
        .order_by(User.role, User.name)
    )
    if q:
        like = f"%{q}%"
        query = query.where(or_(User.name.ilike(like), User.username.ilike(like), User.phone.ilike(like)))
    if role in {r.value for r in Role}:
        query = query.where(User.role == Role(role))
    if status == "active":
        query = query.where(User.is_active)
    elif status == "inactive":
        query = query.where(User.is_active.is_(False))
    page = db.paginate(query, page=page_number(), per_page=50, error_out=False)
    return render_template(
        "accounts/index.html", page=page, roles=ROLE_LABELS, filters={"q": q, "role": role, "status": status}
    )


def _fill_choices(form: StaffAccountForm) -> None:
    organizations = db.session.scalars(
        select(Organization).where(Organization.is_active).order_by(Organization.sort_order, Organization.name_zh)
    )
    form.organization_id.choices = [(0, _("— none —"))] + [(o.id, localized_name(o)) for o in organizations]
    form.town_id.choices = town_choices(_("— none —"))
    villages = db.session.scalars(
        select(Village)
        .join(Village.town)
        .options(contains_eager(Village.town))
        .where(Village.is_active)
        .order_by(Town.sort_order, Village.name_zh)
    ).all()
    form.village_ids.choices = [(v.id, localized_name(v)) for v in villages]
    # Shown as one folding group of checkboxes per town: a county has far too many villages for one list.
    form.village_groups = [
        (localized_name(town), [(v.id, localized_name(v)) for v in group])
        for town, group in groupby(villages, key=lambda v: v.town)
    ]


def _staff_data(form: StaffAccountForm) -> StaffData:
    chosen = form.village_ids.data or []
    villages = list(db.session.scalars(select(Village).where(Village.id.in_(chosen)))) if chosen else []
    return StaffData(
        name=form.name.data,
        role=Role(form.role.data),
        username=(form.username.data or "").strip() or None,
        phone=form.phone.data or None,
        organization=db.session.get(Organization, form.organization_id.data) if form.organization_id.data else None,
        town=db.session.get(Town, form.town_id.data) if form.town_id.data else None,
        villages=villages,
    )


@bp.route("/new", methods=["GET", "POST"])
@permission_required(Permission.MANAGE_ACCOUNTS)
def new():
    form = NewStaffAccountForm()
    _fill_choices(form)
    if form.validate_on_submit() and apply(
        lambda: create_staff_account(_staff_data(form), form.password.data, by=current_user),
        _("The account for %(name)s has been created.", name=form.name.data.strip()),
        form=form,
    ):
        return redirect(url_for("accounts.index"))
    return render_template("accounts/form.html", form=form, user=None), 422 if form.errors else 200


@bp.route("/<int:user_id>", methods=["GET", "POST"])
@permission_required(Permission.MANAGE_ACCOUNTS)
def edit(user_id: int):
    user = db.get_or_404(User, user_id)
    form = StaffAccountForm(obj=user)
    _fill_choices(form)
    if request.method == "GET":
        form.role.data = user.role.value
        form.organization_id.data = user.organization_id or 0
        form.town_id.data = user.town_id or 0
        form.village_ids.data = [v.id for v in user.villages]
    if form.validate_on_submit() and apply(
        lambda: update_staff_account(user, _staff_data(form), by=current_user),
        lambda: _("The account for %(name)s has been saved.", name=user.display_name),
        form=form,
    ):
        return redirect(url_for("accounts.edit", user_id=user.id))
    logins = db.session.scalars(
        select(AuditEntry)
        .where(
            AuditEntry.object_type == "users",
            AuditEntry.object_id == user.id,
            AuditEntry.action.in_(["auth.login", "auth.login_failed"]),
        )
        .order_by(AuditEntry.created_at.desc())
        .limit(10)
    ).all()
    page = render_template(
        "accounts/form.html", form=form, user=user, reset_form=ResetPasswordForm(prefix="reset"), logins=logins
    )
    return page, 422 if form.errors else 200


@bp.route("/<int:user_id>/password", methods=["POST"])
@permission_required(Permission.MANAGE_ACCOUNTS)
def reset(user_id: int):
    user = db.get_or_404(User, user_id)
    form = ResetPasswordForm(prefix="reset")
    if form.validate_on_submit():
        apply(
            lambda: reset_password(user, form.password.data, by=current_user),
            lambda: _(
                "The password of %(name)s has been reset; all their sessions have ended.", name=user.display_name
            ),
        )
    else:
        for message in form.password.errors:
            flash(message, "error")
    return redirect(url_for("accounts.edit", user_id=user.id))


@bp.route("/<int:user_id>/active", methods=["POST"])
@permission_required(Permission.MANAGE_ACCOUNTS)
def activation(user_id: int):
    user = db.get_or_404(User, user_id)
    active = request.form.get("active") == "1"

    def message() -> str:
        if active:
            return _("The account of %(name)s is active again.", name=user.display_name)
        return _("The account of %(name)s has been deactivated and logged out.", name=user.display_name)

    apply(lambda: set_active(user, active, by=current_user), message)
    return redirect(url_for("accounts.edit", user_id=user.id))
