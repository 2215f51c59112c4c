"""Writing the audit log: one function, used by every feature."""

from __future__ import annotations

from typing import Any

from flask import has_request_context, request
from flask_login import current_user

from app.audit.models import AuditEntry
from app.extensions import db


def client_address() -> str:
    """The client's address as the app sees it (behind a proxy, configure ProxyFix so this is the real one)."""
    if not has_request_context():
        return ""
    return (request.remote_addr or "")[:64]


def record(action: str, obj: Any = None, *, actor: Any = None, **detail: Any) -> AuditEntry:
    """Add an audit entry for ``action`` on ``obj`` by ``actor`` (default: the logged-in user); the caller commits."""
    if actor is None and has_request_context() and current_user.is_authenticated:
        actor = current_user
    entry = AuditEntry(
        action=action,
        actor_id=getattr(actor, "id", None),
        object_type=getattr(obj, "__tablename__", None),
        object_id=getattr(obj, "id", None),
        ip_address=client_address(),
        detail={k: v for k, v in detail.items() if v is not None},
    )
    db.session.add(entry)
    return entry
