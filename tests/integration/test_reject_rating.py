"""A photo rejected in ClipDesk (the Duplicates view, `clipdesk duplicates --reject-copies`)
gets the reject rating, xmp:Rating -1, and digiKam's PickLabel 1 in its sidecar on `clipdesk
export`; un-rejecting it takes them away again, but only what ClipDesk wrote; a rating another
program set is kept unless the user changes that photo's flag in ClipDesk. Real files, a real
catalog, the real CLI, exiftool reading what was written."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from PIL import Image

from tests.support.cli import run

pytestmark = pytest.mark.skipif(not shutil.which("exiftool"), reason="exiftool not installed")


CORPUS = Path(__file__).parents[1] / "data" / "xmp_corpus"


def exif(path: Path) -> dict:
    out = subprocess.run(
        ["exiftool", "-j", "-G1", "-a", str(path)], capture_output=True, text=True, check=True
    ).stdout
    return json.loads(out)[0]


def rating(path: Path):
    """The XMP rating as exiftool reads it (``exiftool -XMP:Rating``), None when absent."""
    return exif(path).get("XMP-xmp:Rating")


def subjects(path: Path) -> set[str]:
    v = exif(path).get("XMP-dc:Subject", [])
    return set(v if isinstance(v, list) else [v])


def fields(path: Path) -> dict:
    """Every field exiftool reads, less the ones about the file itself (its name, times)."""
    return {k: v for k, v in exif(path).items() if not k.startswith(("System:", "ExifTool:"))}


def set_reject_flag(home: Path, photos: list[Path], rejected: bool = True) -> None:
    """What the Duplicates view's "Reject" and "Undo rejects" do (ops.duplicates)."""
    from clipdesk.catalog import Catalog, flags

    with Catalog(home / "data" / "catalog.sqlite3") as cat:
        ids = {p: i for i, p in cat.present_photos()}
        assert flags.set_reject_flag(cat, [ids[str(p)] for p in photos], rejected) == len(photos)


def lines(proc) -> list[str]:
    """The per-photo lines of an export (stdout less the summary, and stderr)."""
    return proc.stdout.splitlines()[:-1] + proc.stderr.splitlines()


def same_plan_and_run(*args: str):
    dry = run("export", "--dry-run", *args)
    done = run("export", *args)
    assert lines(dry) == lines(done), (dry.stdout, dry.stderr, done.stdout, done.stderr)
    assert "Traceback" not in dry.stderr + done.stderr
    return done


@pytest.fixture
def photos(tmp_path) -> Path:
    """Six different photos and a recompressed copy of the first one."""
    from clipdesk.testing.synthetic import write_folder

    folder = tmp_path / "photos"
    write_folder(folder, 6, seed=3, size=(320, 240))
    first = sorted(folder.glob("*.jpg"))[0]
    Image.open(first).save(folder / f"{first.stem}_q40.jpg", quality=40)
    return folder


def test_reject_copies_then_export_writes_the_reject_rating_and_unreject_removes_it(home, photos):
    original = sorted(photos.glob("*.jpg"))[0]
    copy = photos / f"{original.stem}_q40.jpg"
    run("--model", "test", "add", str(photos))
    run("tag", str(copy), "--add", "Trips|Rome")
    out = run("--model", "test", "duplicates", "--reject-copies").stdout
    assert "newly flagged as rejected" in out

    dry = run("export", "--dry-run")
    assert f"{copy}.xmp: +Trips|Rome rating: rejected" in dry.stdout.splitlines()
    assert "reject rating would be set on 1" in dry.stdout
    assert not Path(f"{copy}.xmp").exists()  # a dry run writes nothing
    done = run("export")
    assert lines(done) == lines(dry)
    side = Path(f"{copy}.xmp")
    assert rating(side) == -1 and subjects(side) == {"Rome"}
    assert not Path(f"{original}.xmp").exists()  # the keeper: nothing to say, no sidecar

    again = run("export")  # written once: the next export has nothing to do
    assert "wrote 0, unchanged 1," in again.stdout, again.stdout

    before = fields(side)
    set_reject_flag(home, [copy], False)  # "Undo rejects"
    done = same_plan_and_run()
    assert f"{side}: rating: reject removed" in done.stdout.splitlines()
    after = fields(side)
    assert "XMP-xmp:Rating" not in after and "XMP-digiKam:PickLabel" not in after
    before.pop("XMP-xmp:Rating")
    assert before.pop("XMP-digiKam:PickLabel") == 1  # digiKam's reject, written beside it
    assert after == before  # every other field as it was


def test_a_rejected_photo_without_tags_gets_a_sidecar_that_goes_once_unrejected(home, photos):
    photo = sorted(photos.glob("*.jpg"))[2]
    run("--model", "test", "add", str(photos))
    set_reject_flag(home, [photo])
    done = same_plan_and_run()  # the reject alone is a change: the sidecar is written
    side = Path(f"{photo}.xmp")
    assert f"{side}: rating: rejected" in done.stdout.splitlines()
    assert rating(side) == -1 and subjects(side) == set()

    set_reject_flag(home, [photo], False)
    done = same_plan_and_run()
    assert not side.exists()  # ClipDesk made it, and it holds nothing else now
    assert "empty sidecar that ClipDesk had created" in done.stdout


def test_a_rating_another_program_set_is_kept_unless_the_user_changes_it(home, photos):
    three, theirs = sorted(photos.glob("*.jpg"))[1:3]
    for path, value in ((three, "3"), (theirs, "-1")):  # a user's 3 stars; darktable's reject
        subprocess.run(
            ["exiftool", "-q", "-o", f"{path}.xmp", f"-XMP-xmp:Rating={value}"],
            check=True,
            capture_output=True,
        )
    run("--model", "test", "add", str(photos))
    listed = {Path(p["path"]): p for p in json.loads(run("list", "--json").stdout)}
    assert listed[three]["stars"] == 3 and listed[theirs]["flag"] == "reject"  # read in
    run("tag", str(three), str(theirs), "--add", "Snow")
    set_reject_flag(home, [three])
    done = same_plan_and_run()
    assert f"note     {three}: kept the rating 3 another program set" in done.stderr
    assert f"{three}.xmp: +Snow flag: reject" in done.stdout.splitlines()  # as digiKam's
    assert f"{theirs}.xmp: +Snow" in done.stdout.splitlines()  # already -1: nothing to add
    assert rating(Path(f"{three}.xmp")) == 3 and rating(Path(f"{theirs}.xmp")) == -1
    assert exif(Path(f"{three}.xmp"))["XMP-digiKam:PickLabel"] == 1

    set_reject_flag(home, [three], False)
    same_plan_and_run()
    assert rating(Path(f"{three}.xmp")) == 3  # not ClipDesk's: un-rejecting leaves it
    assert "XMP-digiKam:PickLabel" not in exif(Path(f"{three}.xmp"))
    assert rating(Path(f"{theirs}.xmp")) == -1  # darktable's reject, untouched in ClipDesk

    set_reject_flag(home, [theirs], False)  # the user un-rejects it here: that is a change
    same_plan_and_run()
    assert rating(Path(f"{theirs}.xmp")) == 0


def test_a_rating_set_elsewhere_after_clipdesk_rejected_is_left_alone(home, photos):
    photo = sorted(photos.glob("*.jpg"))[3]
    side = Path(f"{photo}.xmp")
    run("--model", "test", "add", str(photos))
    set_reject_flag(home, [photo])
    run("export")
    assert rating(side) == -1
    subprocess.run(  # the user rates it 4 stars in another program
        ["exiftool", "-q", "-overwrite_original", "-XMP-xmp:Rating=4", str(side)], check=True
    )
    done = same_plan_and_run()
    assert f"note     {photo}: kept the rating 4 another program set" in done.stderr
    set_reject_flag(home, [photo], False)
    same_plan_and_run()
    assert rating(side) == 4  # the 4 is not ClipDesk's: un-rejecting does not touch it


def test_the_keyword_editor_writes_and_removes_the_rating_in_place(home, photos):
    """A Photoshop CS2 sidecar exiv2 cannot round-trip ('0.1.0.0' values): the keyword editor
    adds the rating as one element and takes it out again, every other byte kept."""
    unrated, rated = sorted(photos.glob("*.jpg"))[4:6]
    cs2 = (CORPUS / "photoshop_cs2.xmp").read_bytes()
    # without its keywords (imported on `add`, export would write them back in lr: and digiKam:
    # fields too), so that only the rating can change here
    cs2 = re.sub(rb"   <dc:subject>.*?</dc:subject>\n", b"", cs2, flags=re.S)
    assert b'xap:Rating="3"' in cs2 and b"subject" not in cs2
    Path(f"{unrated}.xmp").write_bytes(cs2.replace(b'   xap:Rating="3"\n', b""))
    Path(f"{rated}.xmp").write_bytes(cs2)
    run("--model", "test", "add", str(photos))
    set_reject_flag(home, [unrated, rated])
    pristine = Path(f"{unrated}.xmp").read_bytes()

    done = same_plan_and_run()
    assert f"{unrated}.xmp: rating: rejected" in done.stdout.splitlines()
    assert f"note     {rated}: kept the rating 3 another program set" in done.stderr
    assert rating(Path(f"{unrated}.xmp")) == -1
    # digiKam's reject beside it; the rated file's own rating untouched, byte for byte
    pick = b'   <digiKam:PickLabel xmlns:digiKam="http://www.digikam.org/ns/1.0/">1</digiKam:PickLabel>\n'
    assert Path(f"{rated}.xmp").read_bytes().replace(pick, b"") == cs2
    written = Path(f"{unrated}.xmp").read_bytes()
    assert written.replace(b"   <xap:Rating>-1</xap:Rating>\n" + pick, b"") == pristine

    run("tag", str(unrated), "--add", "Trips|Rome")
    set_reject_flag(home, [unrated], False)
    done = same_plan_and_run()
    assert f"{unrated}.xmp: +Trips|Rome rating: reject removed" in done.stdout.splitlines()
    side = Path(f"{unrated}.xmp")
    assert rating(side) is None and subjects(side) == {"Rome"}
    assert "XMP-digiKam:PickLabel" not in exif(side)
    assert (
        exif(side)["XMP-exif:FlashpixVersion"]
        == exif(Path(f"{rated}.xmp"))["XMP-exif:FlashpixVersion"]
    )
