"""Writing the audit log: one function, used by every feature."""

from __future__ import annotations

from typing import Any

from flask import has_request_context, request

from app.audit.models import AuditEntry
from app.extensions import db


def client_address() -> str:
    """The client's address as the app sees it (behind a proxy, configure ProxyFix so this is the real one)."""
    if not has_request_context():
        return ""
    return (request.remote_addr or "")[:64]


class _System:
    """The actor of what the system does by itself (a waitlist promotion, a command, a job): never a person."""

    id = None

    def __repr__(self) -> str:
        return "SYSTEM"


SYSTEM = _System()


def record(action: str, obj: Any = None, *, actor: Any, **detail: Any) -> AuditEntry:
    """Add an audit entry for ``action`` on ``obj`` by ``actor``; the caller commits.

    The actor is always explicit: a user, or ``SYSTEM`` for what the system does by itself (stored with no actor
    and ``system: true``), so a system action is never put on whoever happened to be logged in. ``None`` is an
    anonymous visitor (a failed login, say)."""
    if actor is SYSTEM:
        detail["system"] = True
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
