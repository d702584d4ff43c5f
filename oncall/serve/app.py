"""The ASGI app (Starlette): intake, Twilio callbacks, health and metrics.

Answers: 2xx for an accepted alert and for a duplicate (Alertmanager retries 5xx, and a
duplicate is not a fault); 400 for a body that retrying cannot fix; 401 without the
intake token; 403 for a callback whose ``X-Twilio-Signature`` does not match; 404 for an
unknown rotation; 413 over ``MAX_BODY``; 503 when the store or the rotation files cannot
be read (transient: fixing them helps, so Alertmanager's retry is welcome).
"""

from __future__ import annotations

import asyncio
import base64
import hmac
import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import parse_qsl

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from ..errors import StoreError
from ..paging.store import ACKNOWLEDGED, RESOLVED, TRIGGERED, IncidentStore
from . import intake
from .twilio_hooks import Signatures, failed_delivery, message_twiml, parse_sms, say_twiml

REQUEST_TIMEOUT = 30.0  # seconds for a whole request, body included
MAX_BODY = 1 << 20  # 1 MiB: an Alertmanager group of hundreds of alerts fits
log = logging.getLogger("oncall.serve")


class TooLarge(Exception):
    pass


@dataclass
class Config:
    store: IncidentStore
    load: Callable  # rotation id -> Directory (raises on a broken folder)
    now: Callable[[], datetime]
    token: str | None
    public_url: str
    signatures: Signatures
    metrics: object
    wake: Callable[[], None] = lambda: None  # tell the stepper something became due


def _xml(doc: str, status: int = 200) -> Response:
    return Response(doc, status, media_type="application/xml")


async def _body(request: Request) -> bytes:
    size = int(request.headers.get("content-length") or 0)
    if size > MAX_BODY:
        raise TooLarge
    chunks, total = [], 0
    async for chunk in request.stream():
        total += len(chunk)
        if total > MAX_BODY:
            raise TooLarge
        chunks.append(chunk)
    return b"".join(chunks)


def _authorized(request: Request, token: str | None) -> bool:
    """Bearer ``token``, or Basic auth whose password (or user, for tools with one field)
    is ``token``. Without a configured token (loopback only) intake is open."""
    if not token:
        return True
    scheme, _, value = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() == "bearer":
        return hmac.compare_digest(value.strip().encode(), token.encode())
    if scheme.lower() == "basic":
        try:
            user, _, password = base64.b64decode(value.strip()).decode().partition(":")
        except (ValueError, UnicodeDecodeError):
            return False
        return hmac.compare_digest(password.encode(), token.encode()) or hmac.compare_digest(
            user.encode(), token.encode())
    return False


async def alert(request: Request) -> Response:
    cfg = request.app.state.cfg
    source = request.url.path.split("/")[2]
    rotation = request.path_params["rotation"]
    if not _authorized(request, cfg.token):
        cfg.metrics.alerts.labels(source, "unauthorized").inc()
        return JSONResponse({"error": "missing or wrong intake token"}, 401,
                            headers={"WWW-Authenticate": 'Bearer realm="oncall"'})
    try:
        payload = json.loads(await _body(request) or b"null")
        parsed = intake.generic(payload) if source == "alerts" else intake.alertmanager(payload, source)
    except TooLarge:
        return JSONResponse({"error": f"body over {MAX_BODY} bytes"}, 413)
    except (ValueError, intake.BadAlert) as e:
        cfg.metrics.alerts.labels(source, "bad").inc()
        return JSONResponse({"error": str(e).splitlines()[0][:300]}, 400)
    try:
        d = cfg.load(rotation)
    except Exception as e:  # noqa: BLE001 - any reading fault is a 503 Alertmanager retries
        return JSONResponse({"error": f"rotation files unreadable: {str(e).splitlines()[0][:300]}"}, 503)
    if rotation not in d.rotations:
        return JSONResponse({"error": f"no rotation {rotation!r}"}, 404)
    # In a worker thread: a store that waits for its database must not stall the other requests.
    return await asyncio.to_thread(_apply, cfg, source, rotation, parsed)


async def sms(request: Request) -> Response:
    cfg = request.app.state.cfg
    form = await _signed(request)
    if form is None:
        return Response("invalid signature", 403)
    phone, command = form.get("From", ""), parse_sms(form.get("Body", ""))
    if command.action in ("stop", "start"):
        cfg.store.set_opt_out(phone, command.action == "stop", cfg.now())
        return _xml(message_twiml(None))  # Twilio itself answers opt-out keywords
    return _xml(message_twiml(sms_reply(cfg, phone, command)))


async def status(request: Request) -> Response:
    cfg = request.app.state.cfg
    form = await _signed(request)
    if form is None:
        return Response("invalid signature", 403)
    aid = _int(request.query_params.get("attempt"))
    state = form.get("MessageStatus") or form.get("CallStatus") or ""
    answered = form.get("AnsweredBy")
    attempt = cfg.store.attempt(aid) if aid else None
    if attempt is None:
        return Response(status_code=204)
    if answered == "human" and state == "completed" and attempt["channel"] == "voice":
        cfg.store.acknowledge(attempt["incident_id"], attempt["person"], cfg.now())
    failed = failed_delivery(state, answered)
    if cfg.store.delivery(aid, state + (f" ({answered})" if answered else ""), _int(form.get("ErrorCode")),
                          failed, cfg.now()):
        cfg.wake()
    return Response(status_code=204)


async def voice(request: Request) -> Response:
    cfg = request.app.state.cfg
    form = await _signed(request)
    if form is None:
        return Response("invalid signature", 403)
    attempt = cfg.store.attempt(_int(request.query_params.get("attempt")) or 0)
    if attempt is None:
        return _xml(say_twiml("This incident is unknown. Goodbye."))
    iid, digit = attempt["incident_id"], form.get("Digits", "")
    if digit == "1":
        was = cfg.store.acknowledge(iid, attempt["person"], cfg.now())
        text = {TRIGGERED: f"Incident {iid} acknowledged. Goodbye."}.get(was, f"Incident {iid} is already {was}.")
        return _xml(say_twiml(text))
    if digit == "9":
        if cfg.store.escalate_now(iid, cfg.now()):
            cfg.wake()
        return _xml(say_twiml(f"Escalating incident {iid} now. Goodbye."))
    return _xml(say_twiml("Goodbye."))


async def _signed(request: Request) -> dict | None:
    cfg = request.app.state.cfg
    try:
        form = dict(parse_qsl((await _body(request)).decode(), keep_blank_values=True))
    except (TooLarge, UnicodeDecodeError):
        return None
    url = cfg.public_url.rstrip("/") + request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return form if cfg.signatures.valid(url, form, request.headers.get("x-twilio-signature")) else None


async def healthz(request: Request) -> Response:
    cfg = request.app.state.cfg
    try:
        await asyncio.to_thread(cfg.store.ping)
    except Exception as e:  # noqa: BLE001
        return JSONResponse({"ok": False, "store": str(e)[:200]}, 503)
    return JSONResponse({"ok": True})


async def metrics(request: Request) -> Response:
    from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

    cfg = request.app.state.cfg
    cfg.metrics.open_incidents.set(cfg.store.open_count())
    return Response(generate_latest(cfg.metrics.registry), media_type=CONTENT_TYPE_LATEST)


async def store_unavailable(request: Request, exc: StoreError) -> Response:
    """A store outage is transient: 503 (Alertmanager retries it), one log line."""
    log.warning("%s %s: store unavailable: %s", request.method, request.url.path, exc)
    return JSONResponse({"error": f"store unavailable: {str(exc)[:300]}"}, 503)


def build(cfg: Config) -> Starlette:
    routes = [Route(f"/v1/{kind}/{{rotation}}", alert, methods=["POST"]) for kind in ("alertmanager", "grafana",
                                                                                       "alerts")]
    routes += [Route("/v1/twilio/sms", sms, methods=["POST"]), Route("/v1/twilio/status", status, methods=["POST"]),
               Route("/v1/twilio/voice", voice, methods=["POST"]), Route("/healthz", healthz),
               Route("/metrics", metrics)]
    app = Starlette(routes=routes, exception_handlers={StoreError: store_unavailable})
    app.state.cfg = cfg
    app.add_middleware(AccessLog)
    return app


def _apply(cfg: Config, source: str, rotation: str, alert: intake.Alert) -> Response:
    now = cfg.now()
    if alert.firing:
        iid, duplicate = cfg.store.open(rotation, alert.dedup_key, source, alert.message, now)
        cfg.metrics.alerts.labels(source, "duplicate" if duplicate else "opened").inc()
        if not duplicate:
            cfg.wake()
        return JSONResponse({"incident": iid, "result": "duplicate" if duplicate else "opened"},
                            200 if duplicate else 202)
    iid = cfg.store.find_open(rotation, alert.dedup_key)
    if iid is None:
        cfg.metrics.alerts.labels(source, "resolved-unknown").inc()
        return JSONResponse({"incident": None, "result": "nothing open"}, 200)
    cfg.store.resolve(iid, f"{source} (resolved)", now)
    cfg.metrics.alerts.labels(source, "resolved").inc()
    return JSONResponse({"incident": iid, "result": "resolved"}, 200)


def sms_reply(cfg: Config, phone: str, command) -> str:
    """What an inbound ``ack``/``resolve`` did, in one SMS line."""
    if command.action == "unknown":
        return "Not understood. Reply ACK or RESOLVE, optionally with the incident number (ACK 42)."
    mine = cfg.store.paged_to(phone)
    if command.incident is None:
        open_ = [i for i in mine if cfg.store.state(i) != RESOLVED]
        if not open_:
            return "No open incident was paged to this phone."
        iid = open_[0]
    else:
        iid = command.incident
        if cfg.store.state(iid) is None:
            return f"No incident #{iid}."
        if iid not in mine:
            return f"Incident #{iid} was not paged to this phone: refused."
    who = cfg.store.person_paged(iid, phone) or phone
    move = cfg.store.acknowledge if command.action == "ack" else cfg.store.resolve
    was = move(iid, who, cfg.now())
    done = "acknowledged" if command.action == "ack" else "resolved"
    if was == RESOLVED:
        return f"Incident #{iid} is already resolved."
    if was == ACKNOWLEDGED and command.action == "ack":
        return f"Incident #{iid} is already acknowledged."
    return f"Incident #{iid} {done} by {who}. Escalation stopped."


def _int(value) -> int | None:
    try:
        return int(value) if value not in (None, "") else None
    except ValueError:
        return None


class AccessLog:
    """One JSON line per request: method, path (no query, no headers: no token leaks),
    status and milliseconds. A request that takes over ``REQUEST_TIMEOUT`` (a client
    trickling its body) is cut off with 408."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        start, status, started = time.perf_counter(), [500], [False]

        async def capture(message):
            if message["type"] == "http.response.start":
                status[0], started[0] = message["status"], True
            await send(message)

        try:
            await asyncio.wait_for(self.app(scope, receive, capture), REQUEST_TIMEOUT)
        except asyncio.TimeoutError:
            if not started[0]:
                status[0] = 408
                await send({"type": "http.response.start", "status": 408, "headers": []})
                await send({"type": "http.response.body", "body": b"request timeout"})
        finally:
            log.info(json.dumps({"method": scope["method"], "path": scope["path"], "status": status[0],
                                 "ms": round((time.perf_counter() - start) * 1000, 1),
                                 "client": (scope.get("client") or ["?"])[0]}))
