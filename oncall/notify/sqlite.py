"""The notice store (``store.NoticeStore``) in the page log's SQLite file: the tables of
schema version 4 (``paging.schema``), the operations of ``rules``. Locking, waiting,
migrating and file permissions are the page store's (``paging.sqlite.SQLiteStore``);
its write transactions (``BEGIN IMMEDIATE``) exclude every other writer, so nothing more
is locked here.
"""

from __future__ import annotations

from ..paging.sqlite import SQLiteStore
from .rules import NoticeRules


class SQLiteNotices(NoticeRules, SQLiteStore):
    pass
