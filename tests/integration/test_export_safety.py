"""Export never writes where it should not, records each sidecar as it writes it, and keyword
problems found while indexing are shown by `clipdesk status`. Real files, a real catalog, the
real CLI, exiftool reading what was written."""

from __future__ import annotations

import json
import os
import shutil
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest
from PIL import Image

from tests.support.cli import CLI, run
from tests.support.files import raw_jpeg_pair
from tests.support.sidecars import exif, subjects

pytestmark = pytest.mark.skipif(not shutil.which("exiftool"), reason="exiftool not installed")


def _rated_sidecar(path: Path) -> None:
    subprocess.run(
        ["exiftool", "-q", "-o", str(path), "-XMP-xmp:Rating=3"], check=True, capture_output=True
    )


def test_a_linked_sidecar_is_skipped_never_written_through(home, shapes, tmp_path):
    run("--model", "test", "add", str(shapes))
    photos = sorted(shapes.glob("*.jpg"))[:3]
    outside = tmp_path / "outside"
    outside.mkdir()
    target = outside / "theirs.xmp"
    _rated_sidecar(target)
    before = target.read_bytes()
    linked, dangling, plain = photos
    os.symlink(target, f"{linked}.xmp")
    os.symlink(outside / "nowhere.xmp", f"{dangling}.xmp")  # a dangling link
    run("tag", *map(str, photos), "--add", "Trips|Rome")

    dry = run("export", "--dry-run")
    done = run("export")
    for proc in (dry, done):
        lines = [ln for ln in proc.stderr.splitlines() if ln.startswith("skipped")]
        assert len(lines) == 2, proc.stderr  # one line per problem
        assert all("is a link" in ln for ln in lines), lines
        assert "skipped 2" in proc.stdout and "Traceback" not in proc.stderr
    assert "would write 1," in dry.stdout and "wrote 1," in done.stdout
    assert target.read_bytes() == before  # the link's target is untouched
    assert not (outside / "nowhere.xmp").exists()  # nothing created at a dangling target
    assert os.path.islink(f"{linked}.xmp") and os.path.islink(f"{dangling}.xmp")
    assert subjects(Path(f"{plain}.xmp")) == {"Rome"}


def test_a_read_only_sidecar_is_skipped_unless_forced_and_keeps_its_mode(home, shapes):
    run("--model", "test", "add", str(shapes))
    photo = sorted(shapes.glob("*.jpg"))[0]
    sidecar = Path(f"{photo}.xmp")
    _rated_sidecar(sidecar)
    os.chmod(sidecar, 0o444)
    before = sidecar.read_bytes()
    run("tag", str(photo), "--add", "Family")

    dry = run("export", "--dry-run")
    proc = run("export")
    for p in (dry, proc):
        assert "read-only" in p.stderr and "--force" in p.stderr, p.stderr
        assert "skipped 1" in p.stdout
    assert sidecar.read_bytes() == before

    forced = run("export", "--force")
    assert "wrote 1," in forced.stdout, forced.stdout + forced.stderr
    meta = exif(sidecar)
    assert meta["XMP-xmp:Rating"] == 3 and subjects(sidecar) == {"Family"}
    assert stat.S_IMODE(os.stat(sidecar).st_mode) == 0o444  # still read-only


def test_a_killed_export_then_undo_and_export_leaves_no_sidecar_with_the_tag(home, tmp_path):
    from clipdesk.testing.synthetic import write_folder

    folder = tmp_path / "many"
    write_folder(folder, 240, seed=3, size=(64, 64))
    run("--model", "test", "add", str(folder))
    photos = sorted(map(str, folder.glob("*.jpg")))
    run("tag", *photos, "--add", "Trips|Rome")

    proc = subprocess.Popen([*CLI, "export"], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and len(list(folder.glob("*.xmp"))) < 5:
        time.sleep(0.002)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    written = len(list(folder.glob("*.xmp")))
    assert 5 <= written < len(photos), f"kill came too late or too early: {written}"

    run("undo")
    done = run("export")
    assert "skipped 0" in done.stdout, done.stdout + done.stderr
    left = [p for p in folder.glob("*.xmp") if "Rome" in subjects(p)]
    assert left == []
    # The sidecars ClipDesk created held nothing else, so they are gone again (the one in
    # flight when the export was killed too: it was claimed before its rename).
    assert list(folder.glob("*.xmp")) == []


def test_sidecar_problems_during_add_are_listed_by_status(home, shapes):
    photos = sorted(shapes.glob("*.jpg"))
    bad_utf8, folder_named, fifo, broken, good = photos[:5]
    Path(f"{bad_utf8}.xmp").write_bytes(
        b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF '
        b'xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description '
        b'xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:subject><rdf:Bag><rdf:li>caf\xe9'
        b"</rdf:li></rdf:Bag></dc:subject></rdf:Description></rdf:RDF></x:xmpmeta>"
    )
    Path(f"{folder_named}.xmp").mkdir()
    os.mkfifo(f"{fifo}.xmp")
    Path(f"{broken}.xmp").write_bytes(b"<x:xmpmeta><rdf:RDF><broken")
    subprocess.run(
        ["exiftool", "-q", "-o", f"{good}.xmp", "-XMP-dc:Subject=Snow"],
        check=True,
        capture_output=True,
    )

    added = run("--model", "test", "add", str(shapes))  # a FIFO must not block (600 s cap)
    assert "36 embedded, 0 skipped" in added.stdout, added.stdout + added.stderr
    status = run("status")
    lines = [ln for ln in status.stdout.splitlines() if ln.startswith("keywords:")]
    assert len(lines) == 4, status.stdout  # one line per photo with a problem
    by_photo = {p: next(ln for ln in lines if f" {p}: " in ln) for p in photos[:4]}
    assert "folder" in by_photo[folder_named] and "FIFO" in by_photo[fifo]
    assert "XML" in by_photo[broken] or "XMP" in by_photo[broken]
    assert f"{bad_utf8}.xmp" in by_photo[bad_utf8]
    info = json.loads(run("status", "--json").stdout)
    assert {p["path"] for p in info["keyword_problems"]} == {str(p) for p in photos[:4]}
    assert info["counts"]["indexed"] == 36  # the photos themselves are fine
    tags = {t["tag"] for t in json.loads(run("tags", str(good), "--json").stdout)}
    assert "Snow" in tags  # the good sidecar was read in the same run

    # Fixed, and read again: the problem goes from the list.
    os.rmdir(f"{folder_named}.xmp")
    run("import-keywords", str(folder_named))
    info = json.loads(run("status", "--json").stdout)
    assert str(folder_named) not in {p["path"] for p in info["keyword_problems"]}


def test_sidecar_and_embedded_keywords_are_united_on_import(home, shapes):
    photo = sorted(shapes.glob("*.jpg"))[0]
    subprocess.run(
        [
            "exiftool",
            "-q",
            "-overwrite_original",
            "-IPTC:Keywords=Garden",
            "-IPTC:Keywords=Park",  # flat here; the sidecar's hierarchy says where it belongs
            "-XMP-dc:Subject=Garden",
            "-XMP-lr:HierarchicalSubject=Home|Garden",
            str(photo),
        ],
        check=True,
        capture_output=True,
    )
    subprocess.run(
        [
            "exiftool",
            "-q",
            "-o",
            f"{photo}.xmp",
            "-XMP-lr:HierarchicalSubject=Places|Park",
            "-XMP-dc:Subject=Park",
            "-XMP-dc:Subject=Snow",
        ],
        check=True,
        capture_output=True,
    )
    run("--model", "test", "add", str(shapes))
    tags = {t["tag"]: t for t in json.loads(run("tags", str(photo), "--json").stdout)}
    imported = {k for k, t in tags.items() if t["source"] == "imported"}
    # The union of both sources, each keyword once: what both say is one tag, not two.
    assert {"Home|Garden", "Places|Park", "Snow"} <= imported
    assert "Park" not in imported and "Garden" not in imported  # leaves, not tags of their own


def _tagged_pair(shapes: Path) -> tuple[Path, Path]:
    """A RAW+JPEG pair (same base name) in the library, each with a tag of its own."""
    jpeg, raw = raw_jpeg_pair(shapes)
    run("--model", "test", "add", str(shapes))
    run("tag", str(jpeg), "--add", "OnlyJpeg")
    run("tag", str(raw), "--add", "OnlyRaw")
    return jpeg, raw


def test_raw_jpeg_pair_by_default_the_jpeg_gets_its_own_sidecar(home, shapes):
    jpeg, raw = _tagged_pair(shapes)
    dry = run("export", "--naming", "base", "--dry-run")
    proc = run("export", "--naming", "base")
    for p in (dry, proc):
        notes = [ln for ln in p.stderr.splitlines() if ln.startswith("note")]
        assert len(notes) == 1 and "is shared with" in notes[0] and raw.name in notes[0]
    base = jpeg.with_suffix(".xmp")
    assert subjects(base) == {"OnlyRaw"}  # the RAW's sidecar holds only the RAW's tags
    assert subjects(Path(f"{jpeg}.xmp")) == {"OnlyJpeg"}


def test_raw_jpeg_pair_exported_as_one_photo_when_asked(home, shapes):
    jpeg, raw = _tagged_pair(shapes)
    proc = run("export", "--naming", "base", "--pair-raw")
    assert "wrote 1," in proc.stdout, proc.stdout + proc.stderr
    base = jpeg.with_suffix(".xmp")
    assert subjects(base) == {"OnlyJpeg", "OnlyRaw"}
    assert exif(base)["XMP-photoshop:SidecarForExtension"] == "cr2"
    assert not Path(f"{jpeg}.xmp").exists()
    # Remembered; and a tag undone on the JPEG leaves the shared sidecar on the next export.
    run("undo")  # the last decision: OnlyRaw on the RAW
    run("tag", str(jpeg), "--reject", "OnlyJpeg")
    run("export")
    assert not base.exists() or subjects(base) == set()


def test_pairing_never_touches_a_sidecar_of_a_non_raw_sibling(home, shapes):
    jpeg = sorted(shapes.glob("*.jpg"))[0]
    png = jpeg.with_suffix(".png")
    Image.open(jpeg).save(png)  # the same photo as a PNG
    run("--model", "test", "add", str(shapes))
    run("tag", str(jpeg), str(png), "--add", "Both")
    proc = run("export", "--naming", "base", "--pair-raw")
    assert len([ln for ln in proc.stderr.splitlines() if ln.startswith("note")]) == 2
    assert not jpeg.with_suffix(".xmp").exists()  # no RAW: photo.xmp is nobody's
    assert subjects(Path(f"{jpeg}.xmp")) == subjects(Path(f"{png}.xmp")) == {"Both"}


if sys.platform == "win32":  # pragma: no cover - FIFOs and symlinks as root are POSIX here
    pytestmark = pytest.mark.skip(reason="POSIX file types")
