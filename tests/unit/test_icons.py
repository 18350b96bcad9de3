"""The icons an installed ClipDesk carries: one copy, in the hicolor layout, package data."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from tests.support.repo import APP_ID

ROOT = Path(__file__).resolve().parents[2]


def test_icons_in_the_hicolor_layout_and_in_the_package():
    from PIL import Image

    hicolor = ROOT / "resources" / "icons" / "hicolor"  # the .desktop file's Icon= name
    for size in (48, 128, 256):
        png = hicolor / f"{size}x{size}" / "apps" / f"{APP_ID}.png"
        assert Image.open(png).size == (size, size)
    svg = hicolor / "scalable" / "apps" / f"{APP_ID}.svg"
    assert svg.read_text().lstrip().startswith("<?xml")
    # The same files, found as package data (the window's icon, the bundle's).
    packaged = resources.files("clipdesk.resources") / "icons" / "hicolor"
    assert (packaged / "scalable" / "apps" / f"{APP_ID}.svg").read_bytes() == svg.read_bytes()
