"""Places from GPS through the real commands (issue 30): JPEGs given GPS by exiftool in
several countries and both hemispheres, border towns, a point at sea, a photo without GPS
and one whose position is only in its sidecar; the tags `add` gives them ("from GPS"), a
search by place, the export of Lightroom's location fields as exiftool reads them (another
program's City kept), and the switches that turn places off."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.support.cli import run
from tests.support.files import photo_file
from tests.support.sidecars import EXIFTOOL, as_list, exiftool, tags

pytestmark = pytest.mark.skipif(EXIFTOOL is None, reason="exiftool is not installed")

# name -> (latitude, longitude), the tag it gets (None: no place tag)
PHOTOS = {
    "paris": ((48.8584, 2.2945), "Places|France|Île-de-France|Paris"),
    "sydney": ((-33.8568, 151.2153), "Places|Australia|New South Wales|Sydney"),
    "buenos_aires": ((-34.6037, -58.3816), "Places|Argentina|Buenos Aires F.D.|Buenos Aires"),
    "nairobi": ((-1.2864, 36.8172), "Places|Kenya|Nairobi County|Nairobi"),
    "tokyo": ((35.6895, 139.6917), "Places|Japan|Tokyo|Tokyo"),
    "strasbourg": ((48.5734, 7.7521), "Places|France|Grand Est|Strasbourg"),
    "kehl": ((48.5700, 7.8150), "Places|Germany|Baden-Wurttemberg|Kehl"),
    "el_paso": ((31.7700, -106.5050), "Places|United States|Texas|El Paso"),
    "juarez": ((31.6904, -106.4245), "Places|Mexico|Chihuahua|Ciudad Juárez"),
    "atlantic": ((40.0, -35.0), None),  # 330 km from the nearest island
}


def _gps(path: Path, lat: float, lon: float) -> None:
    """Give a copy of a photo this position, as a camera does (exiftool writes EXIF)."""
    exiftool(
        "-q",
        "-overwrite_original",
        f"-GPSLatitude={abs(lat)}",
        f"-GPSLatitudeRef={'N' if lat >= 0 else 'S'}",
        f"-GPSLongitude={abs(lon)}",
        f"-GPSLongitudeRef={'E' if lon >= 0 else 'W'}",
        path,
    )


def _library(root: Path) -> Path:
    for i, (name, ((lat, lon), _)) in enumerate(PHOTOS.items()):
        _gps(photo_file(root / f"{name}.jpg", (20 * i, 100, 200 - 10 * i)), lat, lon)
    photo_file(root / "plain.jpg", (10, 200, 10))  # no GPS at all
    photo_file(root / "sidecar.jpg", (200, 200, 10))  # its position only in its sidecar
    exiftool(  # as Lightroom or darktable write a position the user set on a map
        "-q",
        "-XMP-exif:GPSLatitude=-33.8568",
        "-XMP-exif:GPSLongitude=151.2153",
        "-o",
        root / "sidecar.jpg.xmp",
        root / "plain.jpg",
    )
    return root


def _tags(photo: Path) -> list[dict]:
    return json.loads(run("tags", str(photo), "--json").stdout)


def _places(photo: Path) -> list[tuple[str, str, str]]:
    return [
        (t["tag"], t["state"], t["source"]) for t in _tags(photo) if t["tag"].startswith("Places|")
    ]


def test_photos_with_gps_get_their_place_from_gps_and_the_rest_are_untouched(home, tmp_path):
    root = _library(tmp_path / "photos")
    out = run("--model", "test", "add", str(root)).stdout
    placed = sum(1 for _, tag in PHOTOS.values() if tag) + 1  # and the sidecar's
    assert f"{placed} photos placed from GPS" in out, out
    for name, (_, tag) in PHOTOS.items():
        want = [(tag, "confirmed", "gps")] if tag else []
        assert _places(root / f"{name}.jpg") == want, name
    assert _places(root / "plain.jpg") == []
    assert _places(root / "sidecar.jpg") == [PHOTOS["sydney"][1:] + ("confirmed", "gps")]
    shown = run("tags", str(root / "paris.jpg")).stdout
    assert "from GPS" in shown and "Places|France|Île-de-France|Paris" in shown, shown

    placed = json.loads(run("status", "--json").stdout)["places"]
    assert placed == {"with_position": 11, "placed": 10, "to_read": 0}  # the sea: no place
    assert "10 photos placed from GPS (11 with a position)" in run("status").stdout

    found = json.loads(run("search", "--tag", "Places|France", "--json").stdout)
    names = sorted(Path(r["path"]).name for r in found)
    assert names == ["paris.jpg", "strasbourg.jpg"], found
    found = json.loads(run("search", "--tag", "Places|Germany", "--json").stdout)
    assert [Path(r["path"]).name for r in found] == ["kehl.jpg"]


def test_export_writes_the_place_and_fills_only_empty_location_fields(home, tmp_path):
    root = tmp_path / "photos"
    for name in ("paris", "nairobi"):
        _gps(photo_file(root / f"{name}.jpg"), *PHOTOS[name][0])
    exiftool(  # another program named the place of this one already
        "-q", "-XMP-photoshop:City=Karen", "-o", root / "nairobi.jpg.xmp", root / "nairobi.jpg"
    )
    run("--model", "test", "add", str(root))
    run("export", str(root))

    paris = tags(root / "paris.jpg.xmp")
    assert paris["XMP-photoshop:City"] == "Paris"
    assert paris["XMP-photoshop:State"] == "Île-de-France"
    assert paris["XMP-photoshop:Country"] == "France"
    assert "Places|France|Île-de-France|Paris" in as_list(paris.get("XMP-lr:HierarchicalSubject"))
    assert "Paris" in as_list(paris.get("XMP-dc:Subject"))

    nairobi = tags(root / "nairobi.jpg.xmp")
    assert nairobi["XMP-photoshop:City"] == "Karen"  # another program's value stays
    assert "XMP-photoshop:State" not in nairobi and "XMP-photoshop:Country" not in nairobi
    assert "Places|Kenya|Nairobi County|Nairobi" in as_list(
        nairobi.get("XMP-lr:HierarchicalSubject")
    )
    assert (root / "paris.jpg").read_bytes()[:2] == b"\xff\xd8"  # the photo itself untouched


def test_the_flag_and_the_setting_turn_places_off(home, tmp_path):
    root = tmp_path / "photos"
    _gps(photo_file(root / "paris.jpg"), *PHOTOS["paris"][0])
    run("--model", "test", "--no-places", "add", str(root))
    assert _places(root / "paris.jpg") == []
    run("index")  # the flag was for that run: the next one names the place
    assert _places(root / "paris.jpg") == [(PHOTOS["paris"][1], "confirmed", "gps")]

    settings = home / "config" / "settings.json"
    saved = json.loads(settings.read_text()) if settings.exists() else {}
    settings.parent.mkdir(parents=True, exist_ok=True)
    settings.write_text(json.dumps({**saved, "places": False}))
    _gps(photo_file(root / "tokyo.jpg", (1, 2, 3)), *PHOTOS["tokyo"][0])
    run("index")
    assert _places(root / "tokyo.jpg") == []


def test_the_worker_names_the_place_of_a_photo_copied_into_a_watched_folder(home, start, tmp_path):
    from tests.support.catalog_reads import query
    from tests.support.polling import wait_until

    folder = tmp_path / "watched"
    folder.mkdir()
    w, ev = start(folder)
    assert w.wait_idle(20)
    staged = tmp_path / "nairobi.jpg"
    _gps(photo_file(staged), *PHOTOS["nairobi"][0])
    staged.rename(folder / "nairobi.jpg")  # one event, a whole file
    wait_until(lambda: query(home, "SELECT city FROM photo_places") == [("Nairobi",)])
    (photo_id,) = [i for (i,) in query(home, "SELECT id FROM photos")]
    wait_until(lambda: photo_id in ev.ids("tags_changed"))
    rows = query(
        home,
        "SELECT state, source FROM photo_tags pt JOIN tags t ON t.id = pt.tag_id "
        "WHERE pt.photo_id = ? AND t.name = 'Nairobi'",
        photo_id,
    )
    assert rows == [("confirmed", "gps")]


def test_a_photo_whose_position_changes_gets_its_new_place_and_loses_the_old(home, tmp_path):
    """The photo file changed (a position added, then corrected in another program): the
    next index reads its position again; the place from the old position goes."""
    root = tmp_path / "photos"
    photo = photo_file(root / "trip.jpg", (40, 90, 160))
    run("--model", "test", "add", str(root))
    assert _places(photo) == []
    _gps(photo, 48.8584, 2.2945)  # geotagged afterwards
    run("index")
    assert _places(photo) == [("Places|France|Île-de-France|Paris", "confirmed", "gps")]
    _gps(photo, -33.8568, 151.2153)  # the position was wrong: corrected
    run("index")
    want = [("Places|Australia|New South Wales|Sydney", "confirmed", "gps")]
    assert _places(photo) == want
    exiftool("-q", "-overwrite_original", "-gps:all=", photo)  # the position removed
    run("index")
    assert _places(photo) == []


def test_a_position_set_later_in_the_sidecar_is_read_at_the_next_index(home, tmp_path):
    """Another program (Lightroom's map, darktable's) writes the position into the photo's
    sidecar after ClipDesk read it: the next index places the photo."""
    root = tmp_path / "photos"
    photo = photo_file(root / "walk.jpg", (120, 60, 30))
    run("--model", "test", "add", str(root))
    assert _places(photo) == []
    exiftool(
        "-q",
        "-XMP-exif:GPSLatitude=35.6895",
        "-XMP-exif:GPSLongitude=139.6917",
        "-o",
        root / "walk.jpg.xmp",
        photo,
    )
    run("index")
    assert _places(photo) == [("Places|Japan|Tokyo|Tokyo", "confirmed", "gps")]


def test_a_rejected_place_takes_the_location_fields_export_wrote_with_it(home, tmp_path):
    """Export wrote Paris into the sidecar's City, State and Country; the user says the place
    is wrong: the next export removes the keyword and those fields, as exiftool reads them.
    A field the user changed in another program after the export is theirs and stays."""
    root = tmp_path / "photos"
    for name in ("paris", "strasbourg"):
        _gps(photo_file(root / f"{name}.jpg"), *PHOTOS[name][0])
    run("--model", "test", "add", str(root))
    run("export", str(root))
    assert tags(root / "paris.jpg.xmp")["XMP-photoshop:City"] == "Paris"
    exiftool(  # the user corrects the city in Lightroom after the export
        "-q", "-overwrite_original", "-XMP-photoshop:City=Kehl", root / "strasbourg.jpg.xmp"
    )

    for name in ("paris", "strasbourg"):
        run("tag", "--reject", PHOTOS[name][1], str(root / f"{name}.jpg"))
    out = run("export", str(root)).stdout
    assert "wrote 2," in out, out

    paris = tags(root / "paris.jpg.xmp")
    for field in ("City", "State", "Country"):
        assert f"XMP-photoshop:{field}" not in paris, paris
    assert "Places|France|Île-de-France|Paris" not in as_list(
        paris.get("XMP-lr:HierarchicalSubject")
    )
    strasbourg = tags(root / "strasbourg.jpg.xmp")
    assert strasbourg["XMP-photoshop:City"] == "Kehl"  # the user's own value
    assert "XMP-photoshop:State" not in strasbourg and "XMP-photoshop:Country" not in strasbourg

    run("export", str(root))  # and again: nothing more to do
    assert tags(root / "strasbourg.jpg.xmp")["XMP-photoshop:City"] == "Kehl"
