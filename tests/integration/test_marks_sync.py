"""Stars, colour labels and flags in XMP sidecars, and sidecars that sync both ways (issue 28,
items 2 and 3): export writes xmp:Rating, xmp:Label and digiKam's ColorLabel and PickLabel;
`index` (and the watcher) reads back what another program changed since, keywords included;
a mark changed on both sides is a conflict until the user decides. exiftool plays the other
program (it reads what ClipDesk wrote and writes the edits); the real CLI, the test model.
The photo files are never touched."""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.support.cli import run
from tests.support.polling import wait_until
from tests.support.sidecars import as_list, tags

pytestmark = pytest.mark.skipif(not shutil.which("exiftool"), reason="exiftool not installed")


@pytest.fixture
def photos(tmp_path) -> Path:
    from clipdesk.testing.synthetic import write_folder

    folder = tmp_path / "photos"
    write_folder(folder, 3, seed=5, size=(320, 240))
    return folder


def names(folder: Path) -> list[Path]:
    return sorted(folder.glob("*.jpg"))


def digests(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in names(folder)}


def edit(sidecar: Path, *args: str) -> None:
    """Another program's edit of a sidecar (exiftool writes it in place, or creates it)."""
    out = ["-o", str(sidecar)] if not sidecar.exists() else ["-overwrite_original", str(sidecar)]
    subprocess.run(["exiftool", "-q", *args, *out], check=True, capture_output=True)


def marks_in(sidecar: Path) -> dict:
    """The marks fields as exiftool reads them (absent ones left out)."""
    got = tags(sidecar)
    keys = ("XMP-xmp:Rating", "XMP-xmp:Label", "XMP-digiKam:ColorLabel", "XMP-digiKam:PickLabel")
    return {k.split(":")[1]: got[k] for k in keys if k in got}


def listed(*args: str) -> dict[str, tuple]:
    """{photo name: (stars, label, flag)} as `clipdesk list` gives them."""
    out = json.loads(run("list", "--json", *args).stdout)
    return {Path(p["path"]).name: (p["stars"], p["label"], p["flag"]) for p in out}


def confirmed(home: Path, photo: Path) -> set[str]:
    from clipdesk.catalog import Catalog
    from clipdesk.tagging.store import TagStore

    with Catalog(home / "data" / "catalog.sqlite3") as cat:
        paths = TagStore(cat).paths()
        pid = cat.photo_by_path(photo).id
        rows = cat.conn.execute(
            "SELECT tag_id FROM photo_tags WHERE photo_id = ? AND state = 'confirmed'", (pid,)
        )
        return {paths[t] for (t,) in rows}


def lines(proc) -> list[str]:
    return proc.stdout.splitlines()[:-1] + proc.stderr.splitlines()


def export(*args: str):
    """`clipdesk export`, after its dry run, which must say exactly what the run does."""
    dry = run("export", "--dry-run", *args)
    done = run("export", *args)
    assert lines(dry) == lines(done), (dry.stdout, dry.stderr, done.stdout, done.stderr)
    return done


def test_marks_go_out_in_every_programs_fields_and_come_back_in(home, photos, tmp_path):
    before = digests(photos)
    a, b, c = names(photos)
    run("--model", "test", "add", str(photos))
    run("rate", str(a), "--stars", "3", "--label", "green", "--pick")
    run("rate", str(b), "--stars", "5", "--label", "purple", "--reject")
    run("rate", str(c), "--label", "blue")
    done = export()
    assert f"{a}.xmp: stars: 3 label: green flag: pick" in done.stdout.splitlines()
    assert f"{b}.xmp: rating: rejected label: purple" in done.stdout.splitlines()
    assert "marks changed on 3" in done.stdout
    assert marks_in(Path(f"{a}.xmp")) == {
        "Rating": 3,
        "Label": "Green",
        "ColorLabel": 4,
        "PickLabel": 3,
    }
    assert marks_in(Path(f"{b}.xmp")) == {
        "Rating": -1,
        "Label": "Purple",
        "ColorLabel": 6,  # digiKam's magenta
        "PickLabel": 1,
    }
    assert marks_in(Path(f"{c}.xmp")) == {"Label": "Blue", "ColorLabel": 5}  # no stars: none
    assert "wrote 0" in run("export").stdout  # written once

    # another library reads them back (a -1 carries the reject, not the stars under it)
    other = tmp_path / "other-home"
    run("--home", str(other), "--model", "test", "add", str(photos))
    assert listed("--home", str(other)) == {
        a.name: (3, "green", "pick"),
        b.name: (0, "purple", "reject"),
        c.name: (0, "blue", None),
    }

    # all taken off again: a sidecar ClipDesk made that holds nothing else goes
    run("rate", str(a), "--stars", "0", "--label", "none", "--unflag")
    run("rate", str(b), "--unflag")
    done = export()
    assert not Path(f"{a}.xmp").exists()
    assert f"{b}.xmp: rating: reject removed" in done.stdout.splitlines()
    assert marks_in(Path(f"{b}.xmp")) == {"Rating": 5, "Label": "Purple", "ColorLabel": 6}
    assert digests(photos) == before


def test_a_value_another_program_set_is_kept_unless_it_was_changed_in_clipdesk(home, photos):
    before = digests(photos)
    a, b, _ = names(photos)
    edit(Path(f"{a}.xmp"), "-XMP:Rating=4", "-XMP:Label=Yellow", "-XMP-digiKam:ColorLabel=3")
    edit(Path(f"{b}.xmp"), "-XMP-digiKam:ColorLabel=2", "-XMP-digiKam:PickLabel=3")  # orange
    run("--model", "test", "add", str(photos))
    got = listed()
    assert got[a.name] == (4, "yellow", None)
    assert got[b.name] == (0, None, "pick")  # orange: a label ClipDesk has not

    run("rate", str(a), "--pick")
    run("rate", str(b), "--stars", "2")
    done = export()
    assert f"{a}.xmp: flag: pick" in done.stdout.splitlines()
    assert f"{b}.xmp: stars: 2" in done.stdout.splitlines()
    assert marks_in(Path(f"{a}.xmp")) == {
        "Rating": 4,
        "Label": "Yellow",
        "ColorLabel": 3,
        "PickLabel": 3,
    }
    assert marks_in(Path(f"{b}.xmp")) == {"Rating": 2, "ColorLabel": 2, "PickLabel": 3}

    # a reject over stars another program gave: their rating stays, digiKam's field says it
    run("rate", str(a), "--reject")
    done = export()
    assert f"note     {a}: kept the rating 4 another program set" in done.stderr
    assert marks_in(Path(f"{a}.xmp"))["Rating"] == 4
    assert marks_in(Path(f"{a}.xmp"))["PickLabel"] == 1
    assert listed()[a.name] == (4, "yellow", "reject")
    run("index")  # reading it again changes nothing
    assert listed()[a.name] == (4, "yellow", "reject")
    assert digests(photos) == before


def test_the_photos_own_xmp_marks_come_in_and_the_sidecar_wins_where_both_say(home, photos):
    a, b, _ = names(photos)
    for photo in (a, b):  # the photos as a camera or another program left them
        subprocess.run(
            ["exiftool", "-q", "-overwrite_original", "-XMP:Rating=2", "-XMP:Label=Red", photo],
            check=True,
            capture_output=True,
        )
    edit(Path(f"{b}.xmp"), "-XMP:Rating=4")
    before = digests(photos)
    run("--model", "test", "add", str(photos))
    got = listed()
    assert got[a.name] == (2, "red", None)
    assert got[b.name] == (4, "red", None)  # the sidecar's stars, the photo's label
    assert "wrote 0, unchanged 2" in run("export").stdout  # nothing changed: nothing written
    assert not Path(f"{a}.xmp").exists()
    run("index")
    assert listed() == got
    assert digests(photos) == before  # read, never written


def test_keywords_added_or_removed_in_darktable_come_back_at_the_next_index(home, photos):
    before = digests(photos)
    a = names(photos)[0]
    side = Path(f"{a}.xmp")
    run("--model", "test", "add", str(photos))
    run("tag", str(a), "--add", "Trips|Rome")
    run("tag", str(a), "--add", "Snow")
    export()
    assert as_list(tags(side)["XMP-digiKam:TagsList"]) == ["Snow", "Trips/Rome"]
    # darktable's way: dc:subject and lr:hierarchicalSubject edited, digiKam:TagsList not
    edit(
        side,
        "-XMP-dc:Subject-=Rome",
        "-XMP-lr:HierarchicalSubject-=Trips|Rome",
        "-XMP-dc:Subject+=Dog",
        "-XMP-lr:HierarchicalSubject+=Animals|Dog",
    )
    # an export before the index writes none of it back
    done = export()
    assert f"note     {a}: kept the sidecar's -Trips|Rome another program made" in done.stderr
    assert "Rome" not in as_list(tags(side)["XMP-dc:Subject"])
    assert confirmed(home, a) >= {"Trips|Rome", "Snow"}

    run("index")
    assert confirmed(home, a) == {"Snow", "Animals|Dog"}
    done = export()
    assert as_list(tags(side)["XMP-lr:HierarchicalSubject"]) == ["Snow", "Animals|Dog"]
    assert "Trips/Rome" not in as_list(tags(side)["XMP-digiKam:TagsList"])
    assert "wrote 0" in run("export").stdout
    run("index")
    assert confirmed(home, a) == {"Snow", "Animals|Dog"}
    assert digests(photos) == before


def test_a_change_on_one_side_wins_and_export_never_writes_over_one_it_has_not_read(home, photos):
    before = digests(photos)
    a = names(photos)[0]
    side = Path(f"{a}.xmp")
    run("--model", "test", "add", str(photos))
    run("rate", str(a), "--stars", "2", "--label", "red")
    export()
    edit(side, "-XMP:Rating=5")  # the other program's stars
    run("rate", str(a), "--label", "blue")  # ClipDesk's label
    done = export()
    assert f"{side}: label: blue" in done.stdout.splitlines()
    assert f"note     {a}: kept the rating 5 another program set" in done.stderr
    assert marks_in(side) == {"Rating": 5, "Label": "Blue", "ColorLabel": 5}
    assert listed()[a.name] == (2, "blue", None)  # not read yet
    run("index")
    assert listed()[a.name] == (5, "blue", None)
    assert "wrote 0" in run("export").stdout
    assert digests(photos) == before


def test_a_mark_changed_on_both_sides_is_a_conflict_until_the_user_decides(home, photos):
    before = digests(photos)
    a, b, _ = names(photos)
    run("--model", "test", "add", str(photos))
    run("rate", str(a), "--stars", "2")
    run("rate", str(b), "--label", "red")
    export()
    edit(Path(f"{a}.xmp"), "-XMP:Rating=4")
    edit(Path(f"{b}.xmp"), "-XMP:Label=Green", "-XMP-digiKam:ColorLabel=4")
    run("rate", str(a), "--stars", "3")
    run("rate", str(b), "--label", "blue")
    run("index")
    assert listed()[a.name] == (3, None, None) and listed()[b.name] == (0, "blue", None)
    assert "sidecars: 2 photos have sidecar conflicts: `clipdesk conflicts` lists them" in (
        run("status").stdout.splitlines()
    )
    assert json.loads(run("status", "--json").stdout)["sidecar_conflicts"] == 2
    found = json.loads(run("conflicts", "--json").stdout)
    got = sorted((Path(c["photo"]).name, c["mark"], c["clipdesk"], c["sidecar"]) for c in found)
    assert got == [(a.name, "stars", 3, 4), (b.name, "label", "blue", "green")]
    text = run("conflicts").stdout
    assert f"{a}: stars: ClipDesk 3 stars, the sidecar 4 stars (both changed since 2 stars)" in text

    # export leaves both sidecars as they are, and says so
    sidecars = {p: Path(f"{p}.xmp").read_bytes() for p in (a, b)}
    done = export()
    assert f"conflict {b}: label: ClipDesk blue, the sidecar green" in done.stderr
    assert "2 photos with sidecar conflicts left as they are" in done.stdout
    assert {p: Path(f"{p}.xmp").read_bytes() for p in (a, b)} == sidecars
    run("index")  # and so does reading them again
    assert listed()[a.name] == (3, None, None)
    assert len(json.loads(run("conflicts", "--json").stdout)) == 2

    # take the sidecar's: the photo's marks are the file's; `undo` takes the decision back
    assert "took the sidecar's marks on 1 photo" in run("conflicts", "--take-file", str(a)).stdout
    assert listed()[a.name] == (4, None, None)
    run("undo")
    assert listed()[a.name] == (3, None, None)
    # keep ClipDesk's: the next export writes it
    out = run("conflicts", "--keep-clipdesk", "--all").stdout
    assert "kept ClipDesk's marks on 1 photo" in out
    assert run("conflicts").stdout.strip() == "no sidecar conflicts"
    assert not any(ln.startswith("sidecars:") for ln in run("status").stdout.splitlines())
    export()
    assert marks_in(Path(f"{a}.xmp"))["Rating"] == 3  # the undone decision: ClipDesk's again
    assert marks_in(Path(f"{b}.xmp")) == {"Label": "Blue", "ColorLabel": 5}
    assert "wrote 0" in run("export").stdout
    run("index")
    assert listed()[a.name] == (3, None, None) and listed()[b.name] == (0, "blue", None)
    assert digests(photos) == before


def test_a_sidecar_another_program_edits_while_watching_comes_back(home, start, photos):
    from clipdesk.catalog import Catalog

    before = digests(photos)
    a = names(photos)[0]
    edit(Path(f"{a}.xmp"), "-XMP:Rating=2")
    w, _ = start(photos, vocab=False)
    catalog = home / "data" / "catalog.sqlite3"

    def marks():
        with Catalog(catalog) as cat:
            return cat.conn.execute(
                "SELECT stars, label FROM photos WHERE path = ?", (str(a),)
            ).fetchone()

    wait_until(lambda: marks() == (2, None), timeout=60)
    assert w.wait_idle(30)
    edit(Path(f"{a}.xmp"), "-XMP:Rating=5", "-XMP:Label=Red")
    wait_until(lambda: marks() == (5, "red"), timeout=30)
    assert digests(photos) == before
