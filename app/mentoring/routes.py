"""Pairings: coordinators pair and screen, mentors log sessions from their phones (seeing only a given name)."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app.auth.models import Role, User
from app.childcare.models import Child, ChildStatus
from app.childcare.services import ChildError, mask_name, today
from app.directory.models import Organization
from app.domain import apply
from app.extensions import db
from app.i18n import localized_name
from app.mentoring.forms import EndPairingForm, PairingForm, ScreeningForm, SessionForm
from app.mentoring.models import ConsentMethod, Pairing, PairingKind, PairingStatus
from app.mentoring.services import (
    PairingData,
    create_pairing,
    end_pairing,
    given_name,
    log_session,
    record_screening,
    screening_valid,
)
from app.permissions import Permission, logged_in, permission_required, scoped

bp = Blueprint("mentoring", __name__, url_prefix="/mentoring")


def _own_organization() -> Organization | None:
    return current_user.organization


def _pairing_for_manager(pairing_id: int) -> Pairing:
    pairing = db.get_or_404(Pairing, pairing_id)
    if current_user.role != Role.ADMIN and pairing.organization_id != current_user.organization_id:
        abort(403)
    return pairing


def _mentors(organization: Organization | None) -> list[User]:
    if organization is None:
        return []
    return list(
        db.session.scalars(
            select(User)
            .where(
                User.organization_id == organization.id,
                User.is_active,
                User.role.in_([Role.VOLUNTEER, Role.COORDINATOR]),
            )
            .order_by(User.name)
        )
    )


@bp.route("/manage", methods=["GET", "POST"])
@permission_required(Permission.MANAGE_ACTIVITIES)
def manage():
    """The organization's pairings, its mentors' screening, and the form to record a screening."""
    organization = _own_organization()
    screening = ScreeningForm()
    mentors = _mentors(organization)
    screening.mentor_id.choices = [(m.id, m.name) for m in mentors]
    if screening.validate_on_submit() and organization is not None:
        mentor = db.session.get(User, screening.mentor_id.data)
        if apply(
            lambda: record_screening(mentor, organization, screening.valid_until.data, by=current_user), _("Saved.")
        ):
            return redirect(url_for("mentoring.manage"))
    query = (
        select(Pairing)
        .options(selectinload(Pairing.child), selectinload(Pairing.mentor))
        .order_by(Pairing.status, Pairing.started_on.desc())
    )
    if current_user.role != Role.ADMIN:
        query = query.where(Pairing.organization_id == current_user.organization_id)
    pairings = db.session.scalars(query).all()
    return render_template(
        "mentoring/manage.html",
        pairings=pairings,
        mentors=mentors,
        screening=screening,
        valid=screening_valid,
        mask=mask_name,
        organization=organization,
        today=today(),
    )


@bp.route("/manage/new", methods=["GET", "POST"])
@permission_required(Permission.MANAGE_ACTIVITIES)
def new():
    """Pair a child (found by name, shown masked) with a screened mentor of the organization."""
    organization = _own_organization()
    if organization is None:
        flash(_("Pairings are made by an organization's coordinator."), "error")
        return redirect(url_for("mentoring.manage"))
    q = request.values.get("q", "").strip()
    found = []
    if q:
        found = db.session.scalars(
            select(Child)
            .options(selectinload(Child.village))
            .where(Child.status == ChildStatus.ACTIVE, Child.name.contains(q))
            .order_by(Child.name)
            .limit(20)
        ).all()
    form = PairingForm()
    form.child_id.choices = [(c.id, c.id) for c in found]
    form.mentor_id.choices = [(m.id, m.name) for m in _mentors(organization)]
    if request.method == "GET":
        form.started_on.data = form.consent_on.data = today()
    if request.method == "POST" and form.validate_on_submit():
        data = PairingData(
            child=db.session.get(Child, form.child_id.data),
            mentor=db.session.get(User, form.mentor_id.data),
            organization=organization,
            kind=PairingKind(form.kind.data),
            started_on=form.started_on.data,
            planned_end=form.planned_end.data,
            goal=form.goal.data or "",
            shared_needs=form.shared_needs.data or "",
            consent_by=form.consent_by.data,
            consent_on=form.consent_on.data,
            consent_method=ConsentMethod(form.consent_method.data),
        )
        try:
            pairing = create_pairing(data, by=current_user)
        except ChildError as error:
            db.session.rollback()
            flash(error.message, "error")
        else:
            db.session.commit()
            flash(_("The pairing has been made."), "success")
            return redirect(url_for("mentoring.manage_pairing", pairing_id=pairing.id))
    status = 422 if request.method == "POST" else 200
    return render_template(
        "mentoring/new.html",
        form=form,
        found=found,
        q=q,
        mask=mask_name,
        today=today(),
        organization=localized_name(organization),
    ), status


@bp.route("/manage/<int:pairing_id>", methods=["GET", "POST"])
@permission_required(Permission.MANAGE_ACTIVITIES, scope="managed_pairing")
def manage_pairing(pairing_id: int):
    pairing = _pairing_for_manager(pairing_id)
    form = EndPairingForm()
    ended = form.validate_on_submit() and apply(
        lambda: end_pairing(pairing, form.reason.data, by=current_user), _("The pairing has ended.")
    )
    if ended:
        return redirect(url_for("mentoring.manage_pairing", pairing_id=pairing.id))
    return render_template(
        "mentoring/pairing.html",
        pairing=pairing,
        form=form,
        manager=True,
        child_name=mask_name(pairing.child.name),
        valid=screening_valid(pairing.mentor),
    )


@bp.route("/")
@logged_in
def mine():
    """A mentor's own pairings: the child's given name and the needs shared, nothing more."""
    pairings = db.session.scalars(
        select(Pairing)
        .options(selectinload(Pairing.child), selectinload(Pairing.sessions))
        .where(Pairing.mentor_id == current_user.id)
        .order_by(Pairing.status, Pairing.started_on.desc())
    ).all()
    return render_template("mentoring/mine.html", pairings=pairings, given=given_name)


@bp.route("/<int:pairing_id>", methods=["GET", "POST"])
@scoped("own_pairing")
def pairing(pairing_id: int):
    """The mentor's page for one pairing: log a session from the phone, see past sessions."""
    pairing = db.get_or_404(Pairing, pairing_id)
    if pairing.mentor_id != current_user.id:
        abort(404)
    form = SessionForm()
    if request.method == "GET":
        form.held_on.data = today()
    if form.validate_on_submit():
        logged = apply(
            lambda: log_session(
                pairing,
                held_on=form.held_on.data,
                minutes=form.minutes.data,
                what_was_done=form.what_was_done.data,
                worry=form.worry.data or "",
                by=current_user,
            ),
            _("The session has been logged. Thank you!"),
        )
        if logged:
            return redirect(url_for("mentoring.pairing", pairing_id=pairing.id))
    return render_template(
        "mentoring/pairing.html",
        pairing=pairing,
        form=form,
        manager=False,
        child_name=given_name(pairing.child.name),
        valid=screening_valid(pairing.mentor),
        active=pairing.status == PairingStatus.ACTIVE,
    )
