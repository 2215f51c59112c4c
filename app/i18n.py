"""Language and time zone: Chinese first, English on request; times on screen in Asia/Shanghai."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from flask import current_app, has_request_context, request, session
from flask_babel import get_locale, gettext
from flask_login import current_user

from app.extensions import db

LANGUAGE_NAMES = {"zh_Hans_CN": "中文", "en": "English"}


def N_(message: str) -> str:  # noqa: N802 - the conventional name babel extracts
    """Mark a string for translation where it must stay untranslated until shown (extracted by babel)."""
    return message


def gettext_now(message: str) -> str:
    """Translate a string that was marked with ``N_`` (Flask-Login's messages)."""
    return gettext(message)


def supported(code: str | None) -> str | None:
    """Map what a user or URL asked for (``en``, ``zh``, ``zh_Hans_CN`` ...) to a supported locale, or None."""
    if not code:
        return None
    code = code.replace("-", "_").strip()
    if code in current_app.config["LANGUAGES"]:
        return code
    if code.lower().startswith("zh"):
        return "zh_Hans_CN"
    if code.lower().startswith("en"):
        return "en"
    return None


def select_locale() -> str:
    """``?lang=`` first, then the logged-in user's saved choice, then this browser's, then Chinese."""
    if not has_request_context():
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    asked = supported(request.args.get("lang"))
    if asked:
        return asked
    if current_user and current_user.is_authenticated and supported(current_user.locale):
        return current_user.locale
    return supported(session.get("lang")) or current_app.config["BABEL_DEFAULT_LOCALE"]


def remember_language() -> None:
    """Before each request: keep a ``?lang=`` choice in the session and, for a logged-in user, on the account."""
    asked = supported(request.args.get("lang"))
    if not asked:
        return
    session["lang"] = asked
    if current_user.is_authenticated and current_user.locale != asked:
        from app.auth.services import remember_locale

        # Only the request's start runs this hook: the transaction holds nothing but this change, so it is the
        # hook's own to commit (the user loader has only read).
        remember_locale(current_user, asked)
        db.session.commit()


def is_chinese() -> bool:
    return str(get_locale() or "").startswith("zh")


def localized_name(obj: Any, attribute: str = "name") -> str:
    """The Chinese or English name of a town, village or organization, falling back to Chinese."""
    if obj is None:
        return ""
    zh = getattr(obj, f"{attribute}_zh", "") or ""
    if is_chinese():
        return zh
    return getattr(obj, f"{attribute}_en", "") or zh


def language_url(code: str) -> str:
    """The current page in another language: same path and query, with ``lang`` set."""
    args = [(k, v) for k, v in request.args.items(multi=True) if k != "lang"]
    return f"{request.path}?{urlencode([*args, ('lang', code)])}"
