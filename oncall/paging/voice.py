"""The ``voice`` channel: a call that reads the page (answering-machine detection on); a
call Twilio reports answered by a ``human`` acknowledges; one answered by a machine,
busy, unanswered, failed or canceled moves on; a call still ringing at the deadline is
hung up."""

from __future__ import annotations

from . import CALL_ENDED, DELIVERY_FAILED, Pager, Sent, Status
from .channels import ACK, FAILED, Channel, PageText, register


class Voice(Channel):
    name = "voice"

    def send(self, pager: Pager, to: str, text: PageText, timeout: float | None = None) -> Sent:
        from .text import twiml

        return pager.call(to, twiml(text.name, text.page_id, text.message), timeout=timeout)

    def poll(self, pager: Pager, sid: str, timeout: float | None = None) -> Status:
        return pager.call_status(sid, timeout=timeout)

    def verdict(self, status: Status) -> str | None:
        if status.answered_by == "human":
            return ACK
        ended = status.status in CALL_ENDED or bool(status.answered_by)
        return FAILED if ended or status.error_code in DELIVERY_FAILED else None

    def detail(self, status: Status) -> str:
        if status.answered_by == "human":
            return "answered by a human"
        return f"answered by {status.answered_by}" if status.answered_by else ""

    def stop(self, pager: Pager, sid: str, status: Status | None, timeout: float | None = None) -> None:
        if not (status and status.status in CALL_ENDED):
            pager.hang_up(sid, timeout=timeout)


register(Voice())
