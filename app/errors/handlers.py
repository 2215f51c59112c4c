"""400, 403, 404, 405, 413, 429 and 500 pages, and the CSRF failure."""

from __future__ import annotations

from flask import Blueprint, current_app, render_template, request
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from app.extensions import db

bp = Blueprint("errors", __name__)

MESSAGES = {
    400: (_l("Bad request"), _l("The request could not be understood. Please go back and try again.")),
    403: (
        _l("Not allowed"),
        _l("Your account may not open this page. If you think it should, ask your administrator."),
    ),
    404: (_l("Page not found"), _l("There is no page at this address. It may have moved or been removed.")),
    405: (_l("Not allowed"), _l("This page cannot be used this way.")),
    413: (_l("File too large"), _l("The file you sent is too large.")),
    429: (_l("Too many requests"), _l("Please wait a moment and try again.")),
    500: (_l("Something went wrong"), _l("An unexpected error occurred. It has been logged; please try again later.")),
}


def render_error(code: int, message: str | None = None):
    title, default_message = MESSAGES.get(code, MESSAGES[500])
    if request.accept_mimetypes.best == "application/json":
        return {"error": code, "message": str(message or default_message)}, code
    return render_template("errors/error.html", code=code, title=title, message=message or default_message), code


@bp.app_errorhandler(CSRFError)
def csrf_error(error: CSRFError):
    return render_error(400, _l("The form had expired or was sent twice. Please reload the page and try again."))


@bp.app_errorhandler(HTTPException)
def http_error(error: HTTPException):
    return render_error(error.code or 500)


@bp.app_errorhandler(Exception)
def unexpected_error(error: Exception):
    db.session.rollback()
    current_app.logger.exception("Unhandled error on %s", request.path)
    return render_error(500)
