"""The site's public address: what QR codes, short links, calendar feeds and messages carry.

Production names it (``PUBLIC_BASE_URL``, required). In development it follows the address the site is served at:
the request's own host and port, so ``PORT=5077 make run`` or a phone on the same network opening
``http://192.168.1.20:5000`` gets QR codes that work; outside a request (a job) it is the address ``flask serve``
listens on.
"""

from __future__ import annotations

import socket

from flask import current_app, has_request_context, request, url_for


def public_base_url() -> str:
    configured = current_app.config.get("PUBLIC_BASE_URL") or ""
    if configured:
        return configured.rstrip("/")
    if has_request_context():
        return request.host_url.rstrip("/")
    return current_app.config.get("SERVED_AT") or "http://127.0.0.1:5000"


def public_url(endpoint: str, **values) -> str:
    """An absolute URL of ``endpoint`` on the public address."""
    return public_base_url() + url_for(endpoint, **values)


def absolute(path: str) -> str:
    """A path on this site as an absolute URL on the public address (already absolute URLs pass through)."""
    return public_base_url() + path if path.startswith("/") else path


def reachable_address(host: str) -> str:
    """The address others on the network reach this machine at, when serving on all interfaces (``0.0.0.0``)."""
    if host not in ("0.0.0.0", "::", ""):  # noqa: S104 - comparing, not binding
        return host
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("10.255.255.255", 1))  # no packet is sent: this only picks the outgoing interface
            return probe.getsockname()[0]
        except OSError:
            return "127.0.0.1"
