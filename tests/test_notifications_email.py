"""E-mail over SMTP with the standard library, against a real SMTP server on this machine (aiosmtpd): what arrives
(UTF-8 subject and body, From, Message-ID) and how each answer maps to sent, retry later or failed for good."""

from __future__ import annotations

import socket
from email import message_from_bytes
from email import policy as email_policy

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from app import create_app
from app.notifications.channels import Outgoing, sender_for
from app.notifications.email import SmtpEmail
from app.notifications.models import Channel
from tests.conftest import make_test_config

MAIL_FROM = "守护志愿 <noreply@shouhu.example.cn>"


class Keep:
    """Accepts every message and keeps it."""

    def __init__(self) -> None:
        self.envelopes = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - the name aiosmtpd calls
        self.envelopes.append(envelope)
        return "250 2.0.0 OK: queued"


class RefuseRecipient(Keep):
    """Answers RCPT TO with a fixed reply (a 5xx refusal or a 4xx "later")."""

    def __init__(self, reply: str) -> None:
        super().__init__()
        self.reply = reply

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802 - aiosmtpd hook
        return self.reply


class RefuseData(RefuseRecipient):
    """Accepts the recipient, then answers the message's data with a fixed reply."""

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802 - aiosmtpd hook
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - the name aiosmtpd calls
        return self.reply


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def smtp_server():
    """``smtp_server(handler, **smtp_options)``: a started SMTP server on 127.0.0.1; stopped after the test."""
    controllers = []

    def start(handler, **options) -> Controller:
        controller = Controller(handler, hostname="127.0.0.1", port=free_port(), **options)
        controller.start()
        controllers.append(controller)
        return controller

    yield start
    for controller in controllers:
        controller.stop()


def smtp_config(port: int, **overrides) -> dict:
    return {
        "SMTP_HOST": "127.0.0.1",
        "SMTP_PORT": port,
        "SMTP_USERNAME": "",
        "SMTP_PASSWORD": "",
        "SMTP_SECURITY": "",
        "MAIL_FROM": MAIL_FROM,
        **overrides,
    }


def reminder(address: str = "mama.li@example.cn") -> Outgoing:
    return Outgoing(
        address=address,
        subject="明天的活动提醒：安全知识进村",
        body="李妈妈您好：\n明天上午9点在王庄村未保站有安全知识进村活动，请准时到达。\n守护志愿",
    )


def test_message_arrives_with_utf8_subject_and_body_from_mail_from(smtp_server):
    handler = Keep()
    controller = smtp_server(handler)
    result = SmtpEmail.from_config(smtp_config(controller.port)).send(reminder())

    assert result.ok and not result.retry and not result.error
    assert result.provider == "smtp"
    [envelope] = handler.envelopes
    assert envelope.mail_from == "noreply@shouhu.example.cn"
    assert envelope.rcpt_tos == ["mama.li@example.cn"]
    received = message_from_bytes(envelope.content, policy=email_policy.default)
    assert received["Subject"] == "明天的活动提醒：安全知识进村"
    assert received["From"] == MAIL_FROM
    assert received["To"] == "mama.li@example.cn"
    assert received["Date"]
    assert received.get_content_type() == "text/plain"
    assert received.get_content_charset() == "utf-8"
    assert received.get_content() == reminder().body + "\n"
    assert received["Message-ID"] == result.reference
    assert result.reference.endswith("@shouhu.example.cn>")
    assert "明天".encode() not in envelope.content.split(b"\r\n\r\n")[0]  # headers stay ASCII (RFC 2047)


def test_refused_recipient_fails_for_good(smtp_server):
    controller = smtp_server(RefuseRecipient("550 5.1.1 <mama.li@example.cn>: Recipient address rejected"))
    result = SmtpEmail.from_config(smtp_config(controller.port)).send(reminder())

    assert not result.ok and not result.retry
    assert result.error == "550 5.1.1 <mama.li@example.cn>: Recipient address rejected"


def test_recipient_deferred_with_451_is_retried_later(smtp_server):
    controller = smtp_server(RefuseRecipient("451 4.3.0 Temporary lookup failure"))
    result = SmtpEmail.from_config(smtp_config(controller.port)).send(reminder())

    assert not result.ok and result.retry
    assert result.error == "451 4.3.0 Temporary lookup failure"


@pytest.mark.parametrize(("reply", "retry"), [("452 4.3.1 Insufficient storage", True), ("554 5.7.1 Spam", False)])
def test_refused_data_follows_the_reply_class(smtp_server, reply, retry):
    controller = smtp_server(RefuseData(reply))
    result = SmtpEmail.from_config(smtp_config(controller.port)).send(reminder())

    assert not result.ok and result.retry is retry
    assert result.error == reply


def test_no_server_listening_is_retried_later():
    result = SmtpEmail.from_config(smtp_config(free_port())).send(reminder())

    assert not result.ok and result.retry
    assert result.error.startswith("ConnectionRefusedError")


def test_server_that_drops_the_connection_is_retried_later():
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        port = listener.getsockname()[1]
        sms = SmtpEmail.from_config(smtp_config(port))
        sms.timeout = 0.5
        result = sms.send(reminder())  # accepted by the kernel, never greeted: the timeout ends it

    assert not result.ok and result.retry
    assert len(result.error) <= 255


def test_header_breaking_address_fails_for_good_without_connecting():
    result = SmtpEmail.from_config(smtp_config(free_port())).send(reminder("a@example.cn\r\nBcc: b@example.cn"))

    assert not result.ok and not result.retry
    assert result.error.startswith("invalid message")


def authenticate(server, session, envelope, mechanism, auth_data):
    ok = isinstance(auth_data, LoginPassword) and auth_data == (b"shouhu", b"s3cret-pass")
    return AuthResult(success=ok, handled=False)  # handled=False: aiosmtpd answers 235 or 535 itself


AUTH = {"authenticator": authenticate, "auth_require_tls": False}


def test_login_with_the_configured_account(smtp_server):
    handler = Keep()
    controller = smtp_server(handler, **AUTH)
    config = smtp_config(controller.port, SMTP_USERNAME="shouhu", SMTP_PASSWORD="s3cret-pass")
    result = SmtpEmail.from_config(config).send(reminder())

    assert result.ok
    assert len(handler.envelopes) == 1


def test_password_smtplib_cannot_send_fails_for_good_without_connecting(smtp_server):
    handler = Keep()
    controller = smtp_server(handler, **AUTH)
    config = smtp_config(controller.port, SMTP_USERNAME="shouhu", SMTP_PASSWORD="密码")
    result = SmtpEmail.from_config(config).send(reminder())

    assert not result.ok and not result.retry
    assert result.error.startswith("SMTP_USERNAME and SMTP_PASSWORD must be ASCII")
    assert handler.envelopes == []


def test_wrong_password_fails_for_good(smtp_server):
    controller = smtp_server(Keep(), **AUTH)
    config = smtp_config(controller.port, SMTP_USERNAME="shouhu", SMTP_PASSWORD="wrong")
    result = SmtpEmail.from_config(config).send(reminder())

    assert not result.ok and not result.retry
    assert result.error.startswith("535")


def test_starttls_on_a_server_without_it_fails_for_good(smtp_server):
    controller = smtp_server(Keep())
    result = SmtpEmail.from_config(smtp_config(controller.port, SMTP_SECURITY="starttls")).send(reminder())

    assert not result.ok and not result.retry
    assert "STARTTLS" in result.error


def test_unknown_security_setting_fails_for_good_without_connecting():
    result = SmtpEmail.from_config(smtp_config(free_port(), SMTP_SECURITY="tls")).send(reminder())

    assert not result.ok and not result.retry
    assert result.error.startswith("SMTP_SECURITY must be one of")


def test_sender_for_names_smtp_when_configured(smtp_server, tmp_path):
    handler = Keep()
    controller = smtp_server(handler)
    url = f"sqlite:///{tmp_path / 'unused.sqlite3'}"
    app = create_app(make_test_config(url, EMAIL_BACKEND="smtp", **smtp_config(controller.port)))
    with app.app_context():
        sender = sender_for(Channel.EMAIL)
        result = sender.send(reminder())

    assert isinstance(sender, SmtpEmail)
    assert result.ok
    assert len(handler.envelopes) == 1
