"""The three text rules of oncall.sanitize: XML-safe, terminal-safe, capped."""

import xml.etree.ElementTree as ET

from hypothesis import given
from hypothesis import strategies as st

from oncall.sanitize import capped, terminal_safe, xml_safe


def test_ansi_colour_is_removed_whole():
    assert xml_safe("\x1b[31mCRITICAL\x1b[0m disk") == "CRITICAL disk"


@given(st.text())
def test_xml_safe_text_always_parses(text):
    ET.fromstring(f"<Say>{xml_safe(text).replace('&', '&amp;').replace('<', '&lt;')}</Say>")


def test_terminal_safe_makes_controls_visible():
    assert terminal_safe("a\x1b[2Jb\nc\u2028") == "a\\x1b[2Jb\\x0ac\\u2028"


@given(st.text())
def test_terminal_safe_is_one_line_without_controls(text):
    out = terminal_safe(text)
    assert "\n" not in out and "\r" not in out and "\x1b" not in out


def test_capped_names_the_length():
    assert capped("x" * 300) == "x" * 200 + "… (300 characters)"
    assert capped("short") == "short"
