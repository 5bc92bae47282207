"""Mailing by SMTP: the server from ``DOLEANCE_SMTP_URL``, one connection per batch, the mail
itself (headers that let servers and readers drop duplicates and keep auto-replies away), and
errors said in one line."""

from __future__ import annotations

import email.policy
import email.utils
import smtplib
import socket
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from urllib.parse import unquote, urlsplit

from engine import clock
from engine.errors import DoleanceError
from engine.messages.outbox import ClaimedMessage, DeliveryFailure

SMTP_TIMEOUT_SECONDS = 20.0


class OutboxError(DoleanceError):
    """Mail cannot be sent as configured (DOLEANCE_SMTP_URL, DOLEANCE_MAIL_FROM)."""


@dataclass(frozen=True)
class SmtpServer:
    """Where mail goes, from DOLEANCE_SMTP_URL: ``smtp://user:password@host:port`` (STARTTLS
    when the server offers it) or ``smtps://…`` (TLS from the start)."""

    host: str
    port: int
    tls: bool
    username: str | None = None
    password: str | None = None

    @classmethod
    def from_url(cls, url: str) -> SmtpServer:
        parts = urlsplit(url)
        if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
            raise OutboxError(
                f"DOLEANCE_SMTP_URL must look like smtp://user:password@host:port or "
                f"smtps://host:port, not '{_without_password(url)}'"
            )
        try:
            port = parts.port or (465 if parts.scheme == "smtps" else 25)
        except ValueError as exc:
            raise OutboxError(f"DOLEANCE_SMTP_URL has an invalid port: {exc}") from exc
        return cls(
            parts.hostname,
            port,
            parts.scheme == "smtps",
            unquote(parts.username) if parts.username else None,
            unquote(parts.password) if parts.password else None,
        )

    def __str__(self) -> str:
        return f"{'smtps' if self.tls else 'smtp'}://{self.host}:{self.port}"


def _without_password(url: str) -> str:
    parts = urlsplit(url)
    if parts.password is None:
        return url
    return url.replace(f":{parts.password}@", ":***@", 1)


def sender_address(mail_from: str) -> str:
    address = email.utils.parseaddr(mail_from)[1]
    if "@" not in address:
        raise OutboxError(
            f"DOLEANCE_MAIL_FROM must be an e-mail address such as "
            f"'Service réclamations <reclamations@example.org>', not '{mail_from}'"
        )
    return address


def build_email(message: ClaimedMessage, mail_from: str, sender: str) -> EmailMessage:
    mail = EmailMessage(policy=email.policy.SMTP)
    mail["From"] = mail_from
    mail["To"] = message.recipient
    mail["Subject"] = message.subject or ""
    mail["Date"] = email.utils.format_datetime(clock.now())
    # The same id on every attempt, so a mail server or reader can drop a duplicate.
    mail["Message-ID"] = f"<{message.reference}.{message.id}@{sender.rpartition('@')[2]}>"
    if message.reply_to:
        mail["Reply-To"] = message.reply_to
    mail["Auto-Submitted"] = "auto-generated"  # RFC 3834: out-of-office replies stay away
    mail.set_content(message.body, charset="utf-8")
    mail["Content-Language"] = message.language  # after set_content, which resets Content-*
    return mail


class Mailer:
    """One SMTP connection for a batch, opened at the first message and reopened if lost."""

    def __init__(self, server: SmtpServer):
        self.server = server
        self._smtp: smtplib.SMTP | None = None
        self._unreachable: str | None = None  # once the server cannot be reached, stop trying

    def __enter__(self) -> Mailer:
        return self

    def __exit__(self, *exc_info) -> None:
        if self._smtp is not None:
            try:
                self._smtp.quit()
            except (smtplib.SMTPException, OSError):
                self._smtp.close()
            self._smtp = None

    def send(self, mail: EmailMessage, sender: str, recipient: str) -> DeliveryFailure | None:
        if self._unreachable is not None:
            return DeliveryFailure(self._unreachable)
        if self._smtp is None:
            try:
                self._smtp = self._connect()
            except (smtplib.SMTPException, OSError) as exc:
                self._unreachable = f"cannot use the mail server {self.server}: {_smtp_error(exc)}"
                return DeliveryFailure(self._unreachable)
        try:
            self._smtp.send_message(mail, from_addr=sender, to_addrs=[recipient])
        except smtplib.SMTPRecipientsRefused as exc:
            codes = [code for code, _ in exc.recipients.values()]
            return DeliveryFailure(_smtp_error(exc), permanent=all(code >= 500 for code in codes))
        except smtplib.SMTPResponseException as exc:
            return DeliveryFailure(_smtp_error(exc))
        except (smtplib.SMTPException, OSError) as exc:
            self._smtp.close()
            self._smtp = None  # the next message reconnects
            return DeliveryFailure(_smtp_error(exc))
        return None

    def _connect(self) -> smtplib.SMTP:
        server, name = self.server, socket.gethostname()
        if server.tls:
            smtp = smtplib.SMTP_SSL(
                server.host,
                server.port,
                local_hostname=name,
                timeout=SMTP_TIMEOUT_SECONDS,
                context=ssl.create_default_context(),
            )
        else:
            smtp = smtplib.SMTP(
                server.host, server.port, local_hostname=name, timeout=SMTP_TIMEOUT_SECONDS
            )
        try:
            smtp.ehlo()
            if not server.tls and smtp.has_extn("starttls"):
                smtp.starttls(context=ssl.create_default_context())
                smtp.ehlo()
            if server.username:
                smtp.login(server.username, server.password or "")
        except BaseException:
            smtp.close()
            raise
        return smtp


def _smtp_error(exc: BaseException) -> str:
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        refused = "; ".join(
            f"{address}: {code} {_text(reply)}" for address, (code, reply) in exc.recipients.items()
        )
        return f"the mail server refused the recipient ({refused})"
    if isinstance(exc, smtplib.SMTPResponseException):
        return f"the mail server answered {exc.smtp_code} {_text(exc.smtp_error)}"
    return str(exc) or type(exc).__name__


def _text(reply: bytes | str) -> str:
    return reply.decode("utf-8", "replace") if isinstance(reply, bytes) else str(reply)
