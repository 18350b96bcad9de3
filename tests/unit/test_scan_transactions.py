"""Scanning at scale (issue 13, items 4 and 9): thousands of files with the same content cost
one look each, and a move is found with its photos' ids after short transactions. Real
files, a real SQLite catalog."""

from __future__ import annotations

import os

import pytest
from PIL import Image

import clipdesk.pipeline.scanner as scanner
from clipdesk.catalog import Catalog
from clipdesk.pipeline.identity import full_hash
from clipdesk.pipeline.scanner import scan


def test_thousands_of_identical_files_cost_one_look_each(tmp_path, monkeypatch):
    """4,000 zero-byte files: each known photo with that content is looked at once per
    scan, not once per new file (that was quadratic: 55.7 s for 4,000)."""
    root = tmp_path / "same"
    root.mkdir()
    for i in range(4000):
        (root / f"{i:04d}.jpg").touch()
    looks = []
    real = scanner._exists
    monkeypatch.setattr(scanner, "_exists", lambda p: looks.append(p) or real(p))
    with Catalog(tmp_path / "cat.sqlite3") as cat:
        cat.add_folder(root)
        first = scan(cat)
        assert (first.added, first.moved, first.errors) == (4000, 0, [])
        assert looks == []  # nothing was known with that content
        for i in range(4000, 6000):  # 2,000 more, each the same content as the 4,000
            (root / f"{i:04d}.jpg").touch()
        second = scan(cat)
        assert (second.added, second.moved) == (2000, 0)
        assert len(looks) == 4000  # each known copy looked at once, not 2,000 times
        assert cat.status_counts()["new"] == 6000


@pytest.mark.parametrize("n", [3])
def test_move_is_still_found_with_its_tags_after_short_transactions(tmp_path, n):
    root = tmp_path / "p"
    (root / "a").mkdir(parents=True)
    for i in range(n):
        Image.new("RGB", (32, 32), (i * 60, 10, 10)).save(root / "a" / f"{i}.png")
    with Catalog(tmp_path / "cat.sqlite3") as cat:
        cat.add_folder(root)
        scan(cat)
        ids = {p: r.id for p, r in cat.photos_in_folder(1).items()}
        with cat.transaction():  # decoded: their whole content is known (identity.py)
            for p, pid in ids.items():
                cat.set_decoded(pid, 32, 32, 1, None, full_hash(p))
        os.rename(root / "a", root / "b")
        result = scan(cat)
        assert (result.moved, result.added, result.missing) == (n, 0, 0)
        moved = {os.path.basename(p): r.id for p, r in cat.photos_in_folder(1).items()}
        assert moved == {os.path.basename(p): i for p, i in ids.items()}
