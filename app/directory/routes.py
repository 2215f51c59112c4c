"""The directory pages: organizations and schools, towns and villages, and the administrator's CSV import."""

from __future__ import annotations

from flask import Blueprint, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, or_, select
from sqlalchemy.orm import selectinload

from app.db_types import page_number, row_id
from app.directory.forms import ImportForm, OrganizationForm, VillageForm
from app.directory.models import Organization, OrganizationKind, Town, Village, VillageKind
from app.directory.services import ImportResult, import_schools, import_villages, save_organization, save_village
from app.directory.services import set_active as set_directory_active
from app.domain import apply
from app.extensions import db
from app.i18n import localized_name
from app.labels import ORGANIZATION_KIND_LABELS, VILLAGE_KIND_LABELS
from app.permissions import Permission, can, permission_required

bp = Blueprint("directory", __name__, url_prefix="/directory")


def town_choices(blank_label: str | None = None) -> list[tuple[int, str]]:
    towns = db.session.scalars(select(Town).order_by(Town.sort_order))
    choices = [(t.id, localized_name(t)) for t in towns]
    return [(0, blank_label), *choices] if blank_label else choices


def _show_inactive() -> bool:
    return can(Permission.MANAGE_DIRECTORY) and request.args.get("inactive") == "1"


@bp.route("/organizations")
@permission_required(Permission.VIEW_DIRECTORY)
def organizations():
    kind = request.args.get("kind", "")
    town_id = request.args.get("town", type=row_id)
    q = request.args.get("q", "").strip()
    query = (
        select(Organization)
        .options(selectinload(Organization.town))
        .order_by(Organization.sort_order, Organization.name_zh)
    )
    if kind in {k.value for k in OrganizationKind}:
        query = query.where(Organization.kind == OrganizationKind(kind))
    if town_id:
        query = query.where(Organization.town_id == town_id)
    if q:
        like = f"%{q}%"
        query = query.where(
            or_(Organization.name_zh.ilike(like), Organization.name_en.ilike(like), Organization.code.ilike(like))
        )
    if not _show_inactive():
        query = query.where(Organization.is_active)
    page = db.paginate(query, page=page_number(), per_page=50, error_out=False)
    return render_template(
        "directory/organizations.html",
        page=page,
        kinds=ORGANIZATION_KIND_LABELS,
        towns=town_choices(),
        filters={"kind": kind, "town": town_id or 0, "q": q, "inactive": _show_inactive()},
    )


def _organization_form_page(organization: Organization):
    form = OrganizationForm(obj=organization)
    form.town_id.choices = town_choices(_("— county-wide —"))
    if request.method == "GET" and organization.id is not None:
        form.kind.data = organization.kind.value
        form.town_id.data = organization.town_id or 0
    if form.validate_on_submit() and apply(
        lambda: save_organization(
            organization,
            by=current_user,
            code=form.code.data.strip().lower(),
            kind=OrganizationKind(form.kind.data),
            name_zh=form.name_zh.data.strip(),
            name_en=(form.name_en.data or "").strip(),
            short_name_zh=(form.short_name_zh.data or "").strip(),
            town_id=form.town_id.data or None,
        ),
        _("“%(name)s” has been saved.", name=form.name_zh.data.strip()),
        form=form,
    ):
        return redirect(url_for("directory.organizations"))
    page = render_template("directory/organization_form.html", form=form, organization=organization)
    return page, 422 if form.errors else 200


@bp.route("/organizations/new", methods=["GET", "POST"])
@permission_required(Permission.MANAGE_DIRECTORY)
def new_organization():
    return _organization_form_page(Organization())


@bp.route("/organizations/<int:organization_id>/edit", methods=["GET", "POST"])
@permission_required(Permission.MANAGE_DIRECTORY)
def edit_organization(organization_id: int):
    return _organization_form_page(db.get_or_404(Organization, organization_id))


def _toggle_active(obj: Organization | Village, back: str):
    """Deactivate or reactivate from a list's button; records stay, only new choices stop offering it."""
    active = request.form.get("active") == "1"
    if active:
        message = _("“%(name)s” is active again.", name=obj.name_zh)
    else:
        message = _("“%(name)s” has been deactivated. Its records are kept.", name=obj.name_zh)
    apply(lambda: set_directory_active(obj, active, by=current_user), message)
    return redirect(back)


@bp.route("/organizations/<int:organization_id>/active", methods=["POST"])
@permission_required(Permission.MANAGE_DIRECTORY)
def set_organization_active(organization_id: int):
    organization = db.get_or_404(Organization, organization_id)
    return _toggle_active(organization, url_for("directory.organizations", inactive=1))


@bp.route("/villages")
@permission_required(Permission.VIEW_DIRECTORY)
def villages():
    town_id = request.args.get("town", type=row_id)
    query = select(Village).join(Village.town).order_by(Town.sort_order, Village.name_zh)
    if town_id:
        query = query.where(Village.town_id == town_id)
    if not _show_inactive():
        query = query.where(Village.is_active)
    counts = dict(
        db.session.execute(
            select(Village.town_id, func.count(Village.id)).where(Village.is_active).group_by(Village.town_id)
        ).all()
    )
    towns = db.session.scalars(select(Town).order_by(Town.sort_order)).all()
    return render_template(
        "directory/villages.html",
        villages=db.session.scalars(query).all(),
        towns=towns,
        counts=counts,
        kinds=VILLAGE_KIND_LABELS,
        filters={"town": town_id or 0, "inactive": _show_inactive()},
    )


def _village_form_page(village: Village):
    form = VillageForm(obj=village)
    form.town_id.choices = town_choices()
    if request.method == "GET" and village.id is not None:
        form.kind.data = village.kind.value
    elif request.method == "GET":
        form.town_id.data = request.args.get("town", type=row_id)
    if form.validate_on_submit() and apply(
        lambda: save_village(
            village,
            by=current_user,
            town_id=form.town_id.data,
            name_zh=form.name_zh.data.strip(),
            name_en=(form.name_en.data or "").strip(),
            kind=VillageKind(form.kind.data),
        ),
        _("“%(name)s” has been saved.", name=form.name_zh.data.strip()),
        form=form,
    ):
        return redirect(url_for("directory.villages", town=village.town_id))
    return render_template("directory/village_form.html", form=form, village=village), 422 if form.errors else 200


@bp.route("/villages/new", methods=["GET", "POST"])
@permission_required(Permission.MANAGE_DIRECTORY)
def new_village():
    return _village_form_page(Village())


@bp.route("/villages/<int:village_id>/edit", methods=["GET", "POST"])
@permission_required(Permission.MANAGE_DIRECTORY)
def edit_village(village_id: int):
    return _village_form_page(db.get_or_404(Village, village_id))


@bp.route("/villages/<int:village_id>/active", methods=["POST"])
@permission_required(Permission.MANAGE_DIRECTORY)
def set_village_active(village_id: int):
    village = db.get_or_404(Village, village_id)
    return _toggle_active(village, url_for("directory.villages", town=village.town_id, inactive=1))


@bp.route("/import", methods=["GET", "POST"])
@permission_required(Permission.MANAGE_DIRECTORY)
def import_csv():
    """Upload a county's real list of villages or schools; a file with any bad row changes nothing."""
    form = ImportForm()
    result = None
    if form.validate_on_submit():
        importer = import_villages if form.what.data == "villages" else import_schools
        result = ImportResult()  # filled in either way: the counts, or every bad row
        apply(
            lambda: importer(form.file.data.read(), by=current_user, result=result),
            lambda: _(
                "Imported: %(created)d added, %(updated)d updated.", created=result.created, updated=result.updated
            ),
        )
    return render_template("directory/import.html", form=form, result=result), 422 if result and result.errors else 200
