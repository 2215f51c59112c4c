"""Response headers that a site holding minors' data needs, on every response (pages, files, errors, static).

- A Content-Security-Policy that allows only the site's own assets: the pages carry no inline script or style
  (buttons that print use ``data-print`` and ``static/js/shouhu.js``); nobody may frame any page, the poster included.
- ``nosniff``, ``X-Frame-Options: DENY`` (for browsers without ``frame-ancestors``), ``Referrer-Policy: same-origin``.
- ``Cache-Control: no-store`` on every response but the static assets: every page and file may hold children's or
  volunteers' personal data, or depends on who is logged in, and must stay out of shared and browser caches.
- ``Strict-Transport-Security`` only when the request came over HTTPS (``request.is_secure``, which ProxyFix makes
  right behind a proxy): an HTTP-only county intranet must keep working.
"""

from __future__ import annotations

from flask import Flask, Response, current_app, request

CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'self'",
        "img-src 'self' data:",
        "style-src 'self'",
        "script-src 'self'",
        "frame-ancestors 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "object-src 'none'",
    )
)
FIXED_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
}


def is_public_asset() -> bool:
    """A file of ``app/static`` (style sheets, script, logo): the same for everyone, so it may be cached."""
    return request.endpoint == "static"


def add_security_headers(response: Response) -> Response:
    """Set the headers above on ``response`` (an ``after_request`` hook: it also runs for error pages)."""
    for name, value in FIXED_HEADERS.items():
        response.headers[name] = value
    if not is_public_asset():
        response.headers["Cache-Control"] = "no-store"
        response.headers.pop("Expires", None)
        response.headers.pop("Pragma", None)
    if request.is_secure:
        response.headers["Strict-Transport-Security"] = f"max-age={int(current_app.config['HSTS_MAX_AGE'])}"
    return response


def register_security_headers(app: Flask) -> None:
    """Add the headers to every response of ``app``."""
    app.after_request(add_security_headers)
