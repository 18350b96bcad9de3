"""Named faces leave as MWG face regions and other programs' regions come in as faces, through
the CLI, every sidecar read back with exiftool: the area's centre on the stored image, the
regions another program wrote kept through every export, ClipDesk's own taken out when its
face goes, and a broken region reported in one line."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from PIL import Image

from clipdesk.catalog import Catalog
from clipdesk.people import faces_db, photo_tags
from clipdesk.tagging.store import TagStore
from tests.support.cli import run
from tests.support.files import photo_file
from tests.support.repo import DATA
from tests.support.sidecars import EXIFTOOL, as_list, exiftool, tags

pytestmark = pytest.mark.skipif(EXIFTOOL is None, reason="exiftool not installed")

REGION_TAGS = (
    "-RegionName",
    "-RegionType",
    "-RegionAreaX",
    "-RegionAreaY",
    "-RegionAreaW",
    "-RegionAreaH",
    "-RegionAreaUnit",
    "-RegionAppliedToDimensionsW",
    "-RegionAppliedToDimensionsH",
)
LIGHTROOM = DATA / "xmp_corpus" / "lightroom_regions.xmp"
KEYWORDS = {"XMP-dc:Subject", "XMP-lr:HierarchicalSubject", "XMP-digiKam:TagsList"}


def _catalog(home: Path) -> Catalog:
    return Catalog(home / "data" / "catalog.sqlite3")


def _name_faces(home: Path, photo: Path, faces) -> None:
    """Faces confirmed as named people on ``photo`` (box: x, y, w, h of the photo as shown),
    as the window's people actions leave them, the photo's People rows included."""
    with _catalog(home) as cat, cat.transaction():
        photo_id = cat.photo_by_path(photo).id
        for name, box in faces:
            tag = TagStore(cat).ensure_person(f"People|{name}")
            person = faces_db.person_of_tag(cat, tag) or faces_db.new_person(cat, tag)
            face = faces_db.add_face(cat, photo_id, box, None, "user")
            faces_db.place(cat, face, person, "confirmed", 1.0)
        photo_tags.sync(cat, [photo_id])


def _regions(sidecar: Path) -> dict:
    """exiftool's region tags of a sidecar, each as a list."""
    out = json.loads(exiftool("-j", "-n", *REGION_TAGS, sidecar))[0]
    return {k: as_list(v) for k, v in out.items() if k != "SourceFile"}


def _turned_photo(path: Path) -> Path:
    """A 64x48 JPEG shown turned a quarter clockwise (EXIF orientation 6: 48x64 as shown)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    exif = Image.Exif()
    exif[0x0112] = 6
    Image.new("RGB", (64, 48), (40, 90, 160)).save(path, exif=exif)
    return path


def test_export_writes_each_named_face_as_an_mwg_region(home, tmp_path):
    folder = tmp_path / "photos"
    upright = photo_file(folder / "upright.jpg", (200, 60, 40), (64, 48))
    turned = _turned_photo(folder / "turned.jpg")
    run("--model", "test", "add", "--no-faces", str(folder))
    _name_faces(home, upright, [("Ada Lovelace", (0.25, 0.2, 0.2, 0.3))])
    _name_faces(home, upright, [("Grace Hopper", (0.6, 0.5, 0.1, 0.2))])
    _name_faces(home, turned, [("Ada Lovelace", (0.1, 0.1, 0.2, 0.2))])

    dry = json.loads(run("export", "--dry-run", "--json").stdout)
    planned = {Path(p["photo"]).name: p["faces_added"] for p in dry["photos"]}
    assert planned == {
        "upright.jpg": ["Ada Lovelace", "Grace Hopper"],
        "turned.jpg": ["Ada Lovelace"],
    }
    done = run("export")
    assert "faces: +Ada Lovelace +Grace Hopper" in done.stdout

    assert _regions(Path(f"{upright}.xmp")) == {
        "RegionName": ["Ada Lovelace", "Grace Hopper"],
        "RegionType": ["Face", "Face"],
        "RegionAreaX": [0.35, 0.65],  # the centre, not the corner
        "RegionAreaY": [0.35, 0.6],
        "RegionAreaW": [0.2, 0.1],
        "RegionAreaH": [0.3, 0.2],
        "RegionAreaUnit": ["normalized", "normalized"],
        "RegionAppliedToDimensionsW": [64],
        "RegionAppliedToDimensionsH": [48],
    }
    # On the stored pixels, as MWG says: the top-left of the photo as shown is the stored
    # image's bottom-left; the dimensions are the stored image's.
    assert _regions(Path(f"{turned}.xmp")) == {
        "RegionName": ["Ada Lovelace"],
        "RegionType": ["Face"],
        "RegionAreaX": [0.2],
        "RegionAreaY": [0.8],
        "RegionAreaW": [0.2],
        "RegionAreaH": [0.2],
        "RegionAreaUnit": ["normalized"],
        "RegionAppliedToDimensionsW": [64],
        "RegionAppliedToDimensionsH": [48],
    }
    assert "People|Ada Lovelace" in as_list(
        tags(Path(f"{turned}.xmp"))["XMP-lr:HierarchicalSubject"]
    )

    written = {p: Path(f"{p}.xmp").read_bytes() for p in (upright, turned)}
    again = run("export").stdout
    assert "unchanged 2" in again
    assert {p: Path(f"{p}.xmp").read_bytes() for p in (upright, turned)} == written


def test_another_programs_regions_stay_through_every_export(home, tmp_path):
    photo = photo_file(tmp_path / "photos" / "shot.jpg", (10, 120, 200), (64, 48))
    side = Path(f"{photo}.xmp")
    run("--model", "test", "add", "--no-faces", str(photo.parent))
    shutil.copy(LIGHTROOM, side)  # Lightroom's: Grace Hopper (with its own fields) and a pet
    before = tags(side)
    theirs = before["XMP-mwg-rs:RegionInfo"]
    # Grace is where Lightroom has her already (top-left 0.26, 0.348125): not written twice.
    _name_faces(
        home,
        photo,
        [
            ("Ada Lovelace", (0.6, 0.2, 0.1, 0.15)),
            ("Grace Hopper", (0.26, 0.348125, 0.0825, 0.12375)),
        ],
    )

    run("export")
    info = tags(side)["XMP-mwg-rs:RegionInfo"]
    assert info["AppliedToDimensions"] == theirs["AppliedToDimensions"]
    assert info["RegionList"][:2] == theirs["RegionList"]  # Rotation, Description... as they were
    assert info["RegionList"][2:] == [
        {
            "Area": {"H": 0.15, "Unit": "normalized", "W": 0.1, "X": 0.65, "Y": 0.275},
            "Name": "Ada Lovelace",
            "Type": "Face",
        }
    ]
    written = side.read_bytes()
    assert "unchanged 1" in run("export").stdout and side.read_bytes() == written

    run("people", "forget")  # every face gone: ClipDesk's region goes at the next export
    out = run("export").stdout
    assert "faces: -Ada Lovelace" in out
    after = tags(side)
    assert after["XMP-mwg-rs:RegionInfo"] == theirs
    ignored = KEYWORDS | {"File:FileSize", "XMP-x:XMPToolkit"}
    assert {k: v for k, v in after.items() if k not in ignored} == {
        k: v for k, v in before.items() if k not in ignored
    }
    written = side.read_bytes()
    assert "unchanged 1" in run("export").stdout and side.read_bytes() == written


def test_face_regions_come_in_as_named_faces(home, tmp_path):
    folder = tmp_path / "photos"
    mwg = photo_file(folder / "mwg.jpg", (200, 60, 40), (64, 48))
    exiftool(  # as digiKam writes it, Lightroom's style aside
        "-q",
        "-o",
        f"{mwg}.xmp",
        "-XMP-mwg-rs:RegionInfo={AppliedToDimensions={W=64,H=48,Unit=pixel},RegionList=["
        "{Area={X=0.35,Y=0.35,W=0.2,H=0.3,Unit=normalized},Name=Ada Lovelace,Type=Face},"
        "{Area={X=0.8,Y=0.8,W=0.1,H=0.1,Unit=normalized},Type=Face}]}",
    )
    mp = photo_file(folder / "windows.jpg", (60, 200, 40), (64, 48))
    exiftool(  # as Windows Photo Gallery writes it: the top-left corner
        "-q",
        "-o",
        f"{mp}.xmp",
        "-XMP-MP:RegionInfoMP={Regions=[{Rectangle=0.6|, 0.5|, 0.1|, 0.2,"
        "PersonDisplayName=Grace Hopper}]}",
    )
    embedded = _turned_photo(folder / "embedded.jpg")
    exiftool(  # in the photo itself, on its stored pixels
        "-q",
        "-overwrite_original",
        "-XMP-mwg-rs:RegionInfo={AppliedToDimensions={W=64,H=48,Unit=pixel},RegionList=["
        "{Area={X=0.2,Y=0.8,W=0.2,H=0.2,Unit=normalized},Name=Cy Young,Type=Face}]}",
        embedded,
    )
    run("--model", "test", "add", "--no-faces", str(folder))  # read with the keywords

    with _catalog(home) as cat:
        ids = {Path(p).name: i for i, p in cat.present_photos()}
        named = {n: faces_db.named_regions(cat, ids[n]) for n in ids}
        assert named["mwg.jpg"] == [("Ada Lovelace", pytest.approx((0.25, 0.2, 0.2, 0.3)))]
        assert named["windows.jpg"] == [("Grace Hopper", pytest.approx((0.6, 0.5, 0.1, 0.2)))]
        assert named["embedded.jpg"] == [("Cy Young", pytest.approx((0.1, 0.1, 0.2, 0.2)))]
        unnamed = [f for f in faces_db.faces_of(cat, ids["mwg.jpg"]) if f.person_id is None]
        assert [(f.box, f.source) for f in unnamed] == [
            (pytest.approx((0.75, 0.75, 0.1, 0.1)), "imported")
        ]
        people = sorted(t.path for t in TagStore(cat).all() if t.person)
        assert people == ["People|Ada Lovelace", "People|Cy Young", "People|Grace Hopper"]
    listed = {t["tag"]: t["state"] for t in json.loads(run("tags", str(mp), "--json").stdout)}
    assert listed["People|Grace Hopper"] == "confirmed"

    # A region another program botched costs that region, said in one line; the rest come in.
    broken = photo_file(folder / "broken.jpg", (90, 90, 90), (64, 48))
    run("--model", "test", "add", "--no-faces", str(folder))
    exiftool(
        "-q",
        "-o",
        f"{broken}.xmp",
        "-XMP-mwg-rs:RegionInfo={RegionList=["
        "{Area={X=0.5,Y=0.5,W=0,H=0.2,Unit=normalized},Name=Nobody,Type=Face},"
        "{Area={X=0.5,Y=0.5,W=0.2,H=0.2,Unit=normalized},Name=Dora,Type=Face}]}",
    )
    proc = run("import-keywords", str(broken))
    assert proc.stderr.splitlines() == [
        f"skipped  {broken}: 1 face region not imported: MWG region 1: its area has no size"
    ]
    assert "1 face from face regions" in proc.stdout and "Traceback" not in proc.stderr
    assert f"keywords: {broken}: 1 face region not imported" in run("status").stdout
    with _catalog(home) as cat:
        assert [n for n, _ in faces_db.named_regions(cat, cat.photo_by_path(broken).id)] == ["Dora"]
