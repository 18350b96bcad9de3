"""Tags leave as XMP sidecars and existing keywords come in, through the CLI, checked with
exiftool."""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.support.cli import run
from tests.support.sidecars import exif

pytestmark = pytest.mark.skipif(not shutil.which("exiftool"), reason="exiftool not installed")


def _as_list(v) -> list:
    return v if isinstance(v, list) else [v]


def _digest(folder: Path) -> dict:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in folder.glob("*.jpg")}


def test_export_writes_confirmed_tags_and_keeps_other_programs_keywords(home, shapes):
    photos_before = _digest(shapes)
    run("--model", "test", "add", str(shapes))
    photo = sorted(shapes.glob("*red_circle.jpg"))[0]
    run("tag", str(photo), "--add", "Holiday|Beach")
    run("tag", str(photo), "--add", "Family")

    dry = json.loads(run("export", "--dry-run", "--json").stdout)
    assert [p["photo"] for p in dry["photos"]] == [str(photo)]
    assert set(dry["photos"][0]["added"]) == {"Holiday|Beach", "Family"}
    assert not list(shapes.glob("*.xmp"))  # a dry run writes nothing

    run("export")
    sidecar = Path(f"{photo}.xmp")
    meta = exif(sidecar)
    assert set(_as_list(meta["XMP-dc:Subject"])) == {"Beach", "Family"}
    assert set(_as_list(meta["XMP-lr:HierarchicalSubject"])) == {"Holiday|Beach", "Family"}

    # Another program adds a keyword; the user removes one of ours in ClipDesk.
    subprocess.run(
        ["exiftool", "-overwrite_original", "-XMP-dc:Subject+=FromDarktable", str(sidecar)],
        check=True,
        capture_output=True,
    )
    run("tag", str(photo), "--reject", "Family")
    run("export")
    subjects = set(_as_list(exif(sidecar)["XMP-dc:Subject"]))
    assert subjects == {"Beach", "FromDarktable"}
    assert _digest(shapes) == photos_before  # photos never written


def test_suggestions_only_when_asked_and_lightroom_naming(home, shapes):
    run("--model", "test", "add", str(shapes))
    run("vocab", "import", str(Path(__file__).parents[1] / "data" / "shapes_vocabulary.yaml"))
    run("index")  # the new tags' suggestions come with the next index (it has the model)
    run("export")
    assert not list(shapes.glob("*.xmp"))  # no confirmed tags: nothing to write
    run("export", "--include-suggested", "--naming", "base")
    blue = sorted(shapes.glob("*blue_square.jpg"))[0]
    sidecar = blue.with_suffix(".xmp")
    assert sidecar.is_file() and not Path(f"{blue}.xmp").exists()
    assert "Object|blue square" in _as_list(exif(sidecar)["XMP-lr:HierarchicalSubject"])


def test_existing_keywords_are_imported_at_index_time(home, shapes):
    photo = sorted(shapes.glob("*green_triangle.jpg"))[0]
    subprocess.run(
        [
            "exiftool",
            "-overwrite_original",
            "-IPTC:Keywords+=Garden",
            "-XMP-lr:HierarchicalSubject+=Places|Park",
            str(photo),
        ],
        check=True,
        capture_output=True,
    )
    other = sorted(shapes.glob("*white_square.jpg"))[0]
    subprocess.run(
        ["exiftool", "-o", f"{other}.xmp", "-XMP-dc:Subject=Snow"], check=True, capture_output=True
    )
    run("--model", "test", "add", str(shapes))
    tags = {t["tag"]: t for t in json.loads(run("tags", str(photo), "--json").stdout)}
    assert (tags["Garden"]["state"], tags["Garden"]["source"]) == ("confirmed", "imported")
    assert tags["Places|Park"]["source"] == "imported"
    tags = {t["tag"]: t for t in json.loads(run("tags", str(other), "--json").stdout)}
    assert tags["Snow"]["source"] == "imported"


def test_unparseable_sidecar_is_left_untouched_and_reported(home, shapes):
    run("--model", "test", "add", str(shapes))
    photo = sorted(shapes.glob("*.jpg"))[0]
    bad = Path(f"{photo}.xmp")
    bad.write_bytes(b"<x:xmpmeta><rdf:RDF><broken")
    run("tag", str(photo), "--add", "Family")
    proc = run("export")
    assert "skipped" in proc.stderr and str(photo) in proc.stderr
    assert bad.read_bytes() == b"<x:xmpmeta><rdf:RDF><broken"


def test_a_sidecar_clipdesk_created_goes_when_its_last_tag_does(home, shapes):
    run("--model", "test", "add", str(shapes))
    ours = sorted(shapes.glob("*red_circle.jpg"))[0]
    theirs = sorted(shapes.glob("*blue_square.jpg"))[0]
    subprocess.run(  # another program's sidecar, with its own field
        ["exiftool", "-q", "-o", f"{theirs}.xmp", "-XMP-xmp:Rating=4"],
        check=True,
        capture_output=True,
    )
    for photo in (ours, theirs):
        run("tag", str(photo), "--add", "Trips|Rome")
    run("export")
    assert Path(f"{ours}.xmp").is_file() and Path(f"{theirs}.xmp").is_file()
    for photo in (ours, theirs):
        run("tag", str(photo), "--reject", "Trips|Rome")
    planned = run("export", "--dry-run").stdout
    assert "would remove 1 empty sidecar that ClipDesk had created" in planned
    assert Path(f"{ours}.xmp").is_file()  # a dry run changes nothing
    done = run("export").stdout
    assert "removed 1 empty sidecar" in done and "file removed" in done
    assert not Path(f"{ours}.xmp").exists()  # ours, and empty: gone
    kept = exif(Path(f"{theirs}.xmp"))  # another program's: kept, without our keyword
    assert kept["XMP-xmp:Rating"] == 4 and "XMP-lr:HierarchicalSubject" not in kept
    run("tag", str(ours), "--confirm", "Trips|Rome")  # and it comes back when needed
    run("export")
    assert Path(f"{ours}.xmp").is_file()
