"""Text from files, flags and alerts made safe for where it goes.

Three destinations, three rules, one module:

* ``xml_safe``: TwiML, SVG, iCalendar and SMS bodies. ANSI escape sequences (coloured
  text from a script) are removed whole; every other character XML 1.0 forbids (C0
  controls but tab, newline and carriage return; U+FFFE, U+FFFF; lone surrogates) is
  dropped. C1 controls are dropped too: no reader shows them and some choke on them.
* ``terminal_safe``: anything printed to a terminal. Control characters (C0, DEL, C1),
  line and paragraph separators and bidirectional overrides become visible escapes
  (``\\x1b``, ``\\u2028``), so a name cannot clear the screen, forge a second line or
  reorder what the reader sees. One problem is one line.
* ``capped``, ``quoted``: user text in messages, cut to a bound with an ellipsis and the
  length, so a 10 MB string is never echoed whole.

Pure functions: no I/O, no clock.
"""

from __future__ import annotations

import re
from functools import cache

# Compiled on first use (``_compiled``): a command that never needs one, as `oncall now`
# needs none, does not pay for compiling it.
_ANSI = r"\x1b(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)?|[@-Z\\-_])"
_XML_FORBIDDEN = "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ufffe\uffff\ud800-\udfff]"
_TERMINAL_UNSAFE = "[\x00-\x1f\x7f-\x9f\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069\ufeff]"

CAP = 200


@cache
def _compiled(pattern: str) -> re.Pattern:
    return re.compile(pattern)


def xml_safe(text: str) -> str:
    """``text`` with ANSI sequences removed and every XML-1.0-forbidden character dropped."""
    if text.isprintable():  # what is removed starts with or is a non-printable character
        return text
    return _compiled(_XML_FORBIDDEN).sub("", _compiled(_ANSI).sub("", text))


def _visible(m: re.Match) -> str:
    code = ord(m.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def terminal_safe(text: str) -> str:
    """``text`` with every control, separator and bidi character written as a visible escape."""
    if text.isprintable():  # every character escaped is non-printable: most text has none
        return text
    return _compiled(_TERMINAL_UNSAFE).sub(_visible, text)


def capped(text: str, limit: int = CAP) -> str:
    """``text`` cut to ``limit`` characters, saying how long it was when cut."""
    if len(text) <= limit:
        return text
    return f"{text[:limit]}… ({len(text)} characters)"


def quoted(text: str, limit: int = CAP) -> str:
    """``text`` quoted for a message as ``repr`` does (so controls, separators and bidi
    characters show as escapes), cut to ``limit`` characters with the length said after."""
    if len(text) <= limit:
        return repr(text)
    return f"{text[:limit]!r}… ({len(text)} characters)"
