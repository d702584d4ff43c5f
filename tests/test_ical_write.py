"""``oncall.ical_write`` escapes and folds exactly as ``icalendar`` does (its own loops are
the slow part of ``export --all``, issue 16): compared on random text, no clock."""

from __future__ import annotations

import random

import pytest
from icalendar.parser import Contentline
from icalendar.prop import vText

from oncall import ical_write

ALPHABET = "ab Z09:;,\\^\"\n\r\tN"


def _texts(seed: int, count: int, alphabet: str = ALPHABET) -> list[str]:
    rng = random.Random(seed)
    return ["".join(rng.choice(alphabet) for _ in range(rng.randint(0, 400))) for _ in range(count)]


def test_text_escapes_as_vtext_does_around_a_literal_backslash_n():
    for value in _texts(1, 2000):
        expected = "\\\\N".join(vText(p).to_ical().decode() for p in value.replace("\t", "").split("\\N"))
        assert ical_write.text(value.replace("\t", "")) == expected, repr(value)


@pytest.mark.parametrize("alphabet", [ALPHABET.replace("\n", "").replace("\r", ""), "\\^x", "éa\\☃ b"],
                         ids=["ascii", "escapes", "non-ascii"])
def test_line_folds_as_contentline_does(alphabet):
    for value in _texts(2, 2000, alphabet):
        expected = (Contentline(value).to_ical() if len(value.encode()) > 75 else value.encode()) + b"\r\n"
        assert ical_write.line(value) == expected, repr(value)


def test_fold_start_leaves_a_line_folded_as_it_would_be_with_any_ending():
    rng = random.Random(3)
    alphabet = ALPHABET.replace("\n", "").replace("\r", "")
    for content in _texts(4, 1500, alphabet):
        done, rest = ical_write.fold_start(content)
        for _ in range(3):
            more = "".join(rng.choice(alphabet) for _ in range(rng.randint(1, 90)))
            whole = ical_write.folded(content + more)
            if done:
                assert whole == done + ical_write._fold_ascii(rest + more) + "\r\n", repr(content + more)
            else:
                assert rest == content and whole == ical_write.folded(rest + more)
