"""The Twilio adapter. The SDK is imported only when a ``TwilioPager`` is built.

Credentials come only from the environment: ``TWILIO_ACCOUNT_SID`` with either
``TWILIO_AUTH_TOKEN`` or ``TWILIO_API_KEY`` + ``TWILIO_API_SECRET``, and a sender,
``TWILIO_FROM`` or ``TWILIO_MESSAGING_SERVICE_SID`` (calls need ``TWILIO_FROM``).
``ONCALL_TWILIO_BASE_URL`` sends every request (api and lookups hosts) to another base
URL, e.g. a local mock. No error message built here contains a credential or a URL
(the SDK's own exception text includes the account's URI, so it is never shown).
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from datetime import datetime

from ..errors import PagingFailed
from ..sanitize import capped, xml_safe
from . import PagerError, Reply, Sent, Status

REQUEST_TIMEOUT = 10.0  # seconds: the total deadline of one HTTP request, unless the caller gives less
_SID = {"sms": re.compile(r"(SM|MM)[0-9a-fA-F]{32}"), "voice": re.compile(r"CA[0-9a-fA-F]{32}")}


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


class Undocumented(Exception):
    """Twilio answered 2xx with a body that is not a JSON object."""


class NoAnswer(Exception):
    """No complete answer within the request's deadline."""

    def __init__(self, deadline: float):
        super().__init__(f"no complete answer within {deadline:g} s")


def _json_object(text: str) -> str | None:
    """Why ``text`` is not a JSON object, or None if it is."""
    try:
        value = json.loads(text)
    except RecursionError:
        return "JSON nested too deep"
    except ValueError:
        return "not JSON"
    return None if isinstance(value, dict) else f"JSON {type(value).__name__}, not an object"


def _within(deadline: float, fn):
    """``fn()`` run in a daemon thread, abandoned after ``deadline`` seconds (``NoAnswer``)."""
    import threading

    box: dict = {}

    def work():
        try:
            box["result"] = fn()
        except BaseException as e:  # handed to the caller's thread below
            box["error"] = e

    worker = threading.Thread(target=work, name="twilio-request", daemon=True)
    worker.start()
    worker.join(deadline)
    if worker.is_alive():
        raise NoAnswer(deadline)
    if "error" in box:
        raise box["error"]
    return box["result"]


def http_client(base_url: str | None):
    """A ``TwilioHttpClient`` with a total deadline per request (``deadline`` seconds, not
    per socket read: a server dribbling a byte at a time cannot hold a page), that remembers
    the last response's status and headers (for Retry-After), refuses a 2xx answer that is
    not a JSON object (``Undocumented``) and, with ``base_url``, rewrites every
    ``*.twilio.com`` URL onto it."""
    from urllib.parse import urlsplit

    from requests import Session
    from requests.exceptions import ReadTimeout
    from twilio.http.http_client import TwilioHttpClient

    class Client(TwilioHttpClient):
        def __init__(self):
            super().__init__(timeout=REQUEST_TIMEOUT)
            self.base = base_url.rstrip("/") if base_url else None
            self.deadline = REQUEST_TIMEOUT
            self.last_headers: dict = {}
            self.last_status: int | None = None
            self._untrust()

        def _untrust(self):
            if self.base and self.session is not None:
                self.session.trust_env = False  # a proxy setting must not catch a local mock

        def request(self, method, url, params=None, data=None, headers=None, auth=None, timeout=None,
                    allow_redirects=False):
            parts = urlsplit(url)
            if self.base and parts.hostname and parts.hostname.endswith(".twilio.com"):
                url = self.base + parts.path + ("?" + parts.query if parts.query else "")
            self.last_headers, self.last_status = {}, None
            deadline = self.deadline

            def call():
                try:
                    return TwilioHttpClient.request(self, method, url, params=params, data=data, headers=headers,
                                                    auth=auth, timeout=deadline, allow_redirects=allow_redirects)
                except ReadTimeout:  # the socket's own timeout can win the race with the deadline: the same fact
                    raise NoAnswer(deadline) from None

            try:
                response = _within(deadline, call)
            except NoAnswer:
                # The stuck exchange keeps its connection; later requests get a fresh pool.
                self.session = Session()
                self._untrust()
                raise
            self.last_headers, self.last_status = dict(response.headers or {}), response.status_code
            if 200 <= response.status_code < 300:
                why = _json_object(response.text)
                if why:
                    raise Undocumented(f"HTTP {response.status_code} with a body that is {why}")
            return response

    return Client()


class TwilioPager:
    def __init__(self, creds: Credentials, base_url: str | None = None):
        from twilio.rest import Client

        self.creds = creds
        self.http = http_client(base_url)
        self.client = Client(creds.username, creds.password, account_sid=creds.account_sid, http_client=self.http)

    def _do(self, fn, timeout: float | None = None, creates: bool = False):
        """Run an SDK call within ``timeout`` seconds (default ``REQUEST_TIMEOUT``); any failure
        becomes a ``PagerError`` without URLs or secrets. ``creates``: the call sends a message
        or places a call, so an answer that may mean Twilio acted (a 2xx it did not document,
        no answer once the request went out) is ``unknown``, never worth resending."""
        from requests.exceptions import ConnectionError, ConnectTimeout, RequestException
        from twilio.base.exceptions import TwilioException, TwilioRestException

        self.http.deadline = min(timeout or REQUEST_TIMEOUT, REQUEST_TIMEOUT)
        try:
            return fn()
        except TwilioRestException as e:
            headers = self.http.last_headers
            retry = _seconds(headers.get("Retry-After") or headers.get("retry-after"))
            code = e.code if isinstance(e.code, int) and not isinstance(e.code, bool) else None
            msg = (e.msg or "").split(": ", 1)[-1] if e.msg else f"HTTP {e.status}"
            raise PagerError(f"Twilio {code or e.status}: {capped(xml_safe(msg))}", code, e.status,
                             retry) from None
        except (ConnectTimeout, ConnectionError) as e:
            if not creates or _never_sent(e):
                raise PagerError(f"Twilio unreachable: {type(e).__name__}") from None
            raise PagerError(f"connection lost before Twilio answered ({type(e).__name__})",
                             unknown=True) from None
        except NoAnswer as e:
            raise PagerError(f"Twilio: {e}", unknown=creates) from None
        except RequestException as e:
            raise PagerError(f"Twilio did not answer properly ({type(e).__name__})", unknown=creates) from None
        except Undocumented as e:
            raise PagerError(f"Twilio answered {e}", status=self.http.last_status, unknown=creates) from None
        except TwilioException as e:
            raise PagerError(f"Twilio client error: {type(e).__name__}") from None
        except (AttributeError, TypeError, KeyError, ValueError, RecursionError) as e:
            # The SDK met a body shape the API does not document (a list of numbers...).
            raise PagerError(f"Twilio's answer is not what the API documents ({type(e).__name__})",
                             status=self.http.last_status, unknown=creates) from None

    def _sent(self, channel: str, instance) -> Sent:
        sid, status = getattr(instance, "sid", None), getattr(instance, "status", None)
        if not isinstance(sid, str) or not _SID[channel].fullmatch(sid):
            raise PagerError(f"Twilio answered HTTP {self.http.last_status} without a valid SID",
                             status=self.http.last_status, unknown=True)
        return Sent(sid, status if isinstance(status, str) and status else "queued")

    def _sender(self) -> dict:
        if self.creds.service:
            return {"messaging_service_sid": self.creds.service}
        return {"from_": self.creds.sender}

    def send_sms(self, to: str, body: str, timeout: float | None = None) -> Sent:
        return self._sent("sms", self._do(lambda: self.client.messages.create(to=to, body=body, **self._sender()),
                                          timeout, creates=True))

    def call(self, to: str, twiml: str, timeout: float | None = None) -> Sent:
        if not self.creds.sender:
            raise PagerError("calls need TWILIO_FROM (a messaging service cannot place calls)", local=True)
        c = self._do(lambda: self.client.calls.create(to=to, from_=self.creds.sender, twiml=twiml,
                                                      machine_detection="Enable"), timeout, creates=True)
        return self._sent("voice", c)

    def message_status(self, sid: str, timeout: float | None = None) -> Status:
        m = self._do(lambda: self.client.messages(sid).fetch(), timeout)
        return _status(m.status, m.error_code)

    def call_status(self, sid: str, timeout: float | None = None) -> Status:
        c = self._do(lambda: self.client.calls(sid).fetch(), timeout)
        return _status(c.status, None, c.answered_by)

    def hang_up(self, sid: str, timeout: float | None = None) -> None:
        self._do(lambda: self.client.calls(sid).update(status="completed"), timeout)

    def replies(self, phone: str, since: datetime, timeout: float | None = None) -> list[Reply]:
        """Inbound SMS from ``phone``; a record the API does not document is not a reply."""
        filters = {"to": self.creds.sender} if self.creds.sender else {}
        found = self._do(lambda: self.client.messages.list(from_=phone, date_sent_after=since, limit=50,
                                                           page_size=50, **filters), timeout)
        return [Reply(m.from_, m.body if isinstance(m.body, str) else "", m.date_sent) for m in found
                if m.direction == "inbound" and m.from_ == phone and isinstance(m.date_sent, datetime)]

    def line_type(self, phone: str) -> str | None:
        n = self._do(lambda: self.client.lookups.v2.phone_numbers(phone).fetch(fields="line_type_intelligence"))
        info = n.line_type_intelligence or {}
        kind = info.get("type") if isinstance(info, dict) else None
        return kind if isinstance(kind, str) else None


def _status(status, error_code, answered_by=None) -> Status:
    """A polled state, or ``PagerError`` when its fields are not the documented types."""
    if not isinstance(status, str) or not status or not isinstance(error_code, int | None) \
            or isinstance(error_code, bool) or not isinstance(answered_by, str | None):
        raise PagerError("Twilio's status answer is not what the API documents")
    return Status(status, error_code, answered_by)


def _never_sent(e) -> bool:
    """The connection failed before the request could reach Twilio (refused, no route, DNS)."""
    from requests.exceptions import ConnectTimeout
    from urllib3.exceptions import NewConnectionError

    return isinstance(e, ConnectTimeout) or isinstance(getattr(e.args[0] if e.args else None, "reason", None),
                                                        NewConnectionError)


def _seconds(value: str | None) -> float | None:
    """Retry-After in seconds; the HTTP-date form is ignored (backoff applies instead)."""
    try:
        return max(0.0, float(value)) if value else None
    except ValueError:
        return None
