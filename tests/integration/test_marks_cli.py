"""Stars, colour labels and flags from the terminal (issue 28): `clipdesk rate` with undo,
`clipdesk list` without a text query, smart albums that follow the photos, and one undo
for `duplicates --reject-copies`. The real CLI on a real catalog, the test model."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import pytest

from tests.support.cli import one_line_error, run


@pytest.fixture
def library(home, shapes) -> Path:
    run("--model", "test", "add", str(shapes))
    return shapes


def _listed(*args) -> dict[str, dict]:
    out = json.loads(run("list", "--json", *args).stdout)
    return {Path(p["path"]).name: p for p in out}


def _digests(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


def test_rate_sets_marks_that_list_filters_and_undo_takes_back(library):
    before = _digests(library)
    reds = sorted(p for p in library.iterdir() if "_red_" in p.name)
    assert len(reds) >= 4
    out = run("rate", *map(str, reds[:3]), "--stars", "4", "--label", "red").stdout
    assert "gave 3 photos 4 stars, the red label" in out
    run("rate", str(reds[0]), "--pick")
    run("rate", str(reds[1]), "--reject")
    run("rate", str(reds[2]), "--stars", "2")

    four = _listed("--min-stars", "4")
    assert set(four) == {reds[0].name, reds[1].name}
    assert four[reds[0].name]["stars"] == 4 and four[reds[0].name]["label"] == "red"
    assert four[reds[0].name]["flag"] == "pick" and four[reds[1].name]["flag"] == "reject"
    assert "Colours|Red" in four[reds[0].name]["tags"]
    assert set(_listed("--flag", "pick")) == {reds[0].name}
    assert set(_listed("--label", "red", "--flag", "none")) == {reds[2].name}
    assert len(_listed("--label", "none")) == len(list(library.iterdir())) - 3
    run("tag", "--confirm", "Colours|Red", str(reds[0]))
    assert reds[0].name not in _listed("--min-stars", "1", "--no-tag", "Colours|Red")
    assert reds[0].name in _listed("--min-stars", "1", "--tag", "Colours|Red")
    assert list(_listed("--sort", "stars"))[:2] == sorted([reds[0].name, reds[1].name])
    text = run("list", "--min-stars", "4").stdout
    assert "★★★★" in text and "2 photos" in text

    run("undo")  # the tag confirmed
    assert "undid “2 stars” on 1 photo" in run("undo").stdout
    assert _listed("--label", "red", "--flag", "none")[reds[2].name]["stars"] == 4
    assert "undid “the reject flag” on 1 photo" in run("undo").stdout
    assert _listed("--min-stars", "4")[reds[1].name]["flag"] is None
    run("undo")
    run("undo")  # the 4 stars and the label, given together, go together
    assert _listed("--min-stars", "1") == {} and _listed("--label", "red") == {}
    assert _digests(library) == before  # the photo files are never touched


def test_bad_marks_are_one_line(library):
    photo = next(library.iterdir())
    one_line_error(run("rate", str(photo), check=False), "nothing to set")
    one_line_error(run("rate", str(library / "nope.jpg"), "--stars", "1", check=False), "nope")
    proc = run("rate", str(photo), "--stars", "7", check=False)
    assert proc.returncode == 2 and "0 to 5" in proc.stderr
    proc = run("rate", str(photo), "--pick", "--reject", check=False)
    assert proc.returncode == 2
    one_line_error(run("list", "--tag", "Nope", check=False), "Nope")


def test_smart_albums_follow_the_photos(library):
    circles = sorted(p for p in library.iterdir() if "_circle" in p.name)
    run("albums", "add", "Best", "--min-stars", "4")
    run("albums", "add", "Circles not red", "--tag", "Shapes|Circle", "--no-tag", "Colours|Red")
    assert _listed("--album", "Best") == {}
    run("rate", str(circles[0]), str(circles[1]), "--stars", "5")
    assert set(_listed("--album", "best")) == {circles[0].name, circles[1].name}
    run("rate", str(circles[0]), "--stars", "3")  # the album follows the change
    assert set(_listed("--album", "Best")) == {circles[1].name}
    not_red = _listed("--album", "Circles not red")
    assert not_red and not_red == _listed("--tag", "Shapes|Circle", "--no-tag", "Colours|Red")

    listing = json.loads(run("albums", "--json").stdout)
    assert [(a["name"], a["photos"]) for a in listing] == [
        ("Best", 1),
        ("Circles not red", len(not_red)),
    ]
    one_line_error(run("albums", "add", "best", "--min-stars", "2", check=False), "already")
    run("albums", "add", "best", "--min-stars", "3", "--replace")
    assert set(_listed("--album", "Best")) == {circles[0].name, circles[1].name}
    one_line_error(run("albums", "add", "Empty", check=False), "a search or a filter")
    assert "removed" in run("albums", "remove", "Best").stdout
    one_line_error(run("list", "--album", "Best", check=False), "no album", "Circles not red")


def test_an_album_with_a_text_search_ranks_its_photos(library):
    starred = [p for p in library.iterdir() if "_red_" in p.name or "_blue_" in p.name]
    run("rate", *map(str, starred), "--stars", "1")
    run("--model", "test", "albums", "add", "Red ones", "--text", "red", "--min-stars", "1")
    found = list(_listed("--album", "Red ones"))  # best match first
    assert set(found) <= {p.name for p in starred}
    assert len(found) >= 3 and all("_red_" in name for name in found[:3])


def test_undo_takes_back_every_copy_reject_copies_flagged(library):
    first = sorted(library.iterdir())[:2]
    for p in first:
        shutil.copy(p, library / f"copy_of_{p.name}")
    run("--model", "test", "add", str(library))
    out = run("duplicates", "--reject-copies").stdout
    rejected = set(_listed("--flag", "reject"))
    assert len(rejected) >= 2, out
    run("tag", "--add", "Copy", str(first[0]))  # a later tag decision: undo takes it first
    assert "undid “Copy” confirmed" in run("undo").stdout
    assert "undid “rejected copies” on" in run("undo").stdout
    assert _listed("--flag", "reject") == {}
