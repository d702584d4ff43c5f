"""What a page says: SMS segment limits (GSM-7 vs UCS-2) and XML-safe TwiML."""

from __future__ import annotations

import xml.etree.ElementTree as ET

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
