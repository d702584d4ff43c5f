"""The Twilio adapter. The SDK is imported only when a ``TwilioPager`` is built.

Credentials come only from the environment: ``TWILIO_ACCOUNT_SID`` with either
``TWILIO_AUTH_TOKEN`` or ``TWILIO_API_KEY`` + ``TWILIO_API_SECRET``, and a sender,
``TWILIO_FROM`` or ``TWILIO_MESSAGING_SERVICE_SID`` (calls need ``TWILIO_FROM``).
``ONCALL_TWILIO_BASE_URL`` sends every request (api and lookups hosts) to another base
URL, e.g. a local mock. No error message built here contains a credential or a URL
(the SDK's own exception text includes the account's URI, so it is never shown).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import datetime

from ..errors import PagingFailed
from . import PagerError, Reply, Sent, Status

REQUEST_TIMEOUT = 15.0  # seconds per HTTP request


@dataclass(frozen=True)
class Credentials:
    account_sid: str
    username: str  # the account SID or an API key
    password: str = ""  # the auth token or API secret
    sender: str | None = None  # TWILIO_FROM
    service: str | None = None  # TWILIO_MESSAGING_SERVICE_SID

    def __repr__(self) -> str:  # never show a secret, even in a traceback's locals
        return f"Credentials(account_sid={self.account_sid[:6]}…)"

    @classmethod
    def from_env(cls, env=os.environ) -> Credentials:
        sid, token = env.get("TWILIO_ACCOUNT_SID"), env.get("TWILIO_AUTH_TOKEN")
        key, secret = env.get("TWILIO_API_KEY"), env.get("TWILIO_API_SECRET")
        sender, service = env.get("TWILIO_FROM"), env.get("TWILIO_MESSAGING_SERVICE_SID")
        missing = []
        if not sid:
            missing.append("TWILIO_ACCOUNT_SID")
        if not token and not (key and secret):
            missing.append("TWILIO_AUTH_TOKEN (or TWILIO_API_KEY and TWILIO_API_SECRET)")
        if not sender and not service:
            missing.append("TWILIO_FROM (or TWILIO_MESSAGING_SERVICE_SID)")
        if missing:
            raise PagingFailed("Twilio credentials missing from the environment: " + ", ".join(missing))
        user, password = (key, secret) if key and secret and not token else (sid, token)
        return cls(sid, user, password or "", sender, service)


def http_client(base_url: str | None):
    """A ``TwilioHttpClient`` that remembers the last response's headers (for
    Retry-After) and, with ``base_url``, rewrites every ``*.twilio.com`` URL onto it."""
    from urllib.parse import urlsplit

    from twilio.http.http_client import TwilioHttpClient

    class Client(TwilioHttpClient):
        def __init__(self):
            super().__init__(timeout=REQUEST_TIMEOUT)
            self.base = base_url.rstrip("/") if base_url else None
            self.last_headers: dict = {}
            if self.base and self.session is not None:
                self.session.trust_env = False  # a proxy setting must not catch a local mock

        def request(self, method, url, params=None, data=None, headers=None, auth=None, timeout=None,
                    allow_redirects=False):
            parts = urlsplit(url)
            if self.base and parts.hostname and parts.hostname.endswith(".twilio.com"):
                url = self.base + parts.path + ("?" + parts.query if parts.query else "")
            self.last_headers = {}
            response = super().request(method, url, params=params, data=data, headers=headers, auth=auth,
                                       timeout=timeout, allow_redirects=allow_redirects)
            self.last_headers = dict(response.headers or {})
            return response

    return Client()


class TwilioPager:
    def __init__(self, creds: Credentials, base_url: str | None = None):
        from twilio.rest import Client

        self.creds = creds
        self.http = http_client(base_url)
        self.client = Client(creds.username, creds.password, account_sid=creds.account_sid, http_client=self.http)

    def _do(self, fn):
        """Run an SDK call; any failure becomes a ``PagerError`` without URLs or secrets."""
        from requests.exceptions import RequestException
        from twilio.base.exceptions import TwilioException, TwilioRestException

        try:
            return fn()
        except TwilioRestException as e:
            retry = _seconds(self.http.last_headers.get("Retry-After") or self.http.last_headers.get("retry-after"))
            msg = (e.msg or "").split(": ", 1)[-1] if e.msg else f"HTTP {e.status}"
            raise PagerError(f"Twilio {e.code or e.status}: {msg}", e.code, e.status, retry) from None
        except RequestException as e:
            raise PagerError(f"Twilio unreachable: {type(e).__name__}") from None
        except TwilioException as e:
            raise PagerError(f"Twilio client error: {type(e).__name__}") from None
        except ValueError:  # a 2xx answer that is not Twilio's JSON (a proxy's or portal's page)
            raise PagerError("Twilio answered with something that is not JSON") from None

    def _sender(self) -> dict:
        if self.creds.service:
            return {"messaging_service_sid": self.creds.service}
        return {"from_": self.creds.sender}

    def send_sms(self, to: str, body: str) -> Sent:
        m = self._do(lambda: self.client.messages.create(to=to, body=body, **self._sender()))
        return Sent(m.sid, m.status or "queued")

    def call(self, to: str, twiml: str) -> Sent:
        if not self.creds.sender:
            raise PagerError("calls need TWILIO_FROM (a messaging service cannot place calls)", local=True)
        c = self._do(lambda: self.client.calls.create(to=to, from_=self.creds.sender, twiml=twiml,
                                                      machine_detection="Enable"))
        return Sent(c.sid, c.status or "queued")

    def message_status(self, sid: str) -> Status:
        m = self._do(lambda: self.client.messages(sid).fetch())
        return Status(m.status, m.error_code)

    def call_status(self, sid: str) -> Status:
        c = self._do(lambda: self.client.calls(sid).fetch())
        return Status(c.status, None, c.answered_by)

    def hang_up(self, sid: str) -> None:
        self._do(lambda: self.client.calls(sid).update(status="completed"))

    def replies(self, phone: str, since: datetime) -> list[Reply]:
        filters = {"to": self.creds.sender} if self.creds.sender else {}
        found = self._do(lambda: self.client.messages.list(from_=phone, date_sent_after=since, limit=50,
                                                           page_size=50, **filters))
        return [Reply(m.from_, m.body or "", m.date_sent) for m in found
                if m.direction == "inbound" and m.from_ == phone and m.date_sent is not None]

    def line_type(self, phone: str) -> str | None:
        n = self._do(lambda: self.client.lookups.v2.phone_numbers(phone).fetch(fields="line_type_intelligence"))
        info = n.line_type_intelligence or {}
        return info.get("type") if isinstance(info, dict) else None


def _seconds(value: str | None) -> float | None:
    """Retry-After in seconds; the HTTP-date form is ignored (backoff applies instead)."""
    try:
        return max(0.0, float(value)) if value else None
    except ValueError:
        return None
