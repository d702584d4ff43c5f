"""Alert payloads -> ``Alert``: what to open or resolve, and the text to page. Pure.

* Alertmanager webhook version 4: one incident per ``groupKey``; ``status`` is the
  group's (``firing`` or ``resolved``).
* Grafana alerting's webhook contact point: the same shape (Grafana adds ``title`` and
  ``message``); ``groupKey`` is the dedup key.
* Generic JSON: ``{"summary": "...", "dedup_key": "...", "status": "firing"}``; the key
  defaults to the summary, ``status`` to ``firing`` (``trigger`` also opens; ``resolved``
  and ``resolve`` resolve).

The message is ``alertname: summary`` (summary, else description annotation) and, for a
group, ``(+N more)``; control characters are removed. ``oncall.paging.text`` then fits it
into the SMS segments and the TwiML limit.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..sanitize import capped, xml_safe

MAX_MESSAGE = 1000  # characters kept before the SMS/TwiML builders trim further
MAX_KEY = 500


class BadAlert(ValueError):
    """The payload is not what the endpoint accepts (answered 400: retrying cannot help)."""


@dataclass(frozen=True)
class Alert:
    dedup_key: str
    firing: bool
    message: str


def _obj(payload, what: str) -> dict:
    if not isinstance(payload, dict):
        raise BadAlert(f"{what}: the body must be a JSON object")
    return payload


def _text(value) -> str:
    return value.strip() if isinstance(value, str) else ""


def _clean(text: str, limit: int) -> str:
    return " ".join(xml_safe(text).split())[:limit]


def _status(value, what: str) -> bool:
    status = _text(value).lower() or "firing"
    if status in ("firing", "trigger", "triggered", "alerting"):
        return True
    if status in ("resolved", "resolve", "ok"):
        return False
    raise BadAlert(f"{what}: status {capped(status, 40)!r} is not firing or resolved")


def alertmanager(payload, what: str = "alertmanager") -> Alert:
    """An Alertmanager (v4) or Grafana webhook body."""
    body = _obj(payload, what)
    key = _text(body.get("groupKey"))
    if not key:
        raise BadAlert(f"{what}: groupKey is missing")
    alerts = body.get("alerts")
    if not isinstance(alerts, list):
        raise BadAlert(f"{what}: alerts must be a list")
    alerts = [a for a in alerts if isinstance(a, dict)]
    firing = [a for a in alerts if _text(a.get("status")).lower() != "resolved"] or alerts
    first = firing[0] if firing else {}
    labels = first.get("labels") if isinstance(first.get("labels"), dict) else {}
    notes = first.get("annotations") if isinstance(first.get("annotations"), dict) else {}
    name = _text(labels.get("alertname")) or _text(body.get("title"))
    summary = _text(notes.get("summary")) or _text(notes.get("description")) or _text(body.get("message"))
    text = ": ".join(p for p in (name, summary) if p) or "alert"
    if len(firing) > 1:
        text += f" (+{len(firing) - 1} more)"
    return Alert(_clean(key, MAX_KEY), _status(body.get("status"), what), _clean(text, MAX_MESSAGE))


def generic(payload) -> Alert:
    body = _obj(payload, "alerts")
    summary = _text(body.get("summary"))
    if not summary:
        raise BadAlert("alerts: summary is missing")
    key = _text(body.get("dedup_key")) or summary
    return Alert(_clean(key, MAX_KEY), _status(body.get("status"), "alerts"), _clean(summary, MAX_MESSAGE))
