"""What a page says: SMS segment limits (GSM-7 vs UCS-2) and XML-safe TwiML."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import timedelta

from oncall.paging.text import is_gsm, segments, sms_body, twiml, units


def test_short_message_is_one_gsm_segment():
    body = sms_body("platform", 42, "db down")
    assert body == "[platform #42] db down - Reply ACK to acknowledge"
    assert is_gsm(body) and segments(body) == 1


def test_gsm_limits_160_then_153_per_segment_and_extension_chars_count_twice():
    assert segments("a" * 160) == 1 and segments("a" * 161) == 2 and segments("a" * 306) == 2
    assert segments("a" * 307) == 3
    assert segments("{" * 80) == 1 and segments("{" * 81) == 2


def test_ucs2_limits_70_then_67_and_emoji_take_two_units():
    assert segments("é" + "ж" * 69) == 1 and segments("ж" * 71) == 2
    assert segments("😀" * 35) == 1 and segments("😀" * 36) == 2


def test_long_gsm_message_is_trimmed_to_three_segments_keeping_the_ack_hint():
    body = sms_body("platform", 7, "x" * 2000)
    assert segments(body) == 3 and units(body, gsm=True) == 459  # "[" and "]" take two septets
    assert body.endswith("... - Reply ACK to acknowledge") and body.startswith("[platform #7] xxx")


def test_long_unicode_message_is_trimmed_to_three_ucs2_segments():
    body = sms_body("platform", 7, "Ошибка базы данных 🔥 " * 50)
    assert not is_gsm(body) and segments(body) == 3
    assert body.endswith("… - Reply ACK to acknowledge")


def test_twiml_reads_the_message_twice_and_escapes_names():
    doc = twiml('Ops <&"> team', 3, "disk </Say> & full")
    root = ET.fromstring(doc)
    says = [s.text for s in root.iter("Say")]
    assert says[0] == 'Page 3 from on-call rotation Ops <&"> team. disk </Say> & full'
    assert says[1] == "Again. " + says[0]


COLOURED = "\x1b[31mCRITICAL\x1b[0m db-1\x00 down\x07"
SHADY_NAME = "Ops\x1b]0;pwned\x07 \x1b[2Jteam\x0b"


def _controls(text: str) -> set[str]:
    return {c for c in text if (ord(c) < 0x20 and c not in "\t\n\r") or 0x7F <= ord(c) <= 0x9F}


def test_control_characters_never_reach_twiml_or_sms():
    """Issue 15 item 2: coloured script output and an ESC in a rotation name."""
    doc = twiml(SHADY_NAME, 4, COLOURED)
    root = ET.fromstring(doc)  # well-formed XML, or this raises
    assert not _controls(doc)
    assert [s.text for s in root.iter("Say")][0] == "Page 4 from on-call rotation Ops team. CRITICAL db-1 down"
    body = sms_body(SHADY_NAME, 4, COLOURED)
    assert body == "[Ops team #4] CRITICAL db-1 down - Reply ACK to acknowledge" and not _controls(body)


def test_control_characters_from_a_rotation_file_never_reach_the_pager(tmp_path):
    """The same through the engine: the name comes from TOML (``\\u001b``), the message from a script."""
    from conftest import write_folder
    from test_paging import PEOPLE, T0

    from oncall.load import load_directory
    from oncall.paging.escalation import Escalation
    from oncall.paging.fake import FakeClock, FakePager
    from oncall.paging.sqlite import SQLiteStore

    ops = ('name = "Ops \\u001b[2J\\u001b]0;x\\u0007team"\ntimezone = "UTC"\n[[layer]]\nname = "w"\n'
           'members = ["alice"]\nstart = 2026-01-05T09:00:00\nevery = "1w"\n[[escalation]]\nwho = "ops"\n'
           'wait = "1m"\n')
    d = load_directory(write_folder(tmp_path / "rot", {"people.toml": PEOPLE, "ops.toml": ops}))
    clock = FakeClock(T0)
    pager = FakePager(clock)
    log = SQLiteStore(tmp_path / "pages.sqlite3")
    page_id, _ = log.open_page("ops", COLOURED, T0, T0 + timedelta(hours=1), None, timedelta(hours=1))
    Escalation(d, pager, log, clock.now, clock.sleep).run(page_id, d.rotations["ops"].steps, COLOURED,
                                                          label="ops", name=d.rotations["ops"].name)
    sent = {kind: text for kind, _, text in pager.log}
    assert set(sent) == {"sms", "voice"}
    assert not _controls(sent["sms"]) and not _controls(sent["voice"])
    ET.fromstring(sent["voice"])
    assert "Ops team. CRITICAL db-1 down" in sent["voice"]
