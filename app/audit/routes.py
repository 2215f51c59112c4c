"""The administrator's view of the audit log."""

from __future__ import annotations

from flask import Blueprint, render_template, request
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app.audit.labels import action_label, object_label
from app.audit.models import AuditEntry
from app.db_types import page_number, row_id
from app.extensions import db
from app.permissions import Permission, permission_required

bp = Blueprint("audit", __name__, url_prefix="/admin/audit")


@bp.route("/")
@permission_required(Permission.VIEW_AUDIT_LOG)
def index():
    action = request.args.get("action", "").strip()
    child_id = request.args.get("child", type=row_id)
    actor_id = request.args.get("actor", type=row_id)
    query = select(AuditEntry).options(selectinload(AuditEntry.actor)).order_by(AuditEntry.id.desc())
    if action:
        query = query.where(AuditEntry.action.startswith(action))
    if child_id:
        query = query.where(AuditEntry.object_type == "children", AuditEntry.object_id == child_id)
    if actor_id:
        query = query.where(AuditEntry.actor_id == actor_id)
    actions = db.session.scalars(select(AuditEntry.action).distinct().order_by(AuditEntry.action)).all()
    page = db.paginate(query, page=page_number(), per_page=100, error_out=False)
    return render_template(
        "audit/index.html",
        page=page,
        actions=actions,
        action=action,
        child=child_id or "",
        actor=actor_id or "",
        action_label=action_label,
        object_label=object_label,
    )
