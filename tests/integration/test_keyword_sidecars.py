"""Keyword-heavy and hostile sidecars as a user meets them: `clipdesk add` reports the
photo that brings too many keywords instead of hanging on it, and `clipdesk tags` prints
one line per tag whatever a name holds."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from tests.support.catalog_reads import count
from tests.support.cli import run
from tests.support.files import photo_file
from tests.support.sidecars import keyword_xmp


def test_a_keyword_heavy_sidecar_is_reported_and_the_others_are_read(home, tmp_path):
    folder = tmp_path / "photos"
    heavy = photo_file(folder / "heavy.jpg", (200, 30, 30))
    Path(f"{heavy}.xmp").write_text(keyword_xmp([f"keyword {i}" for i in range(20_000)]))
    other = photo_file(folder / "other.jpg", (30, 30, 200))
    flat = ["Sunset", "evil\nforged line", "rlo\u202etxt", "a||b"]
    Path(f"{other}.xmp").write_text(keyword_xmp(flat, ["Trips|Rome"]), "utf-8")

    run("--model", "test", "add", str(folder))
    status = run("status").stdout
    assert f"keywords: {heavy}: 20,000 keywords, more than the 1,000" in status
    assert f"keywords: {other}: 2 keywords not imported" in status
    assert "evil\\x0aforged line" in status  # shown escaped, never as a line of its own
    assert not any(line.startswith("forged line") for line in status.splitlines())
    # Read, with its problem: a later index does not read it again.
    assert count(home, "SELECT COUNT(*) FROM photos WHERE keywords_read = 0") == 0
    assert count(home, "SELECT COUNT(*) FROM tags WHERE name LIKE 'keyword %'") == 0

    lines = run("tags", str(other)).stdout.splitlines()
    assert sorted(line.split()[-1] for line in lines if "imported" in line) == [
        "Sunset",
        "Trips|Rome",
        "a||b",
    ]


def test_tags_prints_control_characters_escaped(home, tmp_path):
    folder = tmp_path / "photos"
    photo = photo_file(folder / "one.jpg")
    run("--model", "test", "add", str(folder))
    run("tag", str(photo), "--add", "placeholder")
    # A catalog written before keywords were checked may hold such a name.
    conn = sqlite3.connect(home / "data" / "catalog.sqlite3")
    with conn:
        conn.execute("UPDATE tags SET name = ? WHERE name = 'placeholder'", ("evil\nx\u202ey",))
    conn.close()
    lines = run("tags", str(photo)).stdout.splitlines()
    assert len(lines) == len(json.loads(run("tags", str(photo), "--json").stdout))  # a line a tag
    (mine,) = [line for line in lines if " user " in line]
    assert mine.endswith("evil\\nx\\u202ey")
