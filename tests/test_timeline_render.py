"""Issue 14 item 9: the SVG timeline is legible at 7, 14, 28 and 56 days, librsvg and
Chromium draw the same layout, colours meet WCAG AA, a person keeps their colour and letter."""

from __future__ import annotations

import os
import shutil
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from conftest import BUNDLED, write_folder
from pngread import read_png

from oncall.picture import DIM_INK, GAP_COLOURS, INK, PALETTE, PAPER, colours, contrast

NS = "{http://www.w3.org/2000/svg}"
SPANS = (7, 14, 28, 56)
CHROMIUM_FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync")
TOLERANCE = 3  # pixels: anti-aliasing and glyph hinting differ a little between renderers


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        if os.environ.get("CI"):
            pytest.fail(f"{name} is missing (.ci/run installs it with apt-get)")
        pytest.skip(f"{name} not installed (Debian: librsvg2-bin, chromium); CI installs it")
    return path


def _svg(cli, tmp_path: Path, days: int, *extra: str, folder: Path = BUNDLED) -> Path:
    out = tmp_path / f"t{days}{'-'.join(extra)}.svg"
    r = cli("timeline", "--dir", str(folder), "--from", "2027-01-04T00:00", "--tz", "America/New_York",
            "--days", str(days), *extra, "--svg", str(out))
    assert r.code == 0, r.err
    return out


def _size(svg: Path) -> tuple[int, int]:
    root = ET.parse(svg).getroot()
    return int(root.get("width")), int(root.get("height"))


def _rsvg(svg: Path) -> list:
    png = svg.with_suffix(".rsvg.png")
    subprocess.run([_tool("rsvg-convert"), str(svg), "-o", str(png)], check=True, timeout=60)
    return read_png(png)


def _chromium(svg: Path) -> list:
    exe = _tool("chromium")
    png = svg.with_suffix(".chromium.png")
    profile = svg.parent / f"profile-{svg.stem}"
    profile.mkdir()
    w, h = _size(svg)
    subprocess.run([exe, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", f"--screenshot={png}",
                    f"--window-size={w},{h}", svg.as_uri()], check=True, timeout=120, capture_output=True)
    return read_png(png)


def _ink(pixel: tuple[int, int, int]) -> bool:
    return min(pixel) < 200


def _segments(img: list, top: int, bottom: int, width: int) -> list[tuple[int, int]]:
    """Runs of columns holding ink between rows ``top`` and ``bottom``, split by 7+ blank
    columns (a space between words; the letters of a word sit closer)."""
    inked = [any(_ink(img[y][x]) for y in range(top, bottom)) for x in range(width)]
    out: list[list[int]] = []
    for x, on in enumerate(inked):
        if on and out and x - out[-1][1] <= 7:
            out[-1][1] = x
        elif on:
            out.append([x, x])
    return [(a, b) for a, b in out]


def _bands(svg: Path) -> list[tuple[str, int, int]]:
    """The picture's horizontal bands (the title, the axis, each row): name, top, bottom pixel."""
    root = ET.parse(svg).getroot()
    out = [("title", 4, 22), ("days", 28, 44), ("hours", 46, 58)]
    for t in root.iter(NS + "text"):
        if t.get("font-weight") == "bold" and not t.get("class") and t.text != "!" and len(t.text) > 1:
            y = float(t.get("y"))
            if y > 60:
                out.append((t.text, int(y) - 15, int(y) + 5))
    return out


@pytest.mark.parametrize("days", SPANS)
def test_librsvg_and_chromium_draw_the_same_legible_layout(cli, tmp_path, days):
    """Same ink, band by band (title, day axis, hour axis, each row), within TOLERANCE; and
    each day label is drawn where the SVG says, with a blank stretch before the next."""
    svg = _svg(cli, tmp_path, days)
    w, h = _size(svg)
    a, b = _rsvg(svg), _chromium(svg)
    assert len(a) >= h and len(b) >= h and len(a[0]) >= w and len(b[0]) >= w
    for name, top, bottom in _bands(svg):
        sa, sb = _segments(a, top, bottom, w), _segments(b, top, bottom, w)
        assert len(sa) == len(sb), (name, sa, sb)
        for (a0, a1), (b0, b1) in zip(sa, sb, strict=True):
            assert abs(a0 - b0) <= TOLERANCE and abs(a1 - b1) <= TOLERANCE, (name, sa, sb)
    _labels_never_touch(svg, w, (a, b))


def _labels_never_touch(svg: Path, w: int, images) -> None:
    labels = [(float(t.get("x")), t.text) for t in ET.parse(svg).getroot().iter(NS + "text") if t.get("class") == "day"]
    assert len(labels) >= 4, labels  # enough to read the axis at every span
    assert len({t for _, t in labels}) == len(labels)  # no "0101…"
    for img in images:
        segs = _segments(img, 28, 44, w)
        starts = [a for a, _ in segs]
        for x, text in labels:
            assert any(abs(s - x) <= TOLERANCE for s in starts), (text, x, starts)
        for (x, text), (nx, _) in zip(labels, labels[1:], strict=False):
            ends = [b for a, b in segs if x - TOLERANCE <= a < nx - TOLERANCE]
            assert ends and max(ends) < nx - 3, (text, x, nx, segs)


def test_letters_and_labels_meet_wcag_aa_contrast():
    for bg, fg in (*PALETTE, GAP_COLOURS):
        assert contrast(bg, fg) >= 4.5, (bg, fg, contrast(bg, fg))
    for ink in (INK, DIM_INK):
        assert contrast(ink, PAPER) >= 4.5
    assert round(contrast("#000000", "#ffffff"), 2) == 21.0 and contrast("#777777", "#ffffff") < 4.5


def _legend(svg: Path) -> dict[str, tuple[str, str]]:
    """person id -> (swatch colour, letter), read from the SVG's legend."""
    elems = list(ET.parse(svg).getroot())
    out = {}
    for i, e in enumerate(elems):
        if e.tag == NS + "text" and e.text and e.text.endswith(")") and " (" in e.text:
            pid = e.text.rsplit(" (", 1)[1][:-1]
            out[pid] = (elems[i - 2].get("fill"), elems[i - 1].text)
    return out


def test_a_person_keeps_colour_and_letter_across_views_and_folders(cli, tmp_path):
    whole = _legend(_svg(cli, tmp_path, 14))
    one = _legend(_svg(cli, tmp_path, 7, "support"))
    by_person = _legend(_svg(cli, tmp_path, 28, "--by-person"))
    assert set(one) < set(whole) and len(set(by_person) & set(whole)) >= 8
    for view in (one, by_person):
        for pid in set(view) & set(whole):
            assert whole[pid] == view[pid], pid
    people = (BUNDLED / "people.toml").read_text()
    other = write_folder(tmp_path / "other", {"people.toml": people, "solo.toml": """
timezone = "UTC"
[[layer]]
name = "x"
members = ["lena", "kai"]
start = 2027-01-04T00:00:00
every = "1d"
"""})
    elsewhere = _legend(_svg(cli, tmp_path, 7, folder=other))
    for pid in ("lena", "kai"):
        assert elsewhere[pid][0] == whole[pid][0] == colours(pid)[0]
