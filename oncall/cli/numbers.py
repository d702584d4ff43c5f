"""Numbers typed on the command line: ASCII digits only, as a person reads them.

Click's INT and FLOAT convert with ``int()``/``float()``, which take any script's digits
(``int("５")`` is 5, ``float("٧")`` is 7.0) and, for FLOAT, ``nan`` and ``inf``. Counts, ids
and lengths typed here are the digits 0-9 (an optional sign; a fraction for ``--days``);
anything else is one usage line, exit 2, naming the option.
"""

from __future__ import annotations

from collections.abc import Callable

from ..errors import UsageError
from ..sanitize import capped

_LONGEST = 30  # characters: beyond any count or id; anything longer is out of range unread


def _digits(text: str) -> bool:
    return text.isascii() and text.isdigit()


def _is_whole(text: str) -> bool:
    return _digits(text[1:] if text[:1] in ("+", "-") else text)


def _is_decimal(text: str) -> bool:
    whole, _, fraction = (text[1:] if text[:1] in ("+", "-") else text).partition(".")
    return bool(whole or fraction) and all(_digits(part) for part in (whole, fraction) if part)


def whole(option: str, lo: int | None = None, hi: int | None = None) -> Callable[[object], int]:
    """A Typer ``parser`` for ``option``: an integer in ``[lo, hi]`` written in ASCII digits."""

    def parse(value: object) -> int:
        if isinstance(value, int):  # the declared default, already a number
            return value
        text = str(value).strip()
        if not _is_whole(text):
            raise UsageError(f"{option}: {capped(text)!r} is not a whole number (digits 0-9)")
        if len(text) > _LONGEST:  # int() refuses 4300+ digits with a hint about sys.set_int_max_str_digits
            raise UsageError(f"{option}: a number of {len(text)} digits is out of range ({_bounds(lo, hi)})")
        n = int(text)
        if (lo is not None and n < lo) or (hi is not None and n > hi):
            raise UsageError(f"{option}: {n} is out of range ({_bounds(lo, hi)})")
        return n

    return parse


def decimal(option: str, what: str = "a number") -> Callable[[object], float]:
    """A Typer ``parser`` for ``option``: a decimal number in ASCII digits (no exponent,
    no ``nan``/``inf``), ``what`` it is named in the refusal; its range is the command's
    to check."""

    def parse(value: object) -> float:
        if isinstance(value, (int, float)):
            return float(value)
        text = str(value).strip()
        if not _is_decimal(text):
            raise UsageError(f"{option}: {capped(text)!r} is not {what} (digits 0-9, optionally a fraction)")
        return float(text)

    return parse


def _bounds(lo: int | None, hi: int | None) -> str:
    if lo is not None and hi is not None:
        return f"{lo} to {hi}"
    return f"at least {lo}" if lo is not None else f"at most {hi}"
