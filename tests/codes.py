"""Helpers for the pages that ask for an SMS code: the code is read from the development outbox, as a developer reads
it on the terminal (only its digest is in the database)."""

from __future__ import annotations

from app.notifications.channels import DEV_SENT
from tests.conftest import csrf_token


def sent_codes(phone: str) -> list[str]:
    """The sign-in codes the development sender has sent to ``phone`` in this process, oldest first."""
    return [o.params[0] for o in DEV_SENT if o.address == phone and o.template == "sign_in_code"]


def last_code(phone: str) -> str:
    codes = sent_codes(phone)
    assert codes, f"no code was sent to {phone}"
    return codes[-1]


def post_form(client, path: str, data: dict, *, prefix: str = "", **kwargs):
    """POST ``data`` to ``path`` with the CSRF token of the page (``prefix``: the form's field prefix)."""
    token = csrf_token(client, path.split("?")[0])
    return client.post(path, data={**data, f"{prefix}csrf_token": token}, **kwargs)


def ask_for_code(client, path: str, phone: str, **kwargs):
    """Press "send code" on a page that asks for the phone (``kwargs`` go to the test client)."""
    return post_form(client, path, {"phone": phone, "action": "send"}, **kwargs)
