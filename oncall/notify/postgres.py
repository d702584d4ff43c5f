"""The notice store (``store.NoticeStore``) on PostgreSQL, chosen like the page store by
``ONCALL_DATABASE_URL=postgresql://…``: the tables of schema version 4 (``paging.schema``)
in the fleet's one database, the operations of ``rules``. Connections, outages
(``StoreUnavailable``) and migrations under an advisory lock are the page store's
(``paging.postgres.PostgresStore``). So every instance of a fleet sees one notice log,
and a notice is sent by exactly one of them.

Announcing a change takes a transaction-scoped advisory lock per person: the snapshot row
may not exist yet (nothing to lock ``FOR UPDATE``), and two runs must not both read the
old snapshot.
"""

from __future__ import annotations

from ..paging.postgres import PostgresStore
from .rules import NoticeRules


class PostgresNotices(NoticeRules, PostgresStore):
    _LOCK_PERSON = "SELECT pg_advisory_xact_lock(hashtextextended('oncall-notice:' || ?, 0))"
