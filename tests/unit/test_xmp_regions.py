"""Face regions in XMP: the frame of an MWG area against the photo as displayed (checked against
Pillow's own turns), every RDF form the others write read alike, a region that cannot be used
skipped with its reason, and export's edit of a sidecar's regions: added next to the others',
taken out only when ClipDesk wrote them, read back before it is trusted."""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from clipdesk.catalog import Catalog
from clipdesk.imaging.metadata import apply_orientation, display_size
from clipdesk.people import faces_db
from clipdesk.sidecars.keyword_import import import_keywords
from clipdesk.sidecars.sync import export_library
from clipdesk.sidecars.xmp import update_sidecar
from clipdesk.sidecars.xmp.region_edit import RegionRequest, Written, plan_regions
from clipdesk.sidecars.xmp.region_geometry import in_shown_frame, shown_box, stored_box
from clipdesk.sidecars.xmp.regions import read_regions, shown_faces
from clipdesk.tagging import corrections
from clipdesk.tagging.store import TagStore
from tests.support.files import photo_file

RDF_OPEN = (
    '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF '
    'xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
)
RDF_CLOSE = "</rdf:RDF></x:xmpmeta>"
NS = (
    'xmlns:mwg-rs="http://www.metadataworkinggroup.com/schemas/regions/" '
    'xmlns:stArea="http://ns.adobe.com/xmp/sType/Area#" '
    'xmlns:stDim="http://ns.adobe.com/xap/1.0/sType/Dimensions#"'
)


def _doc(body: str, ns: str = NS) -> bytes:
    return (
        f'{RDF_OPEN}<rdf:Description rdf:about="" {ns}>{body}</rdf:Description>{RDF_CLOSE}'.encode()
    )


def _mwg(items: str, dims: str = "") -> str:
    return (
        f'<mwg-rs:Regions rdf:parseType="Resource">{dims}'
        f"<mwg-rs:RegionList><rdf:Bag>{items}</rdf:Bag></mwg-rs:RegionList></mwg-rs:Regions>"
    )


def _lightroom_item(name: str, x, y, w, h, kind: str = "Face", extra: str = "") -> str:
    return (
        f'<rdf:li><rdf:Description mwg-rs:Name="{name}" mwg-rs:Type="{kind}"{extra}>'
        f'<mwg-rs:Area stArea:x="{x}" stArea:y="{y}" stArea:w="{w}" stArea:h="{h}" '
        'stArea:unit="normalized"/></rdf:Description></rdf:li>'
    )


def _exiftool_item(name: str, x, y, w, h) -> str:
    return (
        '<rdf:li rdf:parseType="Resource"><mwg-rs:Area rdf:parseType="Resource">'
        f"<stArea:h>{h}</stArea:h><stArea:unit>normalized</stArea:unit><stArea:w>{w}</stArea:w>"
        f"<stArea:x>{x}</stArea:x><stArea:y>{y}</stArea:y></mwg-rs:Area>"
        f"<mwg-rs:Name>{name}</mwg-rs:Name><mwg-rs:Type>Face</mwg-rs:Type></rdf:li>"
    )


def _close(a, b, tol=1e-9) -> bool:
    return all(abs(p - q) < tol for p, q in zip(a, b, strict=True))


# ---------------------------------------------------------------- the frame


@pytest.mark.parametrize("orientation", range(1, 9))
def test_a_box_turns_with_the_photo_as_pillow_turns_its_pixels(orientation: int):
    """A white box drawn on the stored pixels lands, once Pillow applies the orientation, where
    shown_box says; stored_box takes it back."""
    width, height = 40, 30
    box = (0.25, 0.2, 0.5, 0.3)  # x, y, w, h on the stored image
    pixels = np.zeros((height, width), np.uint8)
    x0, y0 = int(box[0] * width), int(box[1] * height)
    pixels[y0 : y0 + int(box[3] * height), x0 : x0 + int(box[2] * width)] = 255
    shown = np.asarray(apply_orientation(Image.fromarray(pixels), orientation))
    sw, sh = display_size(width, height, orientation)
    assert shown.shape == (sh, sw)
    ys, xs = np.nonzero(shown)
    found = (
        xs.min() / sw,
        ys.min() / sh,
        (xs.max() + 1 - xs.min()) / sw,
        (ys.max() + 1 - ys.min()) / sh,
    )
    assert _close(shown_box(box, orientation), found, 1e-6)
    assert _close(stored_box(shown_box(box, orientation), orientation), box)


def test_the_dimensions_say_which_frame_regions_were_written_in():
    # A portrait shown from landscape pixels (orientation 6): shown 300x400, stored 400x300.
    assert not in_shown_frame((4000, 3000), 6, 300, 400)  # MWG's frame: the stored image
    assert in_shown_frame((3000, 4000), 6, 300, 400)  # a writer that used the photo as shown
    assert not in_shown_frame(None, 6, 300, 400)  # no dimensions: MWG's frame
    assert not in_shown_frame((300, 300), 6, 300, 300)  # a square cannot tell
    assert not in_shown_frame((400, 300), 3, 400, 300)  # a half turn cannot either
    assert in_shown_frame(None, 1, 400, 300)  # upright: one frame


# ---------------------------------------------------------------- reading


def test_every_rdf_form_of_an_mwg_region_reads_alike():
    lightroom = _doc(_mwg(_lightroom_item("Ada", 0.5, 0.4, 0.2, 0.1)))
    exiftool = _doc(_mwg(_exiftool_item("Ada", 0.5, 0.4, 0.2, 0.1)))
    # everything as elements, the structures as inner rdf:Description blocks
    nested = _doc(
        "<mwg-rs:Regions><rdf:Description><mwg-rs:RegionList><rdf:Bag><rdf:li>"
        "<rdf:Description><mwg-rs:Name>Ada</mwg-rs:Name><mwg-rs:Type>Face</mwg-rs:Type>"
        "<mwg-rs:Area><rdf:Description><stArea:x>0.5</stArea:x><stArea:y>0.4</stArea:y>"
        "<stArea:w>0.2</stArea:w><stArea:h>0.1</stArea:h></rdf:Description></mwg-rs:Area>"
        "</rdf:Description></rdf:li></rdf:Bag></mwg-rs:RegionList></rdf:Description>"
        "</mwg-rs:Regions>"
    )
    for data in (lightroom, exiftool, nested):
        read = read_regions(data)
        assert read.problems == ()
        assert [(r.name, r.source) for r in read.mwg] == [("Ada", "MWG")]
        assert _close(read.mwg[0].box, (0.4, 0.35, 0.2, 0.1))  # the centre made a corner


def test_microsoft_regions_are_top_left_and_a_region_with_no_rectangle_is_no_face():
    data = _doc(
        '<MP:RegionInfo rdf:parseType="Resource"><MPRI:Regions><rdf:Bag>'
        '<rdf:li rdf:parseType="Resource"><MPReg:Rectangle>0.1, 0.2, 0.3, 0.4</MPReg:Rectangle>'
        "<MPReg:PersonDisplayName>Grace</MPReg:PersonDisplayName></rdf:li>"
        '<rdf:li rdf:parseType="Resource"><MPReg:PersonDisplayName>Only a name'
        "</MPReg:PersonDisplayName></rdf:li>"
        "</rdf:Bag></MPRI:Regions></MP:RegionInfo>",
        'xmlns:MP="http://ns.microsoft.com/photo/1.2/" '
        'xmlns:MPRI="http://ns.microsoft.com/photo/1.2/t/RegionInfo#" '
        'xmlns:MPReg="http://ns.microsoft.com/photo/1.2/t/Region#"',
    )
    read = read_regions(data)
    assert read.problems == () and read.mwg == ()
    assert [(r.name, r.box, r.source) for r in read.mp] == [
        ("Grace", (0.1, 0.2, 0.3, 0.4), "Microsoft")
    ]


def test_a_region_that_cannot_be_used_is_skipped_with_its_reason():
    items = "".join(
        [
            _lightroom_item("Good", 0.5, 0.5, 0.2, 0.2),
            _lightroom_item("Words", "left", 0.5, 0.2, 0.2),
            _lightroom_item("Flat", 0.5, 0.5, 0, 0.2),
            _lightroom_item("Away", 1.5, 0.5, 0.2, 0.2),
            '<rdf:li><rdf:Description mwg-rs:Name="No area" mwg-rs:Type="Face"/></rdf:li>',
            _lightroom_item("Rex", 0.5, 0.5, 0.2, 0.2, kind="Pet"),  # no face: no problem
            _lightroom_item("Focus", "?", 0.5, 0.2, 0.2, kind="Focus"),  # nor here
        ]
    )
    read = read_regions(_doc(_mwg(items)))
    assert [r.name for r in read.mwg] == ["Good"]
    assert read.problems == (
        "MWG region 2: its area is not four numbers",
        "MWG region 3: its area has no size",
        "MWG region 4: its area lies outside the photo (not 0-1 of it)",
        "MWG region 5: it has no area",
    )
    pixels = _lightroom_item("Px", 10, 10, 5, 5).replace("normalized", "pixel")
    assert read_regions(_doc(_mwg(pixels))).problems == (
        "MWG region 1: its area's unit is 'pixel', not 'normalized'",
    )
    twice = _doc(_mwg(_lightroom_item("A", 0.5, 0.5, 0.1, 0.1)) * 2)
    assert read_regions(twice).problems == (
        "MWG face regions not read: mwg-rs:Regions is there twice",
    )
    assert read_regions(b"<x:xmpmeta Regions").problems[0].startswith("face regions not read: ")


def test_one_face_from_digikams_two_kinds_of_region_and_the_orientation_applied():
    mwg = _lightroom_item("Ada", 0.5, 0.4, 0.2, 0.2)
    data = _doc(
        _mwg(mwg) + '<MP:RegionInfo rdf:parseType="Resource"><MPRI:Regions><rdf:Bag>'
        '<rdf:li rdf:parseType="Resource"><MPReg:Rectangle>0.4, 0.3, 0.2, 0.2</MPReg:Rectangle>'
        "<MPReg:PersonDisplayName>Ada</MPReg:PersonDisplayName></rdf:li>"
        "</rdf:Bag></MPRI:Regions></MP:RegionInfo>",
        NS + ' xmlns:MP="http://ns.microsoft.com/photo/1.2/" '
        'xmlns:MPRI="http://ns.microsoft.com/photo/1.2/t/RegionInfo#" '
        'xmlns:MPReg="http://ns.microsoft.com/photo/1.2/t/Region#"',
    )
    read = read_regions(data)
    assert len(read.mwg) == len(read.mp) == 1
    faces = shown_faces([read], 6, 300, 400)
    assert [f.name for f in faces] == ["Ada"]
    assert _close(faces[0].box, shown_box((0.4, 0.3, 0.2, 0.2), 6))
    assert shown_faces([read], 6, 300, 400, skip=lambda r: True) == []


# ---------------------------------------------------------------- export's edit


def _request(faces=(), ours=(), created=False, orientation=1) -> RegionRequest:
    return RegionRequest(tuple(faces), tuple(ours), created, orientation, 400, 300)


def test_regions_go_into_a_one_line_sidecar_next_to_the_others_and_out_again():
    theirs = _lightroom_item("Grace", 0.3, 0.4, 0.1, 0.1, extra=' mwg-rs:Rotation="0.1"')
    old = _doc(_mwg(theirs, '<mwg-rs:AppliedToDimensions stDim:w="400" stDim:h="300"/>'))
    plan = plan_regions(old, _request([("Ada", (0.6, 0.2, 0.1, 0.2))]))
    assert plan.added == ("Ada",) and not plan.created and b"\n" not in plan.data
    assert plan.written == (Written("Ada", (0.65, 0.3, 0.1, 0.2)),)
    assert plan.data.startswith(old[: old.index(b"</rdf:Bag>")])  # theirs, byte for byte
    assert [r.name for r in read_regions(plan.data).mwg] == ["Grace", "Ada"]
    again = plan_regions(plan.data, _request([("Ada", (0.6, 0.2, 0.1, 0.2))], plan.written))
    assert not again.changed and again.written == plan.written
    gone = plan_regions(plan.data, _request([], plan.written))
    assert gone.data == old and gone.removed == ("Ada",) and gone.written == ()


def test_a_structure_clipdesk_made_goes_when_its_last_region_does():
    old = _doc("")
    plan = plan_regions(old, _request([("Ada", (0.1, 0.1, 0.2, 0.2))], orientation=6))
    assert plan.created
    (region,) = read_regions(plan.data).mwg
    assert region.area == (0.2, 0.8, 0.2, 0.2)  # on the stored image, as MWG says
    assert b'stDim:w="300" stDim:h="400"' in plan.data  # its size (shown 400x300)
    gone = plan_regions(plan.data, _request([], plan.written, created=True, orientation=6))
    assert gone.data == old and not gone.created


def test_only_what_the_record_says_clipdesk_wrote_is_ever_taken_out():
    same = _lightroom_item("Ada", 0.65, 0.3, 0.1, 0.2)  # another program's, where ours would be
    old = _doc(_mwg(same))
    plan = plan_regions(old, _request([("Ada", (0.6, 0.2, 0.1, 0.2))]))
    assert not plan.changed and plan.written == ()  # the face is there: not written twice
    assert not plan_regions(old, _request([])).changed  # nothing recorded: nothing of ours
    # Ours, moved by hand in another program: theirs now; and not duplicated.
    ours = plan_regions(_doc(""), _request([("Ada", (0.6, 0.2, 0.1, 0.2))]))
    moved = ours.data.replace(b'stArea:x="0.65"', b'stArea:x="0.66"')
    again = plan_regions(moved, _request([("Ada", (0.6, 0.2, 0.1, 0.2))], ours.written, True))
    assert not again.changed and again.written == () and not again.created
    assert not plan_regions(moved, _request([], ours.written, True)).changed


def test_namespaces_missing_or_bound_elsewhere_are_declared_on_the_new_element():
    clash = 'xmlns:mwg-rs="http://example.com/not-mwg/" xmlns:stArea="http://example.com/x/"'
    old = _doc("<mwg-rs:Other>kept</mwg-rs:Other>", clash)
    plan = plan_regions(old, _request([("Ada", (0.1, 0.1, 0.2, 0.2))]))
    assert [r.name for r in read_regions(plan.data).mwg] == ["Ada"]
    assert b"<mwg-rs:Other>kept</mwg-rs:Other>" in plan.data


def test_a_form_it_does_not_edit_is_left_alone_with_a_note():
    by_node = _doc('<mwg-rs:Regions rdf:nodeID="r1"/>')
    plan = plan_regions(
        by_node, _request([("Ada", (0.1, 0.1, 0.2, 0.2))], [Written("B", (0.5,) * 4)])
    )
    assert not plan.changed and plan.note.startswith("face regions not written: ")
    assert plan.written == (Written("B", (0.5,) * 4),)  # the record stays as it was


def test_a_sidecar_write_with_regions_alone_keeps_every_other_byte(tmp_path: Path):
    photo = photo_file(tmp_path / "a.jpg", size=(16, 12))
    side = Path(f"{photo}.xmp")
    old = _doc('<dc:title xmlns:dc="http://purl.org/dc/elements/1.1/">T</dc:title>')
    side.write_bytes(old)
    ask = RegionRequest((("Ada", (0.1, 0.1, 0.2, 0.2)),), width=16, height=12)
    done = update_sidecar(photo, set(), set(), regions=ask)
    assert done.outcome == "written" and done.added == ()
    assert side.read_bytes() == plan_regions(old, ask).data  # no keyword engine ran


# ---------------------------------------------------------------- the catalog's side


def _catalog(tmp_path: Path, photos: int = 1) -> tuple[Catalog, list[tuple[int, str]]]:
    cat = Catalog(tmp_path / "catalog.db")
    folder = tmp_path / "photos"
    paths = [photo_file(folder / f"p{i}.jpg", (9 * i, 90, 40), (16, 12)) for i in range(photos)]
    folder_id = cat.add_folder(folder)
    rows = []
    for i, p in enumerate(paths):
        pid = cat.insert_photo(folder_id, str(p), 1, 1, f"h{i}")
        cat.set_decoded(pid, 16, 12, 1, None)
        rows.append((pid, str(p)))
    return cat, rows


def _name_face(cat: Catalog, photo_id: int, name: str, box) -> None:
    tag = TagStore(cat).ensure_person(f"People|{name}")
    person = faces_db.person_of_tag(cat, tag) or faces_db.new_person(cat, tag)
    faces_db.place(
        cat, faces_db.add_face(cat, photo_id, box, None, "user"), person, "confirmed", 1.0
    )


def test_the_record_keeps_its_regions_through_a_tags_only_write(tmp_path: Path):
    cat, [(pid, _)] = _catalog(tmp_path)
    with cat:
        assert cat.export_regions(pid) == ([], False)
        cat.record_regions(pid, [Written("Ada", (0.5,) * 4).to_json()], True, file_created=True)
        assert cat.export_state(pid) == (set(), True, None)
        cat.record_export(pid, {"People|Ada"}, True)  # the regions are not said: kept
        assert cat.export_regions(pid) == (
            [{"name": "Ada", "x": 0.5, "y": 0.5, "w": 0.5, "h": 0.5}],
            True,
        )
        cat.record_export(pid, {"People|Ada"}, True, None, ([], False))
        assert cat.export_regions(pid) == ([], False)


def test_export_then_import_of_the_same_sidecar_makes_no_new_face(tmp_path: Path):
    cat, rows = _catalog(tmp_path, 2)
    with cat:
        with cat.transaction():
            _name_face(cat, rows[0][0], "Ada", (0.6, 0.2, 0.1, 0.2))
        report = export_library(cat)
        assert [o.regions.added for o in report.outcomes] == [("Ada",)]
        # The other photo gets the same sidecar, as if copied: its region is a new face there,
        # but on the photo ClipDesk wrote it for, it is ClipDesk's own and no face is added.
        Path(f"{rows[1][1]}.xmp").write_bytes(Path(f"{rows[0][1]}.xmp").read_bytes())
        with cat.transaction():
            faces_db.place(cat, faces_db.faces_of(cat, rows[0][0])[0].id, None, "clustered", None)
        done = import_keywords(cat, rows)
        assert done.faces == 1 and done.errors == []
        assert faces_db.named_regions(cat, rows[1][0]) == [
            ("Ada", pytest.approx((0.6, 0.2, 0.1, 0.2)))
        ]
        assert faces_db.named_regions(cat, rows[0][0]) == []


def test_a_region_name_no_tag_may_have_is_one_problem(tmp_path: Path):
    cat, rows = _catalog(tmp_path)
    items = _lightroom_item("Ada &#8238;Lovelace", 0.5, 0.5, 0.2, 0.2) + _lightroom_item(
        "Grace", 0.2, 0.2, 0.1, 0.1
    )
    Path(f"{rows[0][1]}.xmp").write_bytes(_doc(_mwg(items)))
    with cat:
        report = import_keywords(cat, rows)
        ((path, problem),) = report.errors
        assert problem.startswith("1 face region not imported: MWG region: ")
        assert [n for n, _ in faces_db.named_regions(cat, rows[0][0])] == ["Grace"]
        people = [t.path for t in TagStore(cat).all() if t.person]
        assert people == ["People|Grace"]
        # the photo carries its person's tag, confirmed
        tag = {v: k for k, v in TagStore(cat).paths().items()}["People|Grace"]
        assert any(
            t == tag and s == "confirmed" for t, s, *_ in TagStore(cat).states_on(rows[0][0])
        )


def test_many_faces_of_many_people_import_in_one_pass(tmp_path: Path):
    """Names seen first on one photo's regions are the same tags on the next photo's keywords
    (one tree for the run): no second People|Ada."""
    cat, rows = _catalog(tmp_path, 3)
    for (_, path), (a, b) in zip(
        rows, itertools.pairwise(["Ada", "Bob", "Cy", "Ada"]), strict=False
    ):
        items = _lightroom_item(a, 0.2, 0.2, 0.1, 0.1) + _lightroom_item(b, 0.7, 0.7, 0.1, 0.1)
        keywords = (
            '<lr:hierarchicalSubject xmlns:lr="http://ns.adobe.com/lightroom/1.0/">'
            f"<rdf:Bag><rdf:li>People|{b}</rdf:li></rdf:Bag></lr:hierarchicalSubject>"
        )
        Path(f"{path}.xmp").write_bytes(_doc(_mwg(items) + keywords))
    with cat:
        report = import_keywords(cat, rows)
        assert report.faces == 6 and report.errors == []
        paths = sorted(TagStore(cat).paths().values())
        assert paths == ["People", "People|Ada", "People|Bob", "People|Cy"]


class _Killed(Exception):
    """The process dies here (in the test: an exception nothing catches)."""


def test_a_kill_just_before_the_rename_leaves_a_record_that_covers_the_file(
    tmp_path: Path, monkeypatch
):
    from clipdesk.sidecars.xmp import atomic

    cat, [(pid, path)] = _catalog(tmp_path)
    side = Path(f"{path}.xmp")
    with cat:
        with cat.transaction():
            _name_face(cat, pid, "Ada", (0.6, 0.2, 0.1, 0.2))
        real = atomic.install

        def install(tmp, target, new):
            assert cat.export_regions(pid)[0] == [Written("Ada", (0.65, 0.3, 0.1, 0.2)).to_json()]
            assert cat.export_state(pid)[1]  # ClipDesk is making the file: recorded as its
            real(tmp, target, new=new)
            raise _Killed  # renamed, and killed before the record's second step

        monkeypatch.setattr(atomic, "install", install)
        with pytest.raises(_Killed):
            export_library(cat)
        monkeypatch.setattr(atomic, "install", real)
        assert [r.name for r in read_regions(side.read_bytes()).mwg] == ["Ada"]
        # The face goes; the next export takes out exactly ClipDesk's region, and the file,
        # which ClipDesk made and which then holds nothing, with it.
        with cat.transaction():
            faces_db.place(cat, faces_db.faces_of(cat, pid)[0].id, None, "clustered", None)
        tag = {v: k for k, v in TagStore(cat).paths().items()}["People|Ada"]
        corrections.decide(cat, [pid], tag, "rejected")  # and its keyword
        report = export_library(cat)
        assert [(o.outcome, o.regions.removed) for o in report.outcomes] == [("removed", ("Ada",))]
        assert not side.exists() and cat.export_regions(pid) == ([], False)
