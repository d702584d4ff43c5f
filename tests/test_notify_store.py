"""The notice store under concurrency, on both backends (``store_url``): each thread has its
own store (its own connection, as separate processes or hosts would), and all start
together at a barrier. Exactly once must come from the database, not from timing."""

from __future__ import annotations

import threading
import uuid
from datetime import datetime, timezone

from oncall.notify.plan import Notice
from oncall.notify.store import SENDING, open_notices

T0 = datetime(2026, 3, 16, 8, 1, tzinfo=timezone.utc)
RACERS = 8


def _race(work) -> list:
    """``work(store)`` in ``RACERS`` threads at once; their results."""
    stores = [open_notices() for _ in range(RACERS)]
    barrier, results, errors = threading.Barrier(RACERS, timeout=30), [], []

    def go(store):
        try:
            barrier.wait()
            results.append(work(store))
        except Exception as e:  # noqa: BLE001 - reported below, with the others
            errors.append(e)

    threads = [threading.Thread(target=go, args=(s,)) for s in stores]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    for s in stores:
        s.close()
    assert not errors and len(results) == RACERS, errors
    return results


def test_racing_claims_of_one_notice_give_it_to_exactly_one(store_url):
    reminder = Notice("remind:ops:alice:2026-03-16T09:00:1h", "reminder", "alice", "ops", T0, None, "s", "b")
    assert sorted(_race(lambda s: s.claim(reminder, "email", T0))) == [False] * (RACERS - 1) + [True]
    store = open_notices()
    assert store.status(reminder.key) == SENDING and [n["tries"] for n in store.notices()] == [1]
    store.close()


def test_racing_announcements_of_one_change_store_one_notice(store_url):
    before, after = {"ops": [["2026-03-09", "2026-03-16"]]}, {"ops": [["2026-03-09", "2026-03-12"]]}
    store = open_notices()
    assert store.announce("bob", before, T0, lambda previous: None) is None
    store.close()

    def diff(previous):  # a fresh key each call: only the store's lock can keep this to one notice
        if previous == after:
            return None
        return Notice(f"change:bob:{uuid.uuid4()}", "change", "bob", "ops", T0, None, "changed", "moved")

    announced = [n for n in _race(lambda s: s.announce("bob", after, T0, diff)) if n is not None]
    assert len(announced) == 1
    store = open_notices()
    assert [n.key for n in store.pending(T0)] == [announced[0].key] and store.snapshot("bob") == after
    store.close()
