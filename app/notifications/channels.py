"""Channels behind one small interface: each sends one rendered message to one address and says what happened.

``sender_for(channel)`` picks the sender the configuration names: in development (``make run``) and in the tests
nothing leaves the machine (``DevOutbox``: the text is kept on the delivery row, which the administrator reads at
/admin/messages?view=outbox, and printed to the terminal); production sends SMS through Tencent Cloud SMS
(``app.notifications.sms``) and e-mail through SMTP (``app.notifications.email``).
"""

from __future__ import annotations

import logging
from collections import deque
from dataclasses import dataclass, field
from typing import Protocol

from flask import current_app

from app.notifications.models import Channel

log = logging.getLogger("shouhu.outbox")
# The development outbox's last messages in this process, newest last: what the terminal printed, for a developer's
# shell and for the tests (which read sign-in codes here, as a person reads them on the terminal).
DEV_SENT: deque[Outgoing] = deque(maxlen=100)


@dataclass
class Outgoing:
    """One message, rendered in its recipient's language, for one address."""

    address: str  # 11 mainland digits for SMS, an e-mail address for e-mail
    subject: str  # e-mail subject (SMS: unused)
    body: str  # the whole text as the recipient reads it (SMS: what the template renders to)
    template: str = ""  # SMS: our template key (``kind``), mapped to the provider's template id by configuration
    params: list[str] = field(default_factory=list)  # SMS: the template's variables, in order
    locale: str = "zh_Hans_CN"


@dataclass
class SendResult:
    """What the provider answered. ``retry``: worth trying again later (rate-limited, outage); not ``ok`` and not
    ``retry`` is final (an invalid number)."""

    ok: bool
    provider: str
    reference: str = ""
    error: str = ""
    retry: bool = False


class Sender(Protocol):
    name: str

    def send(self, outgoing: Outgoing) -> SendResult: ...


class DevOutbox:
    """Development and tests: nothing leaves the machine. The delivery row keeps the text (the development outbox
    page lists it) and the terminal prints it."""

    name = "dev"

    def __init__(self, channel: Channel) -> None:
        self.channel = channel

    def send(self, outgoing: Outgoing) -> SendResult:
        log.warning("[dev outbox] %s to %s: %s %s", self.channel, outgoing.address, outgoing.subject, outgoing.body)
        DEV_SENT.append(outgoing)
        return SendResult(ok=True, provider=self.name, reference="dev")


def sender_for(channel: Channel) -> Sender:
    """The sender the configuration names for ``channel`` (``SMS_BACKEND``: dev or tencent; ``EMAIL_BACKEND``: dev
    or smtp)."""
    config = current_app.config
    if channel == Channel.SMS and config["SMS_BACKEND"] == "tencent":
        from app.notifications.sms import TencentSms

        return TencentSms.from_config(config)
    if channel == Channel.EMAIL and config["EMAIL_BACKEND"] == "smtp":
        from app.notifications.email import SmtpEmail

        return SmtpEmail.from_config(config)
    return DevOutbox(channel)


def dev_code(phone: str | None) -> str | None:
    """In development (``SHOW_DEV_CODES``, SMS kept on this machine): the last code "sent" to ``phone``, so the demo's
    pages can show it where a phone would have received it. None anywhere else."""
    config = current_app.config
    if not phone or not config.get("SHOW_DEV_CODES") or config["SMS_BACKEND"] != "dev":
        return None
    for outgoing in reversed(DEV_SENT):
        if outgoing.address == phone and outgoing.template == "sign_in_code" and outgoing.params:
            return outgoing.params[0]
    return None


def dev_codes() -> list[Outgoing]:
    """The codes this process "sent" lately, newest first (the development outbox page)."""
    if not current_app.config.get("SHOW_DEV_CODES") or current_app.config["SMS_BACKEND"] != "dev":
        return []
    return [outgoing for outgoing in reversed(DEV_SENT) if outgoing.template == "sign_in_code"]
