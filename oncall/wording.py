"""How counts and lengths read in text meant for people (tables, messages, notices).

* ``plural(n, "rotation")``: ``1 rotation``, ``2 rotations`` (``many`` for an irregular
  plural: ``plural(n, "person", "people")``).
* ``rounded_duration(d)``: a length as a person reads it, rounded, never to the second:
  under a day to the minute (``45m``, ``5h``, ``5h 30m``), from a day on to the hour
  (``1d``, ``5d 19h``, ``16d 14h``: days, not weeks, so no sum is needed); a length
  above zero that rounds to nothing is ``<1m``. Halves round up. Text that is read back
  as a duration (a file's ``every``, a suggested ``--every``, a bound in an error
  message) is exact instead: ``timeline.format_duration``. JSON carries exact numbers.

Pure functions: no I/O, no clock.
"""

from __future__ import annotations

from datetime import timedelta
from functools import lru_cache

MINUTE, HOUR, DAY = 60, 3600, 86400


def plural(n: int, word: str, many: str | None = None) -> str:
    """``n`` and ``word``, in the plural unless ``n`` is 1."""
    return f"{n} {word if n == 1 else many or word + 's'}"


@lru_cache(maxsize=1024)  # a listing of shifts has few lengths and many rows
def rounded_duration(d: timedelta) -> str:
    """``d`` rounded for reading: to the minute under a day, to the hour from a day on."""
    seconds = d.total_seconds()
    if seconds < 0:
        return "-" + rounded_duration(-d)
    minutes = int(seconds / MINUTE + 0.5)
    if minutes == 0:
        return "<1m" if seconds > 0 else "0m"
    if minutes < DAY // MINUTE:
        h, m = divmod(minutes, 60)
        return " ".join(part for part in (f"{h}h" if h else "", f"{m}m" if m else "") if part)
    days, h = divmod(int(seconds / HOUR + 0.5), 24)
    return f"{days}d {h}h" if h else f"{days}d"
