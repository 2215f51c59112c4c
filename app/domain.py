"""The one shape every broken business rule takes, and the one way a page applies a service call."""

from __future__ import annotations

from collections.abc import Callable

from flask import flash

from app.extensions import db


class DomainError(Exception):
    """A rule was broken: ``message`` is ready to show in the user's language, ``code`` is for tests and logs."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def apply(operation: Callable[[], object], success: str) -> bool:
    """Run a service call in the request's transaction: commit and flash ``success``, or roll back and flash the rule
    it broke. Returns whether it succeeded."""
    try:
        operation()
    except DomainError as error:
        db.session.rollback()
        flash(error.message, "error")
        return False
    db.session.commit()
    flash(success, "success")
    return True
