"""Which data-changing routes the suite has submitted successfully, so a form that always fails cannot hide.

A POST counts as a successful submission when the request committed a change to a table other than the audit log
and the login bookkeeping, answered below 400, and flashed no error. The last test of the suite
(``test_route_coverage.py``) compares the routes seen here with every POST route of the URL map.
"""

from __future__ import annotations

from flask import g, has_request_context, request, request_finished, session
from sqlalchemy import event
from sqlalchemy.orm import Session

# Bookkeeping a refused request writes too (a failed login is audited and throttled).
IGNORED_TABLES = {"audit_entries", "login_throttles"}
SUBMITTED: set[str] = set()


def _note(tables: set[str]) -> None:
    if has_request_context() and tables - IGNORED_TABLES:
        g.setdefault("_route_coverage_pending", set()).update(tables - IGNORED_TABLES)


@event.listens_for(Session, "before_flush")
def _before_flush(session_, _context, _instances) -> None:
    changed = [*session_.new, *session_.deleted, *(o for o in session_.dirty if session_.is_modified(o))]
    _note({getattr(obj, "__tablename__", "") for obj in changed})


@event.listens_for(Session, "do_orm_execute")
def _bulk(state) -> None:
    if state.is_insert or state.is_update or state.is_delete:
        table = getattr(state.statement, "table", None)
        _note({getattr(table, "name", "")})


@event.listens_for(Session, "after_commit")
def _after_commit(_session) -> None:
    if has_request_context() and g.get("_route_coverage_pending"):
        g.setdefault("_route_coverage_committed", set()).update(g.pop("_route_coverage_pending"))


@event.listens_for(Session, "after_rollback")
def _after_rollback(_session) -> None:
    if has_request_context():
        g.pop("_route_coverage_pending", None)


def _finished(_sender, response, **_extra) -> None:
    if request.method != "POST" or response.status_code >= 400 or not g.get("_route_coverage_committed"):
        return
    if any(category == "error" for category, _message in session.get("_flashes", [])):
        return
    SUBMITTED.add(request.endpoint)


request_finished.connect(_finished)
