"""XMP sidecars: fields, naming, merging with other programs' data, safety. Checked with exiftool.

Every file here is real (written by exiftool, Pillow or ClipDesk) and every sidecar ClipDesk
writes is read back by exiftool, an independent XMP implementation.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from clipdesk.sidecars.xmp import (
    SidecarError,
    atomic,
    export_sidecars,
    find_sidecar,
    plan_sidecar,
    read_photo_keywords,
    read_sidecar,
    update_sidecar,
)
from tests.support.files import photo_file, sha
from tests.support.sidecars import CONFIG, EXIFTOOL, as_list, exiftool, outside_keywords, tags

pytestmark = pytest.mark.skipif(EXIFTOOL is None, reason="exiftool not installed")

KEYWORD_FIELDS = {"XMP-dc:Subject", "XMP-lr:HierarchicalSubject", "XMP-digiKam:TagsList"}


@pytest.fixture
def config(tmp_path: Path) -> Path:
    path = tmp_path / "exiftool.config"
    path.write_text(CONFIG)
    return path


@pytest.fixture
def photo(tmp_path: Path) -> Path:
    return photo_file(tmp_path / "photos" / "Köln 1.jpg", (200, 60, 40), (32, 24))


@pytest.mark.parametrize(
    ("naming", "name", "digikam"),
    [
        ("ext", "Köln 1.jpg.xmp", True),
        ("base", "Köln 1.xmp", True),
        ("ext", "Köln 1.jpg.xmp", False),
    ],
)
def test_keywords_land_in_every_field(photo: Path, naming, name, digikam):
    before = sha(photo)
    add = {"Animals|Dog", "Orte|Köln", "動物"}
    done = update_sidecar(photo, add, set(), naming=naming, digikam=digikam)
    assert done.outcome == "written" and done.sidecar == photo.with_name(name)
    assert done.added == tuple(sorted(add))
    t = tags(done.sidecar)
    assert sorted(t["XMP-dc:Subject"]) == sorted(["Dog", "Köln", "動物"])
    assert sorted(t["XMP-lr:HierarchicalSubject"]) == sorted(add)
    if digikam:
        assert sorted(t["XMP-digiKam:TagsList"]) == ["Animals/Dog", "Orte/Köln", "動物"]
    else:
        assert "XMP-digiKam:TagsList" not in t
    assert [p.name for p in photo.parent.iterdir() if p != photo] == [name]
    assert read_sidecar(done.sidecar).keywords.paths == add
    again = update_sidecar(photo, add, set(), naming=naming, digikam=digikam)
    assert again.outcome == "unchanged" and again.fingerprint == done.fingerprint
    assert sha(photo) == before


def test_both_names_exist_the_chosen_convention_wins_default_ext(photo: Path):
    ext, base = photo.with_name(photo.name + ".xmp"), photo.with_suffix(".xmp")
    exiftool("-o", ext, "-XMP-lr:HierarchicalSubject=From|Ext")
    exiftool("-o", base, "-XMP-lr:HierarchicalSubject=From|Base")
    assert find_sidecar(photo) == ext
    assert read_photo_keywords(photo, embedded=False).paths == {"From|Ext"}
    assert read_photo_keywords(photo, prefer="base", embedded=False).paths == {"From|Base"}
    base.unlink()
    assert find_sidecar(photo, prefer="base") == ext  # falls back to the other convention


def test_every_foreign_field_survives_an_export(photo: Path, config: Path):
    side = photo.with_suffix(".xmp")
    exiftool(
        "-o",
        side,
        "-XMP-dc:Title=Sonnenuntergang über Köln",
        "-XMP-dc:Creator=Alice",
        "-XMP-dc:Description=Desc",
        "-XMP-dc:Description-de=Beschreibung",
        "-XMP-dc:Subject=Sunset",
        "-XMP-lr:HierarchicalSubject=Places|Beach",
        "-XMP-crs:Exposure2012=+0.5",
        "-XMP-crs:Contrast2012=12",
        "-XMP-xmp:Rating=4",
        "-XMP-xmp:CreateDate=2024:01:02 03:04:05+01:00",
        "-XMP-digiKam:ColorLabel=3",
        "-XMP-darktable:xmp_version=5",
        "-XMP-darktable:history={operation=exposure,enabled=1,params=0000abcd}",
        "-XMP-darktable:history+={operation=sharpen,enabled=0,params=ff00}",
        "-XMP-acme:Score=3.5",
        "-XMP-acme:Notes=one",
        "-XMP-acme:Notes=two",
        config=config,
    )
    before = tags(side, config)
    assert before["XMP-darktable:History"][1]["Operation"] == "sharpen"  # the config works

    done = update_sidecar(photo, {"Animals|Dog", "Orte|Köln"}, {"Places|Beach"}, naming="base")
    assert done.removed == ("Places|Beach",)
    after = tags(side, config)
    ignore = KEYWORD_FIELDS | {"XMP-x:XMPToolkit", "File:FileSize"}
    assert {k: v for k, v in after.items() if k not in ignore} == {
        k: v for k, v in before.items() if k not in ignore
    }
    assert sorted(after["XMP-dc:Subject"]) == ["Dog", "Köln", "Sunset"]
    assert sorted(after["XMP-lr:HierarchicalSubject"]) == ["Animals|Dog", "Orte|Köln"]


def test_a_keyword_from_another_program_stays_unless_removed(photo: Path):
    side = photo.with_name(photo.name + ".xmp")
    update_sidecar(photo, {"Animals|Dog"}, set())
    exiftool(
        "-overwrite_original",
        "-XMP-lr:HierarchicalSubject+=People|Anna",
        "-XMP-dc:Subject+=Anna",
        "-XMP-dc:Subject+=Holiday",
        side,
    )
    update_sidecar(photo, {"Animals|Cat"}, {"Animals|Dog"})
    t = tags(side)
    assert sorted(t["XMP-lr:HierarchicalSubject"]) == ["Animals|Cat", "People|Anna"]
    assert sorted(t["XMP-dc:Subject"]) == ["Anna", "Cat", "Holiday"]
    update_sidecar(photo, set(), {"People|Anna", "Holiday", "Animals|Cat"})
    t = tags(side)
    # Emptied fields are deleted, not left as empty bags.
    assert KEYWORD_FIELDS.isdisjoint(t), json.dumps(t)


def test_a_sidecar_changed_by_another_program_is_merged_not_overwritten(photo: Path, monkeypatch):
    side = photo.with_name(photo.name + ".xmp")
    plan = plan_sidecar(photo, {"A|One"}, set())
    exiftool("-o", side, "-XMP-lr:HierarchicalSubject=Other|Two")  # after our read
    done = update_sidecar(photo, {"A|One"}, set(), expected=plan.fingerprint)
    assert done.reread
    assert sorted(tags(side)["XMP-lr:HierarchicalSubject"]) == ["A|One", "Other|Two"]

    # A change between our temp write and the rename: the merge is redone on the new content.
    real = atomic.write_temp
    calls = []

    def racing_write(target, data, mode):
        calls.append(1)
        if len(calls) == 1:
            exiftool("-overwrite_original", "-XMP-lr:HierarchicalSubject+=Other|Three", side)
        return real(target, data, mode)

    monkeypatch.setattr(atomic, "write_temp", racing_write)
    done = update_sidecar(photo, {"B|Four"}, set())
    assert done.reread and len(calls) == 2
    assert sorted(tags(side)["XMP-lr:HierarchicalSubject"]) == [
        "A|One",
        "B|Four",
        "Other|Three",
        "Other|Two",
    ]
    assert not list(side.parent.glob("*" + atomic.TEMP_SUFFIX))


def test_a_sidecar_that_keeps_changing_is_given_up_on_not_overwritten(photo: Path, monkeypatch):
    side = photo.with_name(photo.name + ".xmp")
    exiftool("-o", side, "-XMP-dc:Subject=Start")
    real = atomic.write_temp
    n = iter(range(100))

    def busy_write(target, data, mode):
        exiftool("-overwrite_original", f"-XMP-dc:Subject+=Other{next(n)}", side)
        return real(target, data, mode)

    monkeypatch.setattr(atomic, "write_temp", busy_write)
    with pytest.raises(SidecarError, match="kept changing"):
        update_sidecar(photo, {"Mine"}, set(), max_attempts=3)
    assert as_list(tags(side)["XMP-dc:Subject"]) == ["Start", "Other0", "Other1", "Other2"]
    assert not list(side.parent.glob("*" + atomic.TEMP_SUFFIX))


def test_a_rewrite_exiv2_would_make_lossy_goes_to_the_keyword_editor(photo: Path, monkeypatch):
    from clipdesk.sidecars.xmp import _exiv2

    side = photo.with_name(photo.name + ".xmp")
    exiftool("-o", side, "-XMP-dc:Subject=Keep", "-XMP-crs:Exposure2012=+1.0")
    old = side.read_bytes()
    real = _exiv2.rewrite_sidecar

    def lossy(data, fields):  # stands in for an exiv2 that cannot carry crs: over
        return real(real(data, {"Xmp.crs.Exposure2012": []}), fields)

    monkeypatch.setattr(_exiv2, "rewrite_sidecar", lossy)
    done = update_sidecar(photo, {"Animals|Dog"}, set())
    assert done.outcome == "written"
    t = tags(side)
    assert t["XMP-crs:Exposure2012"] == "+1.0"
    assert as_list(t["XMP-dc:Subject"]) == ["Keep", "Dog"]
    assert as_list(t["XMP-lr:HierarchicalSubject"]) == ["Animals|Dog"]
    # Only the keyword properties were edited: every other byte is as it was.
    assert outside_keywords(side.read_bytes()) == outside_keywords(old)

    # A keyword field neither engine can take (a structure): refused, left byte-identical.
    odd = old.replace(b"<dc:subject>", b"<dc:subject rdf:parseType='Resource'>")
    odd = odd.replace(b"<rdf:Bag>", b"").replace(b"</rdf:Bag>", b"")
    odd = odd.replace(b"<rdf:li>Keep</rdf:li>", b"<rdf:value>Keep</rdf:value>")
    side.write_bytes(odd)
    with pytest.raises(SidecarError, match="the keyword editor: a keyword field is a structure"):
        update_sidecar(photo, {"Animals|Dog"}, set())
    assert side.read_bytes() == odd


def test_import_from_sidecar_and_from_embedded_xmp_and_iptc(photo: Path):
    exiftool(
        "-overwrite_original",
        "-XMP-dc:Subject+=Dog",
        "-XMP-dc:Subject+=Animals",
        "-XMP-lr:HierarchicalSubject+=Animals|Dog",
        "-IPTC:Keywords+=Cat",
        "-IPTC:Keywords+=Köln",
        photo,
    )  # IPTC in exiftool's default Latin-1
    exiftool(
        "-o",
        photo.with_name(photo.name + ".xmp"),
        "-XMP-digiKam:TagsList=Orte/Berlin",
        "-XMP-dc:Subject=Berlin",
    )
    before = sha(photo)
    found = read_photo_keywords(photo)
    assert found.errors == ()
    assert found.embedded is not None and found.sidecar is not None
    assert found.embedded.iptc == ("Cat", "Köln")
    assert found.embedded.paths == {"Animals|Dog", "Cat", "Köln"}
    assert found.sidecar.keywords.paths == {"Orte|Berlin"}
    assert found.paths == {"Animals|Dog", "Cat", "Köln", "Orte|Berlin"}
    # Writing a sidecar leaves the embedded metadata (and every byte of the photo) alone.
    update_sidecar(photo, {"動物"}, {"Orte|Berlin"})
    assert sha(photo) == before
    utf8 = photo.with_name("utf8.jpg")
    shutil.copy(photo, utf8)
    exiftool(
        "-overwrite_original",
        "-charset",
        "iptc=UTF8",
        "-IPTC:CodedCharacterSet=UTF8",
        "-IPTC:Keywords=Orte",
        "-IPTC:Keywords+=Düsseldorf",
        utf8,
    )
    # exiftool appends: the file now mixes Latin-1 and UTF-8 values; each is decoded on its own.
    assert read_photo_keywords(utf8).embedded.iptc == ("Cat", "Köln", "Orte", "Düsseldorf")
    broken = photo.with_name("broken.jpg")
    broken.write_bytes(b"\xff\xd8 not really a jpeg")
    assert read_photo_keywords(broken).errors


@pytest.mark.parametrize(
    "content",
    [b"truncated", b"", b"garbage", b"jpeg"],
)
def test_an_unparseable_sidecar_is_left_untouched_and_reported(photo: Path, content: bytes):
    side = photo.with_name(photo.name + ".xmp")
    exiftool("-o", side, "-XMP-dc:Subject=Keep", "-XMP-crs:Exposure2012=+1.0")
    good = side.read_bytes()
    data = {
        b"truncated": good[: len(good) // 2],
        b"": b"",
        b"garbage": b"<x:xmpmeta xmlns:x='adobe:ns:meta/'><rdf:RDF><oops></x:xmpmeta>",
        b"jpeg": photo.read_bytes(),
    }[content]
    side.write_bytes(data)
    with pytest.raises(SidecarError) as err:
        update_sidecar(photo, {"Animals|Dog"}, set())
    assert err.value.path == side and "\n" not in err.value.reason and err.value.reason
    report = export_sidecars([(photo, {"Animals|Dog"}, set())])
    assert [o.outcome for o in report.outcomes] == ["skipped"]
    assert report.outcomes[0].reason == err.value.reason
    assert side.read_bytes() == data
    assert sorted(p.name for p in photo.parent.iterdir()) == sorted([photo.name, side.name])


def test_a_process_killed_before_the_rename_leaves_a_valid_sidecar(photo: Path):
    update_sidecar(photo, {"Old|Tag"}, set())
    side = photo.with_name(photo.name + ".xmp")
    old = side.read_bytes()
    script = (
        "import os, sys\n"
        "from clipdesk.sidecars.xmp import update_sidecar\n"
        "os.replace = lambda *a, **k: os._exit(9)  # killed between temp write and rename\n"
        "update_sidecar(sys.argv[1], {'New|Tag'}, set())\n"
    )
    root = Path(__file__).resolve().parents[2]
    env = dict(os.environ, PYTHONPATH=str(root))
    done = subprocess.run(
        [sys.executable, "-c", script, str(photo)], env=env, cwd=root, check=False
    )
    assert done.returncode == 9
    assert side.read_bytes() == old
    assert as_list(tags(side)["XMP-lr:HierarchicalSubject"]) == ["Old|Tag"]
    stray = list(photo.parent.glob(f".{side.name}.*{atomic.TEMP_SUFFIX}"))
    assert len(stray) == 1  # the dead writer's fsynced temp file
    update_sidecar(photo, {"New|Tag"}, set())
    assert not stray[0].exists()
    assert sorted(as_list(tags(side)["XMP-lr:HierarchicalSubject"])) == ["New|Tag", "Old|Tag"]


def test_a_read_only_folder_is_a_clear_error(photo: Path, monkeypatch):
    side = photo.with_name(photo.name + ".xmp")
    exiftool("-o", side, "-XMP-dc:Subject=Keep")
    old = side.read_bytes()
    real_open = os.open

    def no_create(path, flags, *args, **kwargs):
        if flags & os.O_CREAT:
            raise PermissionError(13, "Permission denied", str(path))
        return real_open(path, flags, *args, **kwargs)

    monkeypatch.setattr(os, "open", no_create)
    with pytest.raises(SidecarError) as err:
        update_sidecar(photo, {"Animals|Dog"}, set())
    assert err.value.reason == "folder is read-only"
    report = export_sidecars([(photo, {"Animals|Dog"}, set())])
    assert report.skipped[0].reason == "folder is read-only"
    assert side.read_bytes() == old
