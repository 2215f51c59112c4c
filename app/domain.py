"""The one shape every broken business rule takes, and the one way a page applies a service call."""

from __future__ import annotations

from collections.abc import Callable

from flask import flash, request

from app.extensions import db, holds_write_lock


class DomainError(Exception):
    """A rule was broken: ``message`` is ready to show in the user's language, ``code`` is for tests and logs."""

    def __init__(self, code: str, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.field = field  # the form field it is about, if any: shown next to that field


def apply(operation: Callable[[], object], success: str | Callable[[], str], *, form=None) -> bool:
    """Run a service call in the request's transaction: commit and flash ``success``, or roll back and flash the rule
    it broke (next to its field instead, when ``form`` has the field the error names). Returns whether it
    succeeded."""
    try:
        operation()
    except DomainError as error:
        db.session.rollback()
        target = getattr(form, error.field, None) if form is not None and error.field else None
        if target is not None:
            target.errors = [*target.errors, error.message]
        else:
            flash(error.message, "error")
        return False
    db.session.commit()
    flash(success() if callable(success) else success, "success")  # a function: a message that needs the result
    return True


_WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def begin_request_write() -> None:
    """Before a data-changing request on SQLite: begin its transaction with BEGIN IMMEDIATE, so concurrent writers
    queue on the write lock (busy_timeout) instead of failing with "database is locked" when a transaction that
    began by reading tries to write. Runs after the language hook (which may commit); a transaction that has only
    read so far (the user loader) has nothing to lose and is begun again. PostgreSQL needs nothing: row locks."""
    if request.method not in _WRITE_METHODS:
        return
    session = db.session()
    if session.get_bind().dialect.name != "sqlite":
        return
    if session.in_transaction():
        if session.in_nested_transaction() or holds_write_lock(session.connection()):
            return
        if session.new or session.dirty or session.deleted:
            return  # something pending that is not ours to drop: its flush will take the lock
        session.rollback()
    session.connection(execution_options={"sqlite_immediate": True})
