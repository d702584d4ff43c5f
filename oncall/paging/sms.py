"""The ``sms`` channel: a text through the pager; a reply starting with ``ack`` (any case)
from the paged phone acknowledges; undelivered, failed or a delivery error 30003-30008
moves on. A number that unsubscribed (21610) or cannot take SMS (21614) falls back to
``voice``."""

from __future__ import annotations

from datetime import datetime

from . import DELIVERY_FAILED, SMS_FAILED, SMS_REFUSED, Pager, Sent, Status
from .channels import FAILED, Channel, PageText, register


class Sms(Channel):
    name = "sms"
    fallback = "voice"
    mobile_only = True
    notices = True

    def send(self, pager: Pager, to: str, text: PageText, timeout: float | None = None) -> Sent:
        from .text import sms_body

        return pager.send_sms(to, sms_body(text.label, text.page_id, text.message), timeout=timeout)

    def poll(self, pager: Pager, sid: str, timeout: float | None = None) -> Status:
        return pager.message_status(sid, timeout=timeout)

    def verdict(self, status: Status) -> str | None:
        return FAILED if status.error_code in DELIVERY_FAILED or status.status in SMS_FAILED else None

    def replied(self, pager: Pager, to: str, since: datetime, timeout: float | None = None) -> datetime | None:
        for r in pager.replies(to, since.replace(microsecond=0), timeout=timeout):
            # Twilio stamps to the second: a stamp in the second the page started, before
            # it, may be a reply to something else, and no human answers that fast.
            if r.sent_at >= since and r.body.strip().lower().startswith("ack"):
                return r.sent_at
        return None

    def notice(self, pager: Pager, to: str, name: str, subject: str, body: str,
               timeout: float | None = None) -> Sent:
        return pager.send_sms(to, body, timeout=timeout)

    def refusal(self, code: int | None) -> str | None:
        if code in SMS_REFUSED:
            return "unsubscribed" if code == 21610 else "not-mobile"
        return None


register(Sms())
