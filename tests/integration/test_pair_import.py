"""Import follows export's rule for a ``photo.xmp`` shared by a RAW+JPEG pair: it belongs to
the RAW (or to the file its ``photoshop:SidecarForExtension`` names), never also to the JPEG,
unless the pair is one photo (``--pair-raw``). Real files (a JPEG renamed .cr2 decodes by
content), sidecars written by exiftool, the real CLI and catalog (issue 14)."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.support.cli import run
from tests.support.files import raw_jpeg_pair
from tests.support.sidecars import subjects

pytestmark = pytest.mark.skipif(not shutil.which("exiftool"), reason="exiftool not installed")


def _sidecar(path: Path, *args: str) -> None:
    subprocess.run(["exiftool", "-q", "-o", str(path), *args], check=True, capture_output=True)


def imported(photo: Path) -> set[str]:
    tags = json.loads(run("tags", str(photo), "--json").stdout)
    return {t["tag"] for t in tags if t["source"] == "imported"}


def test_the_jpeg_never_gets_its_raw_siblings_keywords_by_default(home, shapes):
    jpeg, raw = raw_jpeg_pair(shapes)
    _sidecar(jpeg.with_suffix(".xmp"), "-XMP-lr:HierarchicalSubject=Shoot|RawOnly")
    _sidecar(Path(f"{jpeg}.xmp"), "-XMP-dc:Subject=JpegOnly")
    run("--model", "test", "add", str(shapes))  # reads keywords, full naming preferred
    assert "Shoot|RawOnly" in imported(raw)
    assert "Shoot|RawOnly" not in imported(jpeg) and "JpegOnly" in imported(jpeg)

    run("export", "--naming", "base")  # base naming preferred from now on
    run("import-keywords")
    assert "Shoot|RawOnly" not in imported(jpeg) and "JpegOnly" in imported(jpeg)
    assert "Shoot|RawOnly" in imported(raw) and "JpegOnly" not in imported(raw)

    # Without its own sidecar the JPEG reads none: photo.xmp is still the RAW's.
    Path(f"{jpeg}.xmp").unlink()
    run("import-keywords", str(jpeg))
    assert "Shoot|RawOnly" not in imported(jpeg)


def test_a_pair_exported_as_one_photo_imports_as_one(home, shapes):
    jpeg, raw = raw_jpeg_pair(shapes)
    _sidecar(jpeg.with_suffix(".xmp"), "-XMP-lr:HierarchicalSubject=Shoot|RawOnly")
    _sidecar(Path(f"{jpeg}.xmp"), "-XMP-dc:Subject=JpegOnly")
    run("--model", "test", "add", str(shapes))
    assert "Shoot|RawOnly" not in imported(jpeg)
    run("export", "--naming", "base", "--pair-raw")  # the setting, remembered
    run("import-keywords")
    assert {"Shoot|RawOnly", "JpegOnly"} <= imported(jpeg)  # its own, and the pair's
    assert "Shoot|RawOnly" in imported(raw)


def test_a_photo_xmp_marked_for_the_jpeg_belongs_to_the_jpeg(home, shapes):
    """Adobe's mark: photo.xmp with photoshop:SidecarForExtension=JPG describes photo.jpg, RAW
    sibling or not; import reads it for the JPEG only, and export writes the RAW's tags into
    photo.cr2.xmp, never into the JPEG's sidecar."""
    jpeg, raw = raw_jpeg_pair(shapes)
    base = jpeg.with_suffix(".xmp")
    _sidecar(base, "-XMP-dc:Subject=ForJpeg", "-XMP-photoshop:SidecarForExtension=JPG")
    run("--model", "test", "add", str(shapes))
    assert "ForJpeg" in imported(jpeg) and "ForJpeg" not in imported(raw)
    run("tag", str(raw), "--add", "RawTag")
    proc = run("export", "--naming", "base")
    assert "RawTag" not in subjects(base)
    assert subjects(Path(f"{raw}.xmp")) == {"RawTag"}
    notes = [ln for ln in proc.stderr.splitlines() if ln.startswith("note")]
    assert len(notes) == 1 and raw.name in notes[0], proc.stderr
    run("import-keywords")
    assert "ForJpeg" in imported(jpeg) and "ForJpeg" not in imported(raw)
