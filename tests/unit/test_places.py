"""Places from GPS (issue 30) without a process or a model: the gazetteer on GeoNames' real
data (both hemispheres, border towns, the open sea), positions read from real JPEGs whose
GPS Pillow wrote and from XMP text, the step on a real catalog (tags from source 'gps',
decisions kept, photos without GPS untouched), and which location fields export fills."""

from __future__ import annotations

import json

import pytest
from PIL import Image
from PIL.TiffImagePlugin import IFDRational

from clipdesk.pipeline.library import Library
from clipdesk.pipeline.places_step import places
from clipdesk.places import places_db
from clipdesk.places.gazetteer import gazetteer
from clipdesk.places.position import GPS_IFD, from_xmp, read_photo, xmp_coordinate
from clipdesk.sidecars.xmp.location import CITY, COUNTRY, STATE, plan, read_gps
from clipdesk.tagging.corrections import tags_of
from clipdesk.tagging.states import TagSource, TagState
from clipdesk.tagging.store import TagStore

# (latitude, longitude) -> the tag's levels below Places. Points a few hundred metres to a
# few kilometres from each town's centre, on its own side of any border.
PLACES = {
    "paris": ((48.8584, 2.2945), ["France", "Île-de-France", "Paris"]),  # the Eiffel Tower
    "sydney": ((-33.8568, 151.2153), ["Australia", "New South Wales", "Sydney"]),  # Opera
    "buenos_aires": ((-34.6037, -58.3816), ["Argentina", "Buenos Aires F.D.", "Buenos Aires"]),
    "nairobi": ((-1.2864, 36.8172), ["Kenya", "Nairobi County", "Nairobi"]),
    "strasbourg": ((48.5734, 7.7521), ["France", "Grand Est", "Strasbourg"]),
    "kehl": ((48.5700, 7.8150), ["Germany", "Baden-Wurttemberg", "Kehl"]),  # across the Rhine
    "el_paso": ((31.7700, -106.5050), ["United States", "Texas", "El Paso"]),
    "juarez": ((31.6904, -106.4245), ["Mexico", "Chihuahua", "Ciudad Juárez"]),
}
MID_ATLANTIC = (40.0, -35.0)  # 330 km from the Azores
CHANNEL = (50.2, -0.5)  # between England and France, as near to both
OFF_BRITTANY = (48.0, -5.3)  # 30 km out to sea, every town within 50 km French


def _gps_jpeg(path, lat: float, lon: float):
    """A small JPEG whose EXIF holds this position as cameras write it (degrees, minutes,
    seconds and N/S/E/W)."""

    def dms(value: float):
        value = abs(value)
        d = int(value)
        m = int((value - d) * 60)
        s = round(((value - d) * 60 - m) * 60 * 100)
        return (IFDRational(d), IFDRational(m), IFDRational(s, 100))

    exif = Image.Exif()
    exif[GPS_IFD] = {
        1: "N" if lat >= 0 else "S",
        2: dms(lat),
        3: "E" if lon >= 0 else "W",
        4: dms(lon),
    }
    Image.new("RGB", (32, 24), (90, 120, 150)).save(path, exif=exif)
    return path


@pytest.mark.parametrize("name", sorted(PLACES))
def test_a_town_in_either_hemisphere_is_named_with_its_region_and_country(name):
    (lat, lon), levels = PLACES[name]
    place = gazetteer().place(lat, lon)
    assert place is not None and place.levels == levels, place


def test_the_town_is_the_one_the_photo_is_in_not_the_nearest_centre():
    """The Eiffel Tower is nearer the point of Neuilly-sur-Seine than Paris's."""
    place = gazetteer().place(48.8584, 2.2945)
    assert place.city == "Paris" and place.distance_km > 3.5


def test_open_sea_or_between_two_countries_names_nothing_and_off_one_coast_the_country():
    g = gazetteer()
    assert g.place(*MID_ATLANTIC) is None
    assert g.place(*CHANNEL) is None
    off = g.place(*OFF_BRITTANY)
    assert off is not None and off.levels == ["France"]  # the country, no town
    assert g.place(91.0, 0.0) is None and g.place(0.0, 181.0) is None


def test_exif_gps_is_read_from_the_photo_in_both_hemispheres(tmp_path):
    where, _ = read_photo(str(_gps_jpeg(tmp_path / "s.jpg", -33.8568, 151.2153)))
    assert where.origin == "exif"
    assert abs(where.lat + 33.8568) < 1e-4 and abs(where.lon - 151.2153) < 1e-4
    where, _ = read_photo(str(_gps_jpeg(tmp_path / "w.jpg", 31.77, -106.505)))
    assert where.lat > 0 and where.lon < 0


def test_no_gps_null_island_and_a_void_fix_are_no_position(tmp_path):
    plain = tmp_path / "plain.jpg"
    Image.new("RGB", (8, 8)).save(plain)
    assert read_photo(str(plain)) == (None, None)
    assert read_photo(str(_gps_jpeg(tmp_path / "zero.jpg", 0.0, 0.0)))[0] is None
    exif = Image.Exif()
    exif[GPS_IFD] = {1: "N", 2: (IFDRational(48), 0, 0), 3: "E", 4: (IFDRational(2), 0, 0)}
    exif[GPS_IFD][9] = "V"
    Image.new("RGB", (8, 8)).save(tmp_path / "void.jpg", exif=exif)
    assert read_photo(str(tmp_path / "void.jpg"))[0] is None


def test_xmp_coordinates_as_photo_programs_write_them():
    assert xmp_coordinate("48,51.504N", "lat") == pytest.approx(48.8584)
    assert xmp_coordinate("33,51,24.48S", "lat") == pytest.approx(-33.8568)
    assert xmp_coordinate("58,22.896W", "lon") == pytest.approx(-58.3816)
    assert xmp_coordinate("-1.2864", "lat") == pytest.approx(-1.2864)
    assert xmp_coordinate("48,51.5E", "lat") is None  # a latitude says N or S
    assert xmp_coordinate("garbage", "lon") is None and xmp_coordinate(None, "lon") is None
    assert from_xmp("48,51.504N", None) is None
    sidecar = (
        b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF '
        b'xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description '
        b'xmlns:exif="http://ns.adobe.com/exif/1.0/" exif:GPSLatitude="1,17.184S">'
        b"<exif:GPSLongitude>36,49.032E</exif:GPSLongitude></rdf:Description></rdf:RDF>"
        b"</x:xmpmeta>"
    )
    where = from_xmp(*read_gps(sidecar))
    assert where.origin == "xmp" and gazetteer().place(where.lat, where.lon).city == "Nairobi"


def _photos(lib: Library, files) -> list[int]:
    cat = lib.catalog
    folder = cat.add_folder(str(files[0].parent))
    with cat.transaction():
        return [cat.insert_photo(folder, str(f), 1, 1, f"h{i}") for i, f in enumerate(files)]


@pytest.fixture
def lib(tmp_path):
    lib = Library(tmp_path / "home")
    yield lib
    lib.close()


def test_the_step_tags_the_place_from_gps_and_leaves_a_photo_without_gps_untouched(lib, tmp_path):
    folder = tmp_path / "photos"
    folder.mkdir()
    files = [_gps_jpeg(folder / f"{n}.jpg", *PLACES[n][0]) for n in ("paris", "sydney")]
    files.append(_gps_jpeg(folder / "sea.jpg", *MID_ATLANTIC))
    Image.new("RGB", (8, 8)).save(folder / "plain.jpg")
    files.append(folder / "plain.jpg")
    paris, sydney, sea, plain = _photos(lib, files)

    done = places(lib)
    assert done.done and done.placed == 2 and done.changed_photos == {paris, sydney}
    (tag,) = tags_of(lib.catalog, paris)
    assert tag.tag == "Places|France|Île-de-France|Paris"
    assert (tag.state, tag.source) == (TagState.CONFIRMED, TagSource.GPS)
    assert [t.tag for t in tags_of(lib.catalog, sydney)] == [
        "Places|Australia|New South Wales|Sydney"
    ]
    assert tags_of(lib.catalog, sea) == [] and tags_of(lib.catalog, plain) == []
    rows = dict(lib.catalog.conn.execute("SELECT photo_id, city FROM photo_places"))
    assert rows == {paris: "Paris", sydney: "Sydney", sea: None}  # a position, no place
    read = lib.catalog.conn.execute("SELECT COUNT(*) FROM photos WHERE places_read = 1")
    assert read.fetchone()[0] == 4
    store = TagStore(lib.catalog)
    made = [t for t in store.all() if t.path.startswith(("Places|France", "Places|Australia"))]
    assert len(made) == 6 and not any(t.enabled for t in made)  # CLIP never scores them
    assert paris not in store.decided_tags()  # nothing for the heads to learn from
    assert places(lib).photo_ids == []  # each photo is looked at once


def test_a_place_the_user_rejected_stays_rejected_and_the_switch_turns_it_off(lib, tmp_path):
    folder = tmp_path / "photos"
    folder.mkdir()
    a, b = _photos(lib, [_gps_jpeg(folder / f"{i}.jpg", *PLACES["nairobi"][0]) for i in "ab"])
    tag_id = TagStore(lib.catalog).ensure("Places|Kenya|Nairobi County|Nairobi")
    with lib.catalog.transaction():
        lib.catalog.conn.execute(
            "INSERT INTO photo_tags VALUES (?, ?, 'rejected', 'user', NULL, 0)", (a, tag_id)
        )
    lib.no_places = True  # the flag: nothing this run
    assert places(lib).photo_ids == [] and tags_of(lib.catalog, b) == []
    lib.no_places = False
    lib.settings.places = False  # the setting likewise
    assert places(lib).photo_ids == []
    lib.settings.places = True
    places(lib)
    assert [(t.state, t.source) for t in tags_of(lib.catalog, a)] == [("rejected", "user")]
    assert [(t.state, t.source) for t in tags_of(lib.catalog, b)] == [("confirmed", "gps")]
    assert places_db.place_of(lib.catalog, a, []) is None  # export writes no place for it


def test_settings_keep_the_places_switch(tmp_path):
    lib = Library(tmp_path / "home")
    lib.settings.places = False
    lib.settings.save(lib.paths.settings_file)
    lib.close()
    assert json.loads(lib.paths.settings_file.read_text())["places"] is False
    again = Library(tmp_path / "home")
    assert again.settings.places is False
    again.close()


def sidecar(**fields) -> bytes:
    """An XMP sidecar with these photoshop: location fields (City="Paris", ...)."""
    attrs = " ".join(f'photoshop:{k}="{v}"' for k, v in fields.items())
    return (
        '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF '
        'xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description '
        f'xmlns:photoshop="http://ns.adobe.com/photoshop/1.0/" {attrs}/></rdf:RDF>'
        "</x:xmpmeta>"
    ).encode()


def test_export_fills_only_empty_location_fields_and_never_mixes_another_programs():
    ours = {CITY: "Paris", STATE: "Île-de-France", COUNTRY: "France"}

    def to_fill(data, place):
        changes, after = plan(data, place, {})
        assert after == changes  # nothing of ClipDesk's was there: it writes, it removes none
        return changes

    assert to_fill(None, ours) == ours
    assert to_fill(sidecar(), ours) == ours
    assert to_fill(sidecar(Country="France"), ours) == {CITY: "Paris", STATE: "Île-de-France"}
    assert to_fill(sidecar(City="Versailles"), ours) == {}  # another program's place, whole
    assert to_fill(sidecar(City="Paris", State="IDF"), ours) == {}


def test_export_removes_only_the_location_fields_it_wrote_that_still_hold_its_values():
    """The place rejected (or moved): ClipDesk's fields go, where they still say what it
    wrote; a field another program set, or one the user changed since, stays."""
    written = {CITY: "Paris", STATE: "Île-de-France", COUNTRY: "France"}

    as_written = sidecar(City="Paris", State="Île-de-France", Country="France")
    assert plan(as_written, {}, written) == ({CITY: [], STATE: [], COUNTRY: []}, {})
    assert plan(as_written, written, written) == ({}, written)  # the same place: nothing
    edited = sidecar(City="Montmartre", State="Île-de-France", Country="France")
    assert plan(edited, {}, written) == ({STATE: [], COUNTRY: []}, {})  # the user's City stays
    lyon = {CITY: "Lyon", STATE: "Auvergne-Rhône-Alpes", COUNTRY: "France"}
    changes, after = plan(as_written, lyon, written)  # a corrected position: the new place
    assert changes == {CITY: "Lyon", STATE: "Auvergne-Rhône-Alpes"} and after == lyon
    assert plan(sidecar(City="Paris"), {}, {}) == ({}, {})  # never recorded: not ours


def test_a_broken_photo_costs_only_itself_and_a_vanished_one_is_looked_at_again(lib, tmp_path):
    folder = tmp_path / "photos"
    folder.mkdir()
    (folder / "broken.jpg").write_bytes(b"\xff\xd8\xff\xe1 not really a JPEG")
    (folder / "gone.jpg").write_bytes(b"")
    paris = _gps_jpeg(folder / "paris.jpg", *PLACES["paris"][0])
    broken, gone, placed = _photos(lib, [folder / "broken.jpg", folder / "gone.jpg", paris])
    (folder / "gone.jpg").unlink()
    done = places(lib)
    assert done.placed == 1 and sorted(done.photo_ids) == [broken, placed]
    assert [i for i, _ in places_db.photos_to_read(lib.catalog, 10)] == [gone]  # next run
