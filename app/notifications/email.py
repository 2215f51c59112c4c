"""E-mail through an SMTP server with the standard library: one UTF-8 message (Chinese subject and body) to one
address, over plain SMTP, STARTTLS or SSL, with a login when configured.

The server's answer becomes a ``SendResult``: accepted (the Message-ID as reference); a 4xx reply, a refused or
dropped connection or a timeout is worth retrying; a 5xx reply (a refused recipient, a failed login) is final.
"""

from __future__ import annotations

import smtplib
import ssl
from collections.abc import Mapping
from email.message import EmailMessage
from email.utils import formatdate, make_msgid, parseaddr

from app.notifications.channels import Outgoing, SendResult

TIMEOUT_SECONDS = 10
ERROR_LENGTH = 255  # Delivery.last_error
REFERENCE_LENGTH = 100  # Delivery.provider_ref
SECURITIES = ("", "starttls", "ssl")


def short_error(text: object) -> str:
    """One line, at most 255 characters (the failures page's column)."""
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    return " ".join(str(text).split())[:ERROR_LENGTH]


class SmtpEmail:
    """Sends one e-mail per connection: messages go out one delivery at a time from the job queue."""

    name = "smtp"

    def __init__(
        self,
        *,
        host: str,
        port: int,
        mail_from: str,
        username: str = "",
        password: str = "",
        security: str = "",
        timeout: float = TIMEOUT_SECONDS,
    ) -> None:
        self.host = host
        self.port = port
        self.mail_from = mail_from
        self.username = username
        self.password = password
        self.security = security
        self.timeout = timeout

    @classmethod
    def from_config(cls, config: Mapping) -> SmtpEmail:
        return cls(
            host=config["SMTP_HOST"],
            port=int(config["SMTP_PORT"]),
            mail_from=config["MAIL_FROM"],
            username=config.get("SMTP_USERNAME", ""),
            password=config.get("SMTP_PASSWORD", ""),
            security=(config.get("SMTP_SECURITY") or "").lower(),
        )

    def build(self, outgoing: Outgoing) -> EmailMessage:
        """The message: From MAIL_FROM, To the address, the subject and the plain-text body in UTF-8, a Date and a
        Message-ID under the sender's domain (which the reference keeps)."""
        message = EmailMessage()
        message["From"] = self.mail_from
        message["To"] = outgoing.address
        message["Subject"] = outgoing.subject
        message["Date"] = formatdate(localtime=True)
        domain = parseaddr(self.mail_from)[1].rpartition("@")[2] or None
        message["Message-ID"] = make_msgid(domain=domain)
        message.set_content(outgoing.body, charset="utf-8")
        return message

    def configuration_error(self) -> str:
        """What in the settings stops every send ("" when nothing): shown on the failures page until fixed."""
        if self.security not in SECURITIES:
            return f"SMTP_SECURITY must be one of {SECURITIES}, not {self.security!r}"
        if not (self.username + self.password).isascii():
            return "SMTP_USERNAME and SMTP_PASSWORD must be ASCII (smtplib's AUTH sends nothing else)"
        return ""

    def send(self, outgoing: Outgoing) -> SendResult:
        if error := self.configuration_error():
            return self._failure(error, retry=False)
        try:
            message = self.build(outgoing)
        except ValueError as error:  # a line break or another header-breaking character in the address or subject
            return self._failure(f"invalid message: {error}", retry=False)
        try:
            with self._connect() as smtp:
                if self.security == "starttls":
                    smtp.starttls(context=ssl.create_default_context())
                if self.username:
                    smtp.login(self.username, self.password)
                smtp.send_message(message)
        except smtplib.SMTPRecipientsRefused as error:
            code, reply = next(iter(error.recipients.values()), (550, b"recipient refused"))
            return self._failure(f"{code} {short_error(reply)}", retry=_is_temporary(code))
        except smtplib.SMTPResponseException as error:  # sender or data refused, login failed, connection refused
            return self._failure(
                f"{error.smtp_code} {short_error(error.smtp_error)}", retry=_is_temporary(error.smtp_code)
            )
        except smtplib.SMTPNotSupportedError as error:  # no STARTTLS or AUTH on the server: configuration
            return self._failure(f"not supported by the server: {error}", retry=False)
        except ssl.SSLCertVerificationError as error:  # waiting does not fix a certificate: configuration
            return self._failure(f"certificate: {error}", retry=False)
        except (smtplib.SMTPException, OSError) as error:  # dropped, refused or timed-out connection
            return self._failure(f"{type(error).__name__}: {error}", retry=True)
        return SendResult(ok=True, provider=self.name, reference=message["Message-ID"][:REFERENCE_LENGTH])

    def _connect(self) -> smtplib.SMTP:
        if self.security == "ssl":
            context = ssl.create_default_context()
            return smtplib.SMTP_SSL(self.host, self.port, timeout=self.timeout, context=context)
        return smtplib.SMTP(self.host, self.port, timeout=self.timeout)

    def _failure(self, error: str, *, retry: bool) -> SendResult:
        return SendResult(ok=False, provider=self.name, error=short_error(error), retry=retry)


def _is_temporary(code: int) -> bool:
    """An SMTP reply the server means as "try again later" (4xx); 5xx is final. A code outside both (-1: the
    server closed the connection) is treated as temporary."""
    return not 500 <= code < 600
