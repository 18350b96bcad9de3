"""Foreign sidecars: every one exiftool reads gets the keywords (and face regions), and nothing
else changes.

The corpus: RDF forms in ``tests/data/xmp_corpus`` (their sources: ``SOURCES.md``; exiftool's
f-spot sample ``XMP2.xmp``, a Photoshop CS2 sidecar with
the ``0.1.0.0`` values exiv2 would rewrite, an f-spot-style ``rdf:nodeID`` list, a node shared
by ``rdf:nodeID`` and a subject URI (which exiv2 would inline and drop), nonstandard and reused
prefixes, typed nodes, attribute-form keywords, Lightroom Classic's face regions with fields of
their own) and sidecars generated here by exiftool in the styles of Lightroom, darktable,
digiKam (its MWG and Microsoft face regions too) and Photoshop. Each is checked with exiftool:
the keywords are there, every other field is unchanged, a dry run predicts the run byte for
byte, and an import reads the keywords back; ClipDesk's face regions go in next to the others'
and out again, leaving them as they were.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

from clipdesk.catalog import Catalog
from clipdesk.sidecars.sync import import_keywords
from clipdesk.sidecars.xmp import (
    Keywords,
    SidecarError,
    _exiv2,
    export_sidecars,
    merge,
    plan_sidecar,
    rdfedit,
    read_photo_keywords,
    read_sidecar,
    update_sidecar,
)
from clipdesk.sidecars.xmp.region_edit import RegionRequest
from clipdesk.tagging.store import TagStore
from tests.support.files import photo_file
from tests.support.sidecars import (
    CONFIG,
    EXIFTOOL,
    as_list,
    exiftool,
    outcomes,
    outside_keywords,
    tags,
)

pytestmark = pytest.mark.skipif(EXIFTOOL is None, reason="exiftool not installed")


CORPUS = Path(__file__).parents[1] / "data" / "xmp_corpus"


HAND_WRITTEN = sorted(p.name for p in CORPUS.glob("*.xmp"))


#: Of these, exiv2 cannot take (rejects, or would change values in) these: the second engine's.
EXIV2_CANNOT = {
    "exiftool_XMP2.xmp",
    "nodeid_fspot.xmp",
    "odd_prefixes.xmp",
    "photoshop_cs2.xmp",
    "prefix_reuse.xmp",
    "shared_node.xmp",
    "typed_nodes.xmp",
}


GENERATED = {
    "lightroom.xmp": [
        "-XMP-crs:Version=15.0",
        "-XMP-crs:ProcessVersion=11.0",
        "-XMP-crs:Exposure2012=+0.35",
        "-XMP-crs:ToneCurvePV2012=0, 0",
        "-XMP-crs:ToneCurvePV2012+=255, 255",
        "-XMP-crs:HasCrop=True",
        "-XMP-photoshop:SidecarForExtension=NEF",
        "-XMP-xmp:Rating=3",
        "-XMP-lr:HierarchicalSubject=Places|Harbour",
        "-XMP-dc:Subject=Harbour",
    ],
    "darktable.xmp": [
        "-XMP-darktable:xmp_version=5",
        "-XMP-darktable:history={operation=exposure,enabled=1,params=0000abcd}",
        "-XMP-darktable:history+={operation=sharpen,enabled=0,params=ff00}",
        "-XMP-xmpMM:DerivedFrom=IMG_0001.NEF",
        "-XMP-xmp:Rating=1",
        "-XMP-lr:HierarchicalSubject=darktable|format|nef",
    ],
    "digikam.xmp": [
        "-XMP-digiKam:TagsList=Places/Harbour",
        "-XMP-lr:HierarchicalSubject=Places|Harbour",
        "-XMP-dc:Subject=Harbour",
        "-XMP-digiKam:ColorLabel=3",
        "-XMP-digiKam:PickLabel=2",
        "-XMP-microsoft:LastKeywordXMP=Places/Harbour",
        "-XMP-xmp:Rating=4",
    ],
    # digiKam writes each face twice: as an MWG region and as a Microsoft one.
    "digikam_regions.xmp": [
        "-XMP-digiKam:TagsList=People/Grace Hopper",
        "-XMP-lr:HierarchicalSubject=People|Grace Hopper",
        "-XMP-mwg-rs:RegionInfo={AppliedToDimensions={W=16,H=12,Unit=pixel},"
        "RegionList=[{Area={X=0.30125,Y=0.41,W=0.0825,H=0.12375,Unit=normalized},"
        "Name=Grace Hopper,Type=Face}]}",
        "-XMP-MP:RegionInfoMP={Regions=[{Rectangle=0.26|, 0.348125|, 0.0825|, 0.12375,"
        "PersonDisplayName=Grace Hopper}]}",
        "-XMP-xmp:Rating=2",
    ],
    "photoshop_history.xmp": [
        "-XMP-xmpMM:DocumentID=xmp.did:0001",
        "-XMP-xmpMM:History={Action=created,InstanceID=xmp.iid:01,"
        "When=2024:01:01 10:00:00,SoftwareAgent=Adobe Photoshop 25.0}",
        "-XMP-xmpMM:History+={Action=saved,InstanceID=xmp.iid:02,"
        "When=2024:01:01 10:05:00,Changed=/}",
        "-XMP-photoshop:ColorMode=RGB",
        "-XMP-exif:ExifVersion=0231",
        "-XMP-dc:Title-x-default=Harbour at dawn",
    ],
}


ADD = {"Animals|Dog", "People|Surname, Firstname", "Music|AC/DC"}


KEYWORD_FIELDS = {"XMP-dc:Subject", "XMP-lr:HierarchicalSubject", "XMP-digiKam:TagsList"}


IGNORED = KEYWORD_FIELDS | {"XMP-x:XMPToolkit", "File:FileSize"}


#: A keyword field given by reference (f-spot's ``<dc:subject rdf:nodeID="anon2" />``).
_KEYWORD_REF = re.compile(
    rb"<\w+:(?:subject|hierarchicalSubject|TagsList)\s[^>]*?nodeID=[\"']([^\"']+)"
)


def _outside(data: bytes) -> bytes:
    """:func:`outside_keywords`, and without the lists keyword fields point at by
    ``rdf:nodeID`` either: those lists are the keywords, written apart (f-spot)."""
    for node_id in set(_KEYWORD_REF.findall(data)):
        quoted = re.escape(node_id)
        data = re.sub(
            rb"\s*<(\w+:(?:Bag|Seq|Alt))\s[^>]*?nodeID=[\"']" + quoted + rb"[\"'].*?</\1>",
            b"",
            data,
            flags=re.DOTALL,
        )
    return outside_keywords(data)


@pytest.fixture(scope="session")
def generated(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("generated")
    config = folder / "exiftool.config"
    config.write_text(CONFIG)
    for name, args in GENERATED.items():
        exiftool("-o", folder / name, *args, config=config)
    return folder


@pytest.fixture
def photo(tmp_path: Path) -> Path:
    return photo_file(tmp_path / "photos" / "shot.jpg", (10, 120, 200), (16, 12))


def _source(name: str, generated: Path) -> Path:
    return CORPUS / name if (CORPUS / name).exists() else generated / name


@pytest.mark.parametrize("name", HAND_WRITTEN + sorted(GENERATED))
def test_every_foreign_sidecar_gets_the_keywords_and_keeps_everything_else(
    name: str, photo: Path, generated: Path
):
    side = photo.with_name(photo.name + ".xmp")
    shutil.copy(_source(name, generated), side)
    config = generated / "exiftool.config"
    before = tags(side, config)
    old = side.read_bytes()
    old_keywords = read_sidecar(side).keywords

    plan = plan_sidecar(photo, ADD, set())
    dry = export_sidecars([(photo, ADD, set())], dry_run=True)
    assert side.read_bytes() == old  # a dry run writes nothing
    done = export_sidecars([(photo, ADD, set())])
    assert outcomes(done) == outcomes(dry) == [("written", tuple(sorted(ADD)), (), "")]
    assert plan.outcome == "written" and side.read_bytes() == plan.new_bytes  # byte for byte

    after = tags(side, config)
    assert {k: v for k, v in after.items() if k not in IGNORED} == {
        k: v for k, v in before.items() if k not in IGNORED
    }
    subjects = as_list(after["XMP-dc:Subject"])
    hierarchy = as_list(after["XMP-lr:HierarchicalSubject"])
    assert {"Dog", "Surname, Firstname", "AC/DC"} <= set(subjects)
    assert ADD <= set(hierarchy)
    assert set(old_keywords.flat) <= set(subjects)  # the other programs' keywords stay
    assert set(old_keywords.hierarchical) <= set(hierarchy)
    # dc:subject is in step with the hierarchy: every leaf is a flat keyword too.
    assert {h.rsplit("|", 1)[-1] for h in hierarchy} <= set(subjects)
    # "AC/DC" has no digiKam form: it is kept out of TagsList, never split there.
    assert set(as_list(after.get("XMP-digiKam:TagsList"))) >= {
        "Animals/Dog",
        "People/Surname, Firstname",
    }
    assert not any("AC" in t for t in as_list(after.get("XMP-digiKam:TagsList")))
    if name in EXIV2_CANNOT:  # the keyword editor: every byte outside the keywords kept
        assert _outside(side.read_bytes()) == _outside(old)

    # An import reads back exactly the paths (no comma split, no "/" split).
    assert ADD <= read_photo_keywords(photo, embedded=False).paths
    again = export_sidecars([(photo, ADD, set())])
    assert outcomes(again) == [("unchanged", (), (), "")]
    # And the tags can be taken out again, leaving the other programs' keywords.
    update_sidecar(photo, set(), ADD)
    left = read_sidecar(side).keywords
    assert set(left.hierarchical) == set(old_keywords.hierarchical)
    assert set(old_keywords.flat) <= set(left.flat)


def test_the_corpus_covers_what_exiv2_cannot_take(generated: Path):
    """The hand-written files are the ones that need the second engine (else the test above
    would test exiv2 alone): exiv2 rejects them or would change a value."""
    from clipdesk.sidecars.xmp import sidecar_bytes

    for name in HAND_WRITTEN:
        data = (CORPUS / name).read_bytes()
        try:
            fields = _exiv2.read_sidecar_bytes(data)
            sidecar_bytes.exiv2_bytes(CORPUS / name, data, {**fields, _exiv2.DC_SUBJECT: ["x"]})
            took = True
        except (_exiv2.Exiv2Failure, SidecarError):
            took = False
        assert took == (name not in EXIV2_CANNOT), name


@pytest.mark.parametrize("name", HAND_WRITTEN)
def test_the_keyword_editor_on_every_rdf_form(name: str, tmp_path: Path):
    """The second engine on its own (also on the forms exiv2 could take): add to, then empty,
    every keyword field; exiftool sees exactly that and every other field as before."""
    data = (CORPUS / name).read_bytes()
    side = tmp_path / "s.xmp"
    side.write_bytes(data)
    before = tags(side)
    now = rdfedit.read_fields(data)
    assert now == {k: as_list(v) for k, v in _exiv2_view(before).items()}
    fields = {
        _exiv2.DC_SUBJECT: [*now[_exiv2.DC_SUBJECT], "Dog", "R&B <live>"],
        _exiv2.LR_HIERARCHICAL: [*now[_exiv2.LR_HIERARCHICAL], "Animals|Dog"],
        _exiv2.DIGIKAM_TAGS: [*now[_exiv2.DIGIKAM_TAGS], "Animals/Dog"],
    }
    for wanted in (fields, {key: [] for key in fields}):
        side.write_bytes(rdfedit.edit_fields(data, wanted))
        after = tags(side)
        assert {k: as_list(v) for k, v in _exiv2_view(after).items()} == wanted
        assert {k: v for k, v in after.items() if k not in IGNORED} == {
            k: v for k, v in before.items() if k not in IGNORED
        }
        if name != "attribute_form.xmp":  # there the start tag itself changes (checked above)
            assert _outside(side.read_bytes()) == _outside(data)


def _exiv2_view(exiftool_tags: dict) -> dict:
    names = {
        _exiv2.DC_SUBJECT: "XMP-dc:Subject",
        _exiv2.LR_HIERARCHICAL: "XMP-lr:HierarchicalSubject",
        _exiv2.DIGIKAM_TAGS: "XMP-digiKam:TagsList",
    }
    return {key: exiftool_tags.get(name) for key, name in names.items()}


def test_a_name_with_a_slash_survives_export_and_import(photo: Path):
    update_sidecar(photo, {"Music|AC/DC", "Music|Rock"}, set())
    side = photo.with_name(photo.name + ".xmp")
    t = tags(side)
    assert sorted(as_list(t["XMP-lr:HierarchicalSubject"])) == ["Music|AC/DC", "Music|Rock"]
    assert as_list(t["XMP-digiKam:TagsList"]) == ["Music/Rock"]  # no ambiguous "Music/AC/DC"
    assert sorted(as_list(t["XMP-dc:Subject"])) == ["AC/DC", "Rock"]
    assert read_photo_keywords(photo, embedded=False).paths == {"Music|AC/DC", "Music|Rock"}
    # A program that writes both fields, with the "/" form in TagsList: still one tag.
    exiftool("-overwrite_original", "-XMP-digiKam:TagsList+=Music/AC/DC", side)
    assert read_photo_keywords(photo, embedded=False).paths == {"Music|AC/DC", "Music|Rock"}
    # Removing it takes it out of both fields, and only it.
    update_sidecar(photo, set(), {"Music|AC/DC"})
    t = tags(side)
    assert as_list(t["XMP-digiKam:TagsList"]) == ["Music/Rock"]
    assert as_list(t["XMP-lr:HierarchicalSubject"]) == ["Music|Rock"]
    # ClipDesk cannot make a name with "|": it is the path separator, so "A|B" is B under A.
    assert merge(Keywords(), {"A|B"}, set()).keywords.digikam == ("A/B",)


def test_a_comma_inside_a_keyword_is_never_split(photo: Path):
    exiftool(
        "-o",
        photo.with_name(photo.name + ".xmp"),
        "-XMP-lr:HierarchicalSubject=People|Surname, Firstname",
        "-XMP-dc:Subject=Surname, Firstname",
        "-XMP-dc:Subject=Harbour, Hamburg",
    )
    exiftool("-overwrite_original", "-IPTC:Keywords=Doe, Jane", photo)
    found = read_photo_keywords(photo)
    assert found.paths == {"People|Surname, Firstname", "Harbour, Hamburg", "Doe, Jane"}


def _catalog_with(tmp_path: Path, photos: list[Path]) -> tuple[Catalog, list[tuple[int, str]]]:
    cat = Catalog(tmp_path / "catalog.db")
    folder = cat.add_folder(photos[0].parent)
    rows = [(cat.insert_photo(folder, str(p), 1, 1, f"h{i}"), str(p)) for i, p in enumerate(photos)]
    return cat, rows


def test_animal_and_animal_from_two_programs_are_one_tag(tmp_path: Path, photo: Path):
    exiftool(
        "-o",
        photo.with_name(photo.name + ".xmp"),
        "-XMP-lr:HierarchicalSubject=Nature|Animal",
        "-XMP-dc:Subject=animal",  # another program, another case
        "-XMP-dc:Subject=Animal",
    )
    assert read_photo_keywords(photo, embedded=False).paths == {"Nature|Animal"}
    cat, rows = _catalog_with(tmp_path, [photo])
    with cat:
        import_keywords(cat, rows)
        assert sorted(TagStore(cat).paths().values()) == ["Nature", "Nature|Animal"]


def test_a_keyword_in_another_case_maps_to_the_users_tag(tmp_path: Path, photo: Path):
    other = photo.with_name("other.jpg")
    shutil.copy(photo, other)
    exiftool("-o", photo.with_name(photo.name + ".xmp"), "-XMP-dc:Subject=Animal")
    exiftool("-o", other.with_name(other.name + ".xmp"), "-XMP-dc:Subject=animal")
    cat, rows = _catalog_with(tmp_path, [photo, other])
    with cat:
        TagStore(cat).ensure("Animal")  # the user's spelling
        import_keywords(cat, rows)
        assert list(TagStore(cat).paths().values()) == ["Animal"]


def test_dc_subject_is_kept_in_step_with_the_hierarchy(photo: Path):
    side = photo.with_name(photo.name + ".xmp")
    # Another program wrote a hierarchical keyword without its flat leaf ("harbour" in another
    # case counts as the leaf of "Places|Harbour" only for "Places|Harbour" itself, below).
    exiftool("-o", side, "-XMP-lr:HierarchicalSubject=Places|Harbour", "-XMP-dc:Subject=x")
    update_sidecar(photo, {"Animals|Dog"}, set())
    assert sorted(as_list(tags(side)["XMP-dc:Subject"])) == ["Dog", "Harbour", "x"]
    # Removing a path takes its leaf out unless another path still has it.
    update_sidecar(photo, {"Breeds|Dog"}, set())
    update_sidecar(photo, set(), {"Animals|Dog"})
    assert sorted(as_list(tags(side)["XMP-dc:Subject"])) == ["Dog", "Harbour", "x"]
    update_sidecar(photo, set(), {"Breeds|Dog"})
    assert sorted(as_list(tags(side)["XMP-dc:Subject"])) == ["Harbour", "x"]
    # A leaf already there in another case is not added twice.
    side.unlink()
    exiftool("-o", side, "-XMP-lr:HierarchicalSubject=Places|Harbour", "-XMP-dc:Subject=harbour")
    update_sidecar(photo, {"Animals|Cat"}, set())
    assert sorted(as_list(tags(side)["XMP-dc:Subject"])) == ["Cat", "harbour"]


#: A face of ClipDesk's, on the 16x12 test photo as displayed.
ADA = ("Ada Lovelace", (0.6, 0.2, 0.1, 0.15))


@pytest.mark.parametrize("name", HAND_WRITTEN + sorted(GENERATED))
def test_face_regions_go_in_and_out_of_every_foreign_sidecar(
    name: str, photo: Path, generated: Path
):
    """ClipDesk's region joins the others' (theirs first, as they were); a second export is a
    no-op; once the face is gone its region goes, and the sidecar reads as before, every other
    field and every other program's region included."""
    side = photo.with_name(photo.name + ".xmp")
    shutil.copy(_source(name, generated), side)
    config = generated / "exiftool.config"
    before = tags(side, config)
    theirs = as_list(before.get("XMP-mwg-rs:RegionInfo", {}).get("RegionList"))
    old = side.read_bytes()

    ask = RegionRequest((ADA,), width=16, height=12)
    plan = plan_sidecar(photo, ADD, set(), regions=ask)
    done = update_sidecar(photo, ADD, set(), regions=ask)
    assert done.outcome == "written" and side.read_bytes() == plan.new_bytes
    assert done.regions.added == ("Ada Lovelace",) and len(done.regions.written) == 1
    after = tags(side, config)
    info = after["XMP-mwg-rs:RegionInfo"]
    regions = as_list(info["RegionList"])
    assert regions[: len(theirs)] == theirs  # the other programs' regions, as they were
    assert regions[len(theirs) :] == [
        {
            "Area": {"H": 0.15, "Unit": "normalized", "W": 0.1, "X": 0.65, "Y": 0.275},
            "Name": "Ada Lovelace",
            "Type": "Face",
        }
    ]
    if not theirs:  # ClipDesk made the structure: the stored image's size
        assert info["AppliedToDimensions"] == {"H": 12, "Unit": "pixel", "W": 16}
    untouched = IGNORED | {"XMP-mwg-rs:RegionInfo"}
    assert {k: v for k, v in after.items() if k not in untouched} == {
        k: v for k, v in before.items() if k not in untouched
    }

    again = RegionRequest((ADA,), done.regions.written, done.regions.created, width=16, height=12)
    written = side.read_bytes()
    assert update_sidecar(photo, ADD, set(), regions=again).outcome == "unchanged"
    assert side.read_bytes() == written

    gone = RegionRequest((), done.regions.written, done.regions.created, width=16, height=12)
    out = update_sidecar(photo, set(), ADD, regions=gone)
    assert out.regions.removed == ("Ada Lovelace",) and out.regions.written == ()
    left = tags(side, config)
    assert {k: v for k, v in left.items() if k not in IGNORED} == {
        k: v for k, v in before.items() if k not in IGNORED
    }
    assert left.get("XMP-mwg-rs:RegionInfo") == before.get("XMP-mwg-rs:RegionInfo")
    if name in EXIV2_CANNOT:  # both edits in the file's own bytes: nothing else moved
        assert _outside(side.read_bytes()) == _outside(old)


#: exiftool's own sample of f-spot's XMP (``t/images/XMP2.xmp``): ``dc:subject`` is
#: ``<dc:subject rdf:nodeID="anon2" />`` and the list a top-level ``<rdf:Bag rdf:nodeID="anon2">``;
#: its ``<?xpacket begin=...?>`` holds a 0x1A byte.
XMP2 = CORPUS / "exiftool_XMP2.xmp"


def _exiftool_keywords(path: Path) -> tuple[list, list]:
    """The keywords as ``exiftool -j -Subject -HierarchicalSubject`` lists them."""
    out = json.loads(exiftool("-j", "-Subject", "-HierarchicalSubject", path))[0]
    return as_list(out.get("Subject")), as_list(out.get("HierarchicalSubject"))


def test_exiftools_fspot_sample_imports_its_keywords(tmp_path: Path, photo: Path):
    side = photo.with_name(photo.name + ".xmp")
    shutil.copy(XMP2, side)
    subject, hierarchy = _exiftool_keywords(side)
    assert subject == ["ExifTool", "XMP", "nodeID", "test"]  # the sample as exiftool reads it
    read = read_sidecar(side)
    assert list(read.keywords.flat) == subject
    assert list(read.keywords.hierarchical) == hierarchy
    found = read_photo_keywords(photo, embedded=False)
    assert found.errors == () and found.paths == set(subject)
    cat, rows = _catalog_with(tmp_path, [photo])
    with cat:
        report = import_keywords(cat, rows)
        assert report.errors == []
        assert sorted(TagStore(cat).paths().values()) == sorted(subject)


def test_exiftools_fspot_sample_gets_our_keywords_in_its_shared_list(photo: Path):
    """Ours are added to the list ``dc:subject`` points at, where f-spot wrote it; exiftool
    reads them with the sample's own, and every other field as before. Taking ours out gives
    the file back byte for byte."""
    side = photo.with_name(photo.name + ".xmp")
    shutil.copy(XMP2, side)
    old = side.read_bytes()
    before = tags(side)
    subject, _ = _exiftool_keywords(side)

    done = update_sidecar(photo, ADD, set(), rating="reject")
    assert (done.outcome, done.added, done.rating) == ("written", tuple(sorted(ADD)), "rejected")
    after = tags(side)
    assert as_list(after["XMP-dc:Subject"]) == [*subject, "AC/DC", "Dog", "Surname, Firstname"]
    assert sorted(as_list(after["XMP-lr:HierarchicalSubject"])) == sorted(ADD)
    assert after["XMP-xmp:Rating"] == -1
    untouched = IGNORED | {"XMP-xmp:Rating"}
    assert {k: v for k, v in after.items() if k not in untouched} == {
        k: v for k, v in before.items() if k not in untouched
    }
    new = side.read_bytes()
    assert new.startswith(old[: old.index(b"?>") + 2])  # the wrapper, its 0x1A byte included
    assert b'<dc:subject rdf:nodeID="anon2" />' in new  # still f-spot's reference...
    assert new.count(b"nodeID") == old.count(b"nodeID")  # ...to the one list, now with ours
    assert read_photo_keywords(photo, embedded=False).paths == set(subject) | ADD

    update_sidecar(photo, set(), ADD, rating="unreject")
    assert side.read_bytes() == old


def test_a_keyword_list_shared_with_another_property_stays_that_propertys(
    photo: Path, generated: Path
):
    """A list two properties point at: ours gets a list of its own, the other keeps its
    items (exiftool's view). A list ``dc:subject`` holds that another property points at
    cannot change alone: refused, saying so, and never called "not valid XMP"."""
    side = photo.with_name(photo.name + ".xmp")
    config = generated / "exiftool.config"
    head = (
        '<x:xmpmeta xmlns:x="adobe:ns:meta/">\n<rdf:RDF '
        'xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"\n'
        ' xmlns:dc="http://purl.org/dc/elements/1.1/" '
        'xmlns:acme="http://example.com/ns/acme/1.0/">\n'
    )
    shared = (
        head + '<rdf:Bag rdf:nodeID="kw">\n <rdf:li>garden</rdf:li>\n</rdf:Bag>\n'
        '<rdf:Description rdf:about="">\n <dc:subject rdf:nodeID="kw"/>\n'
        ' <acme:Notes rdf:nodeID="kw"/>\n</rdf:Description>\n</rdf:RDF>\n</x:xmpmeta>\n'
    )
    side.write_text(shared)
    before = tags(side, config)
    assert as_list(before["XMP-dc:Subject"]) == as_list(before["XMP-acme:Notes"]) == ["garden"]
    assert update_sidecar(photo, {"Dog"}, set()).outcome == "written"
    after = tags(side, config)
    assert as_list(after["XMP-dc:Subject"]) == ["garden", "Dog"]
    assert as_list(after["XMP-acme:Notes"]) == ["garden"]
    assert {k: v for k, v in after.items() if k not in IGNORED} == {
        k: v for k, v in before.items() if k not in IGNORED
    }

    held = (
        head + '<rdf:Description rdf:about="">\n'
        ' <dc:subject><rdf:Bag rdf:nodeID="kw"><rdf:li>garden</rdf:li></rdf:Bag></dc:subject>\n'
        ' <acme:Notes rdf:nodeID="kw"/>\n</rdf:Description>\n</rdf:RDF>\n</x:xmpmeta>\n'
    )
    side.write_text(held)
    assert as_list(tags(side, config)["XMP-acme:Notes"]) == ["garden"]  # exiftool reads it
    assert read_photo_keywords(photo, embedded=False).paths == {"garden"}
    done = export_sidecars([(photo, {"Dog"}, set())])
    (outcome,) = done.outcomes
    assert outcome.outcome == "skipped"
    assert "its dc:subject is a list shared by reference" in outcome.reason
    assert "not valid XMP" not in outcome.reason
    assert side.read_text() == held
