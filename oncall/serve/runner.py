"""Runs the service: uvicorn, the stepper loop, metrics, graceful shutdown.

SIGTERM (uvicorn's handler) stops accepting connections, lets in-flight requests finish
(up to ``GRACE`` seconds), then stops the stepper after the step it is running, if any:
timers stay in the store for the next start.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import logging
import sys
import time
from collections.abc import Callable
from datetime import datetime

from ..errors import StoreError, UsageError

GRACE = 10  # seconds in-flight requests get after SIGTERM
log = logging.getLogger("oncall.serve")


def parse_listen(text: str) -> tuple[str, int]:
    host, sep, port = text.rpartition(":")
    if not sep or not port.isdigit() or not 0 < int(port) < 65536 or not host:
        raise UsageError(f"--listen: {text!r} is not HOST:PORT (e.g. 127.0.0.1:8080)")
    return host.strip("[]"), int(port)


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def cached_loader(root) -> Callable:
    """``rotation -> Directory``, read again only when a TOML file of the folder changed
    (by name, size or mtime): edits take effect at the next alert or step, without
    re-parsing the folder for each of them."""
    import os

    from ..load import load_directory

    cache: dict[str, tuple[tuple, object]] = {}

    def stamp() -> tuple:
        with os.scandir(root) as entries:
            return tuple(sorted((e.name, e.stat().st_size, e.stat().st_mtime_ns) for e in entries
                                if e.name.endswith(".toml")))

    def load(rotation: str):
        key = stamp()
        hit = cache.get(rotation)
        if hit is None or hit[0] != key:
            if len(cache) > 1000:
                cache.clear()
            cache[rotation] = hit = (key, load_directory(root, [rotation]))
        return hit[1]

    return load


class Metrics:
    """The service's Prometheus metrics, in their own registry."""

    def __init__(self):
        from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

        self.registry = r = CollectorRegistry()
        self.sent = Counter("oncall_pages_sent", "Sends Twilio accepted", ["channel"], registry=r)
        self.failed = Counter("oncall_pages_failed", "Sends Twilio refused or could not take", ["channel"],
                              registry=r)
        self.alerts = Counter("oncall_alerts", "Alerts received", ["source", "result"], registry=r)
        self.open_incidents = Gauge("oncall_open_incidents", "Incidents not resolved", registry=r)
        self.step_latency = Histogram("oncall_step_latency_seconds", "How late a due step fired", registry=r,
                                      buckets=(0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60))


def serve(listen: str, public_url: str | None, load: Callable, now: Callable[[], datetime], tick: float,
          token: str | None, tokens: list[str], notices: tuple[Callable[[], int], float] | None = None) -> None:
    """Run until SIGTERM/SIGINT. ``notices``: a notify run and the seconds between runs."""
    import uvicorn

    from ..paging.store import open_store
    from .app import Config, build
    from .engine import Stepper, callback_pager
    from .twilio_hooks import Signatures

    host, port = parse_listen(listen)
    if not token and not is_loopback(host):
        raise UsageError(f"--listen {listen}: not a loopback address, so ONCALL_INTAKE_TOKEN must be set")
    logging.basicConfig(stream=sys.stderr, level=logging.INFO, format="%(asctime)sZ %(name)s %(message)s")
    logging.Formatter.converter = time.gmtime
    logging.getLogger("twilio").setLevel(logging.WARNING)  # the SDK logs every request's headers at INFO
    logging.getLogger("psycopg.pool").setLevel(logging.ERROR)  # a warning per reconnection try; we say it once
    public = (public_url or f"http://{listen}").rstrip("/")
    store, metrics = open_store(pooled=True), Metrics()
    pager = callback_pager(public)
    stepper = Stepper(store, load, pager, now, public, metrics)
    if not token:
        log.warning("ONCALL_INTAKE_TOKEN is not set: intake is open to anyone who can reach %s", listen)
    if not tokens:
        log.warning("TWILIO_AUTH_TOKEN is not set: every Twilio callback will be refused (403)")
    wake = asyncio.Event()
    cfg = Config(store, load, now, token, public, Signatures(tokens), metrics, wake.set)
    app = build(cfg)
    app.router.lifespan_context = _lifespan(stepper, wake, tick, notices)
    config = uvicorn.Config(app, host=host, port=port, log_config=None, access_log=False, timeout_keep_alive=5,
                            timeout_graceful_shutdown=GRACE, limit_concurrency=500, server_header=False)
    uvicorn.Server(config).run()


def _lifespan(stepper, wake: asyncio.Event, tick: float, notices: tuple[Callable[[], int], float] | None = None):
    @contextlib.asynccontextmanager
    async def lifespan(app):
        stop = asyncio.Event()
        tasks = [asyncio.create_task(_loop(stepper, wake, stop, tick))]
        log.info("stepper %s running due steps every %.1fs", stepper.owner, tick)
        if notices:
            tasks.append(asyncio.create_task(every(*notices, stop)))
            log.info("sending due notices every %.0fs", notices[1])
        try:
            yield
        finally:
            stop.set()
            wake.set()
            await asyncio.gather(*tasks)
    return lifespan


async def every(job: Callable[[], int], seconds: float, stop: asyncio.Event) -> None:
    """``job()`` in a worker thread, then again ``seconds`` later, until ``stop``; a
    failing run is logged and the next one comes as usual."""
    said = None  # a store refusal (an outage) is said once, not per run
    while not stop.is_set():
        try:
            await asyncio.to_thread(job)
            said = None
        except StoreError as e:
            if str(e) != said:
                log.error("sending due notices failed, trying again every %.0fs: %s", seconds, e)
                said = str(e)
        except Exception:  # noqa: BLE001 - a bad edit or a store fault must not stop the service
            log.exception("sending due notices failed; trying again in %.0fs", seconds)
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(stop.wait(), seconds)


async def _loop(stepper, wake: asyncio.Event, stop: asyncio.Event, tick: float) -> None:
    down: str | None = None  # why the store was unreachable at the last try
    while not stop.is_set():
        try:
            await asyncio.to_thread(stepper.run_due)
            if down is not None:
                log.warning("store reachable again: running due steps")
                down = None
        except StoreError as e:  # an outage (a database restart): one line, the steps wait in the store
            if down != str(e):
                log.error("store unavailable, due steps wait until it is back: %s", e)
                down = str(e)
        except Exception:  # noqa: BLE001 - a store fault must not stop escalation for good
            log.exception("running due steps failed; retrying")
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(wake.wait(), tick)
        wake.clear()
