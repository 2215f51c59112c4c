"""Hostile submissions of the forms a page shows (tests/test_fuzz_forms.py, tests/test_fuzz_uploads.py).

The forms are read from the HTML as a browser would send them. A required field the page leaves empty gets a valid
value first (a name, today's date, a phone number ...), so that a form's submission passes its other checks and each
mutated field really reaches the handler. Each submission is watched: its status, an error flashed or shown, and
the tables its request committed (tests/route_coverage.py notes them), so that a refused submission which still
changed a row is caught even when it changed no row count. On the test's own connection (the ``app`` fixture) each
submission runs inside a SAVEPOINT rolled back afterwards: every one meets the world as the page showed it, not as
the previous accepted submission left it (a cancelled activity, a withdrawn proposal).
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from datetime import date, timedelta

from flask import g, request_finished, session
from sqlalchemy import func, select
from sqlalchemy.engine import Connection

from app.extensions import db

FORM_RE = re.compile(r"<form\b([^>]*)>(.*?)</form>", re.S | re.I)
ATTR_RE = re.compile(r'([\w-]+)(?:="([^"]*)")?')
FIELD_RE = re.compile(r"<(input|textarea|select)\b([^>]*)>", re.I)
OPTION_RE = re.compile(r'<option\b[^>]*value="([^"]*)"', re.I)
HOSTILE = [
    "",
    "x" * 10_000,
    "a\x00b",
    "\x01\x1b",
    "😀🧒" * 20,
    "abc",
    "99999999999999999999999",
    "-1",
    "2026-02-30",
    "0000-01-01",
    "9999-12-31",
]
# Tables a refused submission may still write: the audit log, login sessions and the login throttle.
BOOKKEEPING = ("audit", "session", "throttle", "login")
# Forms that end the session or the account: submitting them would stop the run, not test it.
SKIPPED_ACTIONS = ("/logout", "/me/delete")
ERROR_MARKS = ('role="alert"', "has-error", "flash-error")
ERROR_TEXT = re.compile(r'<p class="(?:error|flash flash-error)"[^>]*>([^<]*)</p>')


def _future(days: int = 10) -> str:
    return (date.today() + timedelta(days=days)).isoformat()


# Valid values for required fields left empty, by the end of the field's name (then by its type, below).
BY_NAME = {
    "current_password": "correct-horse-42",  # tests/factories.py's password for every account
    "phone": "13800000077",
    "username": "fuzz-user",
    "password": "correct-horse-77",
    "confirm": "correct-horse-77",
    "code": "fuzz-code",
    "minutes": "60",
    "capacity": "5",
    "start": "09:00",
    "end": "12:00",
    "-day": _future(),
    "first_day": _future(),
    "planned_end": _future(200),
    "valid_until": _future(200),
}
BY_TYPE = {"date": date.today().isoformat(), "time": "09:00", "number": "1", "email": "fuzz@example.test"}
# Needed though not marked required: a new activity's first shift, a repeated password, and (by form) the
# organization a child is proposed to and a new account's user name.
ALWAYS_FILLED = re.compile(r"^shifts-0-|confirm$")
FILLED = {("/mentoring/propose/", "organization_id"), ("/admin/accounts/new", "username")}


@dataclass
class Form:
    """A POST form as a browser sends it: ``values`` (the page's, with valid defaults) and the ``names`` to mutate."""

    action: str
    values: dict[str, str] = field(default_factory=dict)
    names: list[str] = field(default_factory=list)
    files: list[str] = field(default_factory=list)
    multipart: bool = False

    @property
    def signature(self) -> tuple:
        """The same form reached from two pages (or as two roles) is submitted once."""
        return re.sub(r"\d+", "N", self.action.split("?")[0]), tuple(sorted(self.names)), tuple(self.files)


def _default(action: str, name: str, attrs: dict[str, str], options: list[str]) -> str | None:
    """A valid value for an empty field the form requires, or None to leave it as the page has it."""
    needed = ALWAYS_FILLED.search(name) or any(action.startswith(a) and name == n for a, n in FILLED)
    if attrs.get("type") == "hidden" or (attrs.get("required") is None and not needed):
        return None
    if options:
        real = [option for option in options if option not in ("", "0")]
        return real[0] if real else None
    for suffix, value in BY_NAME.items():
        if name.endswith(suffix):
            return value
    return BY_TYPE.get(attrs.get("type", "text").lower(), "测试内容")


def page_forms(page: str, path: str) -> list[Form]:
    """Every POST form of a page but those of ``SKIPPED_ACTIONS``."""
    forms = []
    for attributes, body in FORM_RE.findall(page):
        attrs = dict(ATTR_RE.findall(attributes))
        if attrs.get("method", "get").lower() != "post":
            continue
        action = html.unescape(attrs.get("action") or path)
        if any(action.startswith(skipped) for skipped in SKIPPED_ACTIONS):
            continue
        form = Form(action, multipart=attrs.get("enctype") == "multipart/form-data")
        for tag, field_attributes in FIELD_RE.findall(body):
            field_attrs = dict(ATTR_RE.findall(field_attributes))
            name = field_attrs.get("name")
            kind = field_attrs.get("type", "text").lower()
            if not name or kind in ("submit", "button"):
                continue
            if kind == "file":
                form.files.append(name)
                continue
            options = []
            if tag.lower() == "select":
                select = body[body.find(f'name="{name}"') :]
                options = OPTION_RE.findall(select[: select.find("</select>")])
                value = options[0] if options else ""
            elif kind in ("checkbox", "radio"):
                if "checked" not in field_attrs and "required" not in field_attrs:  # a required box is ticked
                    continue
                value = html.unescape(field_attrs.get("value", "y"))
            else:
                value = html.unescape(field_attrs.get("value", ""))
            if name not in form.values:
                if value in ("", "0"):
                    value = _default(action, name, field_attrs, options) or value
                form.values[name] = value
            if not name.endswith("csrf_token") and name not in form.names:
                form.names.append(name)
        forms.append(form)
    return forms


def counts(app) -> tuple:
    """Rows in every table but the bookkeeping ones, in one statement."""
    with app.app_context():
        tables = [t for name, t in sorted(db.metadata.tables.items()) if not any(b in name for b in BOOKKEEPING)]
        return tuple(
            db.session.execute(select(*[select(func.count()).select_from(t).scalar_subquery() for t in tables])).one()
        )


@dataclass
class Outcome:
    status: int
    body: str
    refused: bool
    committed: set[str]


class Fuzzer:
    """Submits forms to ``app`` and keeps what went wrong (``with Fuzzer(app) as fuzzer: ...``).

    ``failures``: a 5xx, or a refused submission that changed the database. ``baseline_refused``: forms whose
    submission as the page fills them was refused (their hostile values then test only the first check they meet).
    A form already fuzzed (same action pattern and fields) is not fuzzed again.
    """

    def __init__(self, app) -> None:
        self.app = app
        self.failures: list[tuple] = []
        self.baseline_refused: list[tuple] = []
        self.submitted = 0
        self.forms: set[tuple] = set()
        self._last: dict = {}

    def _finished(self, _sender, response, **_extra) -> None:
        tables = set(g.get("_route_coverage_committed", ()))
        self._last = {
            "committed": {t for t in tables if not any(b in t for b in BOOKKEEPING)},
            "flashed_error": any(category == "error" for category, _m in session.get("_flashes", [])),
        }

    def __enter__(self) -> Fuzzer:
        request_finished.connect(self._finished, self.app)
        with self.app.app_context():
            bound = db.engines[None]
        self.connection = bound if isinstance(bound, Connection) else None
        return self

    def __exit__(self, *_exc) -> None:
        request_finished.disconnect(self._finished, self.app)

    def submit(self, client, action: str, label: tuple, **kwargs) -> Outcome:
        """POST once; a 5xx, or a refusal that committed a change or changed a row count, is a failure."""
        savepoint = self.connection.begin_nested() if self.connection is not None else None
        try:
            before = counts(self.app)
            outcome = self._post(client, action, **kwargs)
            rows_changed = outcome.refused and counts(self.app) != before
        finally:
            if savepoint is not None:
                savepoint.rollback()
        self.submitted += 1
        if outcome.status >= 500:
            self.failures.append((action, *label, outcome.status))
        elif outcome.refused and (outcome.committed or rows_changed):
            self.failures.append((action, *label, f"refused but changed {sorted(outcome.committed) or 'row counts'}"))
        return outcome

    def _post(self, client, action: str, **kwargs) -> Outcome:
        self._last = {}
        with client.session_transaction() as stored:  # only this request's flashed messages count
            stored.pop("_flashes", None)
        response = client.post(action, **kwargs)
        body = response.get_data(as_text=True)
        refused = (
            response.status_code >= 400
            or self._last.get("flashed_error", False)
            or any(mark in body for mark in ERROR_MARKS)
        )
        return Outcome(response.status_code, body, refused, self._last.get("committed", set()))

    def fuzz_form(self, client, form: Form, values: list[str] = HOSTILE) -> None:
        """The form as the page fills it (with defaults), then each field in turn with each hostile value."""
        if form.signature in self.forms:
            return
        self.forms.add(form.signature)
        baseline = self.submit(client, form.action, ("as filled",), data=dict(form.values))
        if baseline.refused:
            self.baseline_refused.append((form.signature[0], baseline.status, ERROR_TEXT.findall(baseline.body)))
        for name in form.names:
            for value in values:
                self.submit(client, form.action, (name, value[:20]), data={**form.values, name: value})

    def fuzz_page(self, client, url: str, values: list[str] = HOSTILE) -> int | None:
        """Every (non-upload) form of the page at ``url``; returns how many forms it has (None: no page for us)."""
        page = client.get(url)
        if page.status_code != 200 or not page.mimetype.startswith("text/html"):
            return None
        forms = [form for form in page_forms(page.get_data(as_text=True), url) if not form.multipart]
        for form in forms:
            self.fuzz_form(client, form, values)
        return len(forms)
