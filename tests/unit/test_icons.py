"""The icons an installed ClipDesk carries: the hicolor layout and the package's own copy."""

from __future__ import annotations

from pathlib import Path

from tests.support.repo import APP_ID

ROOT = Path(__file__).resolve().parents[2]


def test_icons_in_the_hicolor_layout_and_in_the_package():
    from PIL import Image

    hicolor = ROOT / "packaging" / "icons" / "hicolor"
    for size in (48, 128, 256):
        png = hicolor / f"{size}x{size}" / "apps" / f"{APP_ID}.png"
        assert Image.open(png).size == (size, size)
    svg = hicolor / "scalable" / "apps" / f"{APP_ID}.svg"
    assert svg.read_text().lstrip().startswith("<?xml")
    icons = ROOT / "clipdesk" / "resources" / "icons"  # the window's icon: the same drawing
    assert (icons / "clipdesk.svg").read_bytes() == svg.read_bytes()
    assert (icons / "clipdesk-256.png").read_bytes() == (
        hicolor / "256x256" / "apps" / f"{APP_ID}.png"
    ).read_bytes()
