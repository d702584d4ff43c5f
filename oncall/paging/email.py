"""The ``email`` channel: a plain-text message through an SMTP server.

Configured from the environment only, never from the rotation files:

* ``ONCALL_SMTP_URL``: ``smtp+starttls://USER:PASS@HOST:587`` (STARTTLS, the default port
  587), ``smtps://USER:PASS@HOST:465`` (implicit TLS) or ``smtp://HOST:25`` (no TLS: only
  to a loopback host, or without credentials). User and password are percent-decoded.
* ``ONCALL_SMTP_FROM``: the From address, e.g. ``oncall <oncall@example.com>``.
* ``ONCALL_SMTP_CA``: optional, a CA bundle to verify the server with (else the system's).

Neither the password nor the URL that holds it is ever part of a message or an error.

An email cannot acknowledge a page: it counts as sent, and the step's time passes while
its other channels (an SMS reply starting with ``ack``) may still acknowledge. SMTP
replies map onto ``PagerError``'s vocabulary: a 4xx reply or no connection is transient,
a 5xx reply a refusal, a connection lost after the message data went out ``unknown``
(the server may have taken it: never resent).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

from ..sanitize import capped
from . import Pager, PagerError, Sent, Status
from .channels import Channel, PageText, register

URL_ENV, FROM_ENV, CA_ENV = "ONCALL_SMTP_URL", "ONCALL_SMTP_FROM", "ONCALL_SMTP_CA"
PORTS = {"smtp+starttls": 587, "smtps": 465, "smtp": 25}
DEFAULT_TIMEOUT = 10.0


@dataclass(frozen=True)
class Smtp:
    """Where and how to send: from ``ONCALL_SMTP_URL`` and ``ONCALL_SMTP_FROM``."""

    scheme: str
    host: str
    port: int
    user: str | None
    password: str | None
    sender: str
    ca: str | None = None

    def __repr__(self) -> str:  # never show the password, even in a traceback
        return f"Smtp({self.scheme}://{self.host}:{self.port}, from {self.sender!r})"

    @classmethod
    def from_env(cls, env: dict | None = None) -> Smtp:
        """The configuration, or a local ``PagerError`` naming what is missing or wrong."""
        env = os.environ if env is None else env
        url, sender = env.get(URL_ENV, "").strip(), env.get(FROM_ENV, "").strip()
        if not url or not sender:
            missing = " and ".join(n for n, v in ((URL_ENV, url), (FROM_ENV, sender)) if not v)
            raise PagerError(f"email: set {missing} (e.g. {URL_ENV}=smtp+starttls://user:pass@host:587)",
                             local=True)
        parts = urlsplit(url)
        try:
            port = parts.port or PORTS.get(parts.scheme, 0)
        except ValueError:
            port = 0
        if parts.scheme not in PORTS or not parts.hostname or not port:
            raise PagerError(f"email: {URL_ENV} must be smtp+starttls://, smtps:// or smtp:// with a host "
                             f"(scheme {parts.scheme!r})", local=True)
        user = unquote(parts.username) if parts.username else None
        password = unquote(parts.password) if parts.password else None
        if parts.scheme == "smtp" and user and parts.hostname not in ("127.0.0.1", "::1", "localhost"):
            raise PagerError(f"email: {URL_ENV} would send a password without TLS to {parts.hostname}: "
                             "use smtp+starttls:// or smtps://", local=True)
        return cls(parts.scheme, parts.hostname, port, user, password, sender, env.get(CA_ENV) or None)

    def send(self, to: str, name: str, subject: str, body: str, timeout: float | None = None) -> Sent:
        """Deliver one message; its Message-ID is the sid."""
        import smtplib  # here, not at the top: the loader reads the registry on every command
        import ssl

        message = compose(self.sender, to, name, subject, body)
        timeout = timeout or DEFAULT_TIMEOUT
        context = ssl.create_default_context(cafile=self.ca)
        data_sent = False
        try:
            if self.scheme == "smtps":
                server = smtplib.SMTP_SSL(self.host, self.port, timeout=timeout, context=context)
            else:
                server = smtplib.SMTP(self.host, self.port, timeout=timeout)
            with server:
                if self.scheme == "smtp+starttls":
                    server.starttls(context=context)
                if self.user:
                    server.login(self.user, self.password or "")
                data_sent = True
                server.send_message(message)
        except smtplib.SMTPResponseException as e:
            permanent = e.smtp_code >= 500
            raise PagerError(f"email: the server refused: {e.smtp_code} {_text(e.smtp_error)}",
                             status=400 if permanent else None) from None
        except smtplib.SMTPRecipientsRefused as e:
            codes = sorted({code for code, _ in e.recipients.values()})
            raise PagerError(f"email: the server refused the recipient ({', '.join(map(str, codes))})",
                             status=400) from None
        except (smtplib.SMTPException, OSError) as e:
            raise PagerError(f"email: {self.host}:{self.port}: {type(e).__name__}: {_text(str(e))}",
                             unknown=data_sent) from None
        return Sent(message["Message-ID"], "sent")


def _text(value) -> str:
    text = value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)
    return capped(" ".join(text.split()), 200)


def compose(sender: str, to: str, name: str, subject: str, body: str):
    """The message: text/plain UTF-8, with Date, Message-ID, From, To (the person's name,
    RFC 2047-encoded when not ASCII) and Subject."""
    from email.headerregistry import Address
    from email.message import EmailMessage
    from email.policy import SMTP
    from email.utils import formatdate, make_msgid, parseaddr

    message = EmailMessage(policy=SMTP)
    message["From"] = sender
    local, _, domain = to.rpartition("@")
    message["To"] = Address(display_name=name, username=local, domain=domain) if local else to
    message["Subject"] = " ".join(subject.split())
    message["Date"] = formatdate(usegmt=True)
    message["Message-ID"] = make_msgid(domain=parseaddr(sender)[1].rpartition("@")[2] or None)
    message.set_content(body)
    return message


class Email(Channel):
    name = "email"
    address = "email"
    notices = True

    def send(self, pager: Pager, to: str, text: PageText, timeout: float | None = None) -> Sent:
        subject = capped(f"[oncall] #{text.page_id} {text.label}: {text.message}", 150)
        body = (f"Page #{text.page_id} for {text.name}:\n\n{text.message}\n\n"
                "Acknowledge by replying 'ack' to the text message, or with `oncall ack`.\n")
        return Smtp.from_env().send(to, "", subject, body, timeout)

    def poll(self, pager: Pager, sid: str, timeout: float | None = None) -> Status:
        return Status("sent")

    def verdict(self, status: Status) -> str | None:
        return None  # an email is never an acknowledgement: the step's time runs on

    def notice(self, pager: Pager, to: str, name: str, subject: str, body: str,
               timeout: float | None = None) -> Sent:
        return Smtp.from_env().send(to, name, subject, body, timeout)


register(Email())
