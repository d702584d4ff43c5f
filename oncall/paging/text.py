"""What a page says: the SMS body (segment-aware) and the voice call's TwiML. Pure.

SMS segments: a GSM-7 message fits 160 characters in one segment and 153 per segment
once split; anything outside GSM-7 is sent as UCS-2, 70 UTF-16 units in one segment and
67 per segment once split. Characters of the GSM-7 extension table (``^{}\\[~]|€``) take
two septets. Bodies are trimmed to at most ``MAX_SEGMENTS`` segments.
"""

from __future__ import annotations

from xml.sax.saxutils import escape, quoteattr

from ..sanitize import xml_safe

MAX_SEGMENTS = 3
ACK_HINT = "Reply ACK to acknowledge"

_GSM = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
_GSM_EXT = set("^{}\\[~]|€\f")


def is_gsm(text: str) -> bool:
    return all(c in _GSM or c in _GSM_EXT for c in text)


def units(text: str, gsm: bool) -> int:
    """Length in septets (GSM-7) or UTF-16 code units (UCS-2)."""
    if gsm:
        return sum(2 if c in _GSM_EXT else 1 for c in text)
    return sum(2 if ord(c) > 0xFFFF else 1 for c in text)


def segments(text: str) -> int:
    gsm = is_gsm(text)
    n = units(text, gsm)
    single, multi = (160, 153) if gsm else (70, 67)
    return 1 if n <= single else -(-n // multi)


def sms_body(rotation: str, page_id: int | str, message: str) -> str:
    """``[rotation #id] message ... Reply ACK to acknowledge``, the message trimmed so the
    whole body is at most ``MAX_SEGMENTS`` segments. Control characters and ANSI colour
    (``xml_safe``) are removed first: a phone would show them as boxes, or not at all."""
    rotation, message = xml_safe(rotation), xml_safe(message)
    head, tail = f"[{rotation} #{page_id}] ", f" - {ACK_HINT}"
    body = head + message + tail
    if segments(body) <= MAX_SEGMENTS:
        return body
    gsm = is_gsm(body)
    budget = (153 if gsm else 67) * MAX_SEGMENTS
    ellipsis = "..." if gsm else "…"
    room = budget - units(head + tail + ellipsis, gsm)
    kept = ""
    for c in message:
        if units(kept + c, gsm) > room:
            break
        kept += c
    return head + kept.rstrip() + ellipsis + tail


MAX_TWIML = 4000  # Twilio's limit for inline TwiML (the Calls API's ``Twiml`` parameter)


def twiml(rotation_name: str, page_id: int | str, message: str, gather: str | None = None) -> str:
    """A call that reads the page twice; every text is made ``xml_safe`` (ANSI colour and
    characters XML 1.0 forbids removed) and XML-escaped. With ``gather`` (a callback URL,
    as ``oncall serve`` gives), both readings sit inside a ``<Gather>`` of one digit that
    Twilio posts there: 1 acknowledges, 9 escalates now. A message too long for Twilio's
    ``MAX_TWIML`` characters is cut (at a character, never inside an escape) and ends
    with "..."."""
    keys = "<Say>Press 1 to acknowledge. Press 9 to escalate now.</Say>" if gather else ""

    def build(text: str) -> str:
        say = escape(f"Page {page_id} from on-call rotation {rotation_name}. {text}", {'"': "&quot;"})
        body = f"<Say>{say}</Say>{keys}<Pause length=\"1\"/><Say>Again. {say}</Say>{keys}"
        if gather:
            body = (f"<Gather numDigits=\"1\" timeout=\"8\" action={quoteattr(gather)} method=\"POST\">"
                    f"{body}</Gather>")
        return f"<Response>{body}<Say>Goodbye.</Say></Response>"

    rotation_name, message = xml_safe(rotation_name), xml_safe(message)
    doc = build(message)
    if len(doc) <= MAX_TWIML:
        return doc
    lo, hi = 0, len(message)  # the longest prefix that fits: lo fits, hi does not
    while hi - lo > 1:
        mid = (lo + hi) // 2
        lo, hi = (mid, hi) if len(build(message[:mid] + "...")) <= MAX_TWIML else (lo, mid)
    return build(message[:lo].rstrip() + "...")
