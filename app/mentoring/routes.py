"""Pairings: child directors propose children, coordinators pair them with screened mentors from the proposals,
mentors log sessions from their phones (seeing only a given name)."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app.auth.models import User
from app.auth.routes import safe_next
from app.childcare.models import Child
from app.childcare.services import mask_name, today
from app.confirm import Choice, Question, ask
from app.directory.models import Organization
from app.domain import apply
from app.extensions import db
from app.i18n import localized_name
from app.mentoring.forms import EndPairingForm, PairingForm, ProposalForm, ScreeningForm, SessionForm
from app.mentoring.labels import END_CAUSE_LABELS, PROPOSAL_STATUS_LABELS
from app.mentoring.models import ConsentMethod, Pairing, PairingKind, PairingProposal, ProposalStatus
from app.mentoring.proposals import propose_child, withdraw_proposal
from app.mentoring.queries import child_mentoring, ended_by_system, mentors_of, open_proposals
from app.mentoring.services import (
    PairingData,
    create_pairing,
    end_pairing,
    given_name,
    log_session,
    note_pairing_end,
    record_screening,
    screening_valid,
)
from app.permissions import Permission, is_admin, logged_in, permission_required, scoped

bp = Blueprint("mentoring", __name__, url_prefix="/mentoring")


def _organization_scope() -> int | None:
    """Whose pairings and proposals the user manages: None for the administrator (every organization's), else
    their own organization's (0, which no row has, for a coordinator of no organization)."""
    return None if is_admin() else current_user.organization_id or 0


@bp.route("/manage", methods=["GET", "POST"])
@permission_required(Permission.MANAGE_ACTIVITIES)
def manage():
    """The organization's pairings (those the system ended first), its mentors' screening, and the form to
    record a screening."""
    organization = current_user.organization
    screening = ScreeningForm()
    mentors = mentors_of(organization.id if organization else None)
    screening.mentor_id.choices = [(m.id, m.display_name) for m in mentors]
    status = 200
    if request.method == "POST":
        status = 422
        if organization is None:
            flash(_("Mentors are screened by an organization's coordinator."), "error")
        elif screening.validate_on_submit():
            mentor = db.session.get(User, screening.mentor_id.data)
            if apply(
                lambda: record_screening(mentor, organization, screening.valid_until.data, by=current_user),
                _("Saved."),
                form=screening,
            ):
                return redirect(url_for("mentoring.manage"))
    scope = _organization_scope()
    query = (
        select(Pairing)
        .options(selectinload(Pairing.child), selectinload(Pairing.mentor))
        .order_by(Pairing.status, Pairing.started_on.desc())
    )
    if scope is not None:
        query = query.where(Pairing.organization_id == scope)
    return render_template(
        "mentoring/manage.html",
        pairings=db.session.scalars(query).all(),
        ended=ended_by_system(scope),
        proposals=len(open_proposals(scope)),
        mentors=mentors,
        screening=screening,
        valid=screening_valid,
        mask=mask_name,
        organization=organization,
        today=today(),
    ), status


@bp.route("/proposals")
@permission_required(Permission.MANAGE_ACTIVITIES)
def proposals():
    """Children proposed to the organization by their child directors: masked name, village, age, kind and the
    needs shared, nothing else of the file."""
    return render_template(
        "mentoring/proposals.html",
        proposals=open_proposals(_organization_scope()),
        mask=mask_name,
        today=today(),
        show_organization=is_admin(),
    )


@bp.route("/manage/new/<int:proposal_id>", methods=["GET", "POST"])
@permission_required(Permission.MANAGE_ACTIVITIES, scope="proposal")
def new(proposal_id: int):
    """Pair a proposed child with a screened mentor of the organization it was proposed to."""
    proposal = db.session.get(PairingProposal, proposal_id)
    if proposal.status != ProposalStatus.OPEN:
        flash(_("This proposal has already been taken up or withdrawn."), "info")
        return redirect(url_for("mentoring.proposals"))
    organization = proposal.organization
    form = PairingForm()
    mentors = [m for m in mentors_of(organization.id) if screening_valid(m)]
    form.mentor_id.choices = [(m.id, m.display_name) for m in mentors]
    if request.method == "GET":
        form.started_on.data = form.consent_on.data = today()
        form.kind.data = proposal.kind.value
        form.shared_needs.data = proposal.needs
    if form.validate_on_submit():
        data = PairingData(
            child=proposal.child,
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
        if apply(lambda: create_pairing(data, by=current_user), _("The pairing has been made."), form=form):
            return redirect(url_for("mentoring.manage_pairing", pairing_id=proposal.pairing_id))
    return render_template(
        "mentoring/new.html",
        form=form,
        proposal=proposal,
        mentors=mentors,
        mask=mask_name,
        today=today(),
        organization=localized_name(organization),
    ), 422 if request.method == "POST" else 200


@bp.route("/propose/<int:child_id>", methods=["GET", "POST"])
@permission_required(Permission.EDIT_CHILDREN, scope="child")
def propose(child_id: int):
    """The child's director proposes the child to an organization for a mentor, and sees the child's proposals
    and pairings."""
    child = db.session.get(Child, child_id)
    form = ProposalForm()
    organizations = db.session.scalars(
        select(Organization).where(Organization.is_active).order_by(Organization.sort_order, Organization.name_zh)
    )
    form.organization_id.choices = [(0, _("— choose —"))] + [(o.id, localized_name(o)) for o in organizations]
    if form.validate_on_submit():
        organization = db.session.get(Organization, form.organization_id.data)
        if apply(
            lambda: propose_child(
                child, organization, kind=PairingKind(form.kind.data), needs=form.needs.data or "", by=current_user
            ),
            _("The child has been proposed for a mentor."),
            form=form,
        ):
            return redirect(url_for("mentoring.propose", child_id=child_id))
    child_proposals, pairings = child_mentoring(child_id)
    return render_template(
        "mentoring/propose.html",
        child=child,
        form=form,
        proposals=child_proposals,
        pairings=pairings,
        proposal_labels=PROPOSAL_STATUS_LABELS,
        end_causes=END_CAUSE_LABELS,
    ), 422 if request.method == "POST" else 200


@bp.route("/proposals/<int:proposal_id>/withdraw", methods=["GET", "POST"])
@permission_required(Permission.EDIT_CHILDREN, scope="proposal_child")
def withdraw(proposal_id: int):
    """The child's director takes back a proposal no coordinator has taken up (GET asks first)."""
    proposal = db.session.get(PairingProposal, proposal_id)
    child_id = proposal.child_id
    if request.method == "GET" and not proposal.is_open:
        return redirect(url_for("mentoring.propose", child_id=child_id))
    if request.method == "GET":
        return ask(
            Question(
                _("Withdraw the proposal?"),
                [
                    _(
                        "%(organization)s will no longer see the child among those proposed for a mentor; to ask "
                        "again, propose the child again.",
                        organization=localized_name(proposal.organization),
                    )
                ],
                [Choice(url_for("mentoring.withdraw", proposal_id=proposal.id), _("Yes, withdraw it"))],
                url_for("mentoring.propose", child_id=child_id),
                keep=_("No, keep the proposal"),
            )
        )
    apply(lambda: withdraw_proposal(proposal, by=current_user), _("The proposal has been withdrawn."))
    return redirect(url_for("mentoring.propose", child_id=child_id))


@bp.route("/manage/<int:pairing_id>", methods=["GET", "POST"])
@permission_required(Permission.MANAGE_ACTIVITIES, scope="managed_pairing")
def manage_pairing(pairing_id: int):
    """A pairing as its organization sees it; the form to end it."""
    pairing = db.session.get(Pairing, pairing_id)
    form = EndPairingForm()
    if form.validate_on_submit() and apply(
        lambda: end_pairing(pairing, form.reason.data, by=current_user), _("The pairing has ended."), form=form
    ):
        return redirect(url_for("mentoring.manage_pairing", pairing_id=pairing_id))
    if pairing.is_ongoing and (request.args.get("end") or request.method == "POST"):
        return ask(_end_question(pairing, form), 422 if request.method == "POST" else 200)
    return render_template(
        "mentoring/pairing.html",
        pairing=pairing,
        form=form,
        manager=True,
        child_name=mask_name(pairing.child.name),
        valid=screening_valid(pairing.mentor),
        end_causes=END_CAUSE_LABELS,
    ), 422 if request.method == "POST" else 200


def _end_question(pairing: Pairing, form: EndPairingForm) -> Question:
    """Ending a pairing asks first: the mentor stops seeing the child and logging sessions; the history stays."""
    return Question(
        _("End the pairing?"),
        [
            _(
                "%(mentor)s will no longer see %(child)s or log sessions; the sessions so far stay on the record. "
                "An ended pairing cannot be resumed: the child needs a new pairing.",
                mentor=pairing.mentor.display_name,
                child=mask_name(pairing.child.name),
            )
        ],
        [Choice(url_for("mentoring.manage_pairing", pairing_id=pairing.id), _("End the pairing"), form=form)],
        url_for("mentoring.manage_pairing", pairing_id=pairing.id),
        keep=_("No, keep the pairing"),
    )


@bp.route("/manage/<int:pairing_id>/noted", methods=["POST"], endpoint="note_pairing_end")
@permission_required(Permission.MANAGE_ACTIVITIES, scope="managed_pairing")
def note_pairing_end_view(pairing_id: int):
    """A coordinator takes note of a pairing the system ended: it leaves their lists."""
    pairing = db.session.get(Pairing, pairing_id)
    apply(lambda: note_pairing_end(pairing, by=current_user), _("Noted."))
    return redirect(safe_next(request.form.get("next")) or url_for("mentoring.manage"))


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
    """The mentor's page for one pairing: log a session from the phone, see past sessions and what they passed on
    to the child director."""
    pairing = db.session.get(Pairing, pairing_id)
    form = SessionForm()
    if request.method == "GET":
        form.held_on.data = today()
    if form.validate_on_submit() and apply(
        lambda: log_session(
            pairing,
            held_on=form.held_on.data,
            minutes=form.minutes.data,
            what_was_done=form.what_was_done.data,
            worry=form.worry.data or "",
            by=current_user,
        ),
        _("The session has been logged. Thank you!"),
        form=form,
    ):
        return redirect(url_for("mentoring.pairing", pairing_id=pairing_id))
    return render_template(
        "mentoring/pairing.html",
        pairing=pairing,
        form=form,
        manager=False,
        child_name=given_name(pairing.child.name),
        valid=screening_valid(pairing.mentor),
        end_causes=END_CAUSE_LABELS,
    ), 422 if request.method == "POST" else 200
