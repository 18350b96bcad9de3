"""Near-duplicates and bursts: copies of a photo group together, different photos do not."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image

from clipdesk.testing.synthetic import write_folder

CLI = [sys.executable, "-m", "clipdesk"]


COPIES = ("resized", "q40", "crop", "exifrot")


def _copies(src: Path, dest: Path) -> None:
    """A photo's usual copies: half size, recompressed, 10% cropped, rotated by EXIF only."""
    im = Image.open(src)
    w, h = im.size
    im.resize((w // 2, h // 2)).save(dest / f"{src.stem}_resized.jpg", quality=90)
    im.save(dest / f"{src.stem}_q40.jpg", quality=40)
    box = (w // 20, h // 20, w - w // 20, h - h // 20)
    im.crop(box).save(dest / f"{src.stem}_crop.jpg", quality=90)
    exif = Image.Exif()
    exif[0x0112] = 6  # shown turned back upright: the same picture
    im.transpose(Image.Transpose.ROTATE_90).save(
        dest / f"{src.stem}_exifrot.jpg", quality=90, exif=exif
    )


def _taken(path: Path, when: str) -> None:
    """Set EXIF DateTimeOriginal (the photo is a generated test file, not a user's)."""
    im = Image.open(path)
    exif = Image.Exif()
    exif.get_ifd(0x8769)[0x9003] = when
    im.save(path, quality=92, exif=exif)


def _run(home: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    env = {**os.environ, "CLIPDESK_HOME": str(home)}
    proc = subprocess.run(
        [*CLI, "--model", "test", *args], capture_output=True, text=True, env=env, timeout=600
    )
    if check and proc.returncode:
        raise AssertionError(f"exit {proc.returncode}\n{proc.stdout}\n{proc.stderr}")
    return proc


@pytest.fixture(scope="module")
def library(tmp_path_factory, onnx_cache):
    """24 different photos, 6 of them with 4 copies each, and a burst of 3 dated photos."""
    root = tmp_path_factory.mktemp("dups")
    photos = root / "photos"
    write_folder(photos / "originals", 24, seed=11)
    (photos / "copies").mkdir()
    originals = sorted((photos / "originals").glob("*.jpg"))
    for src in originals[:6]:
        _copies(src, photos / "copies")
    burst = photos / "burst"
    burst.mkdir()
    big = Image.open(originals[10]).resize((400, 400))
    for i in range(3):  # the camera pans a little between frames
        frame = big.crop((i * 6, 0, 360 + i * 6, 360))
        frame.save(burst / f"frame{i}.jpg", quality=92)
        _taken(burst / f"frame{i}.jpg", f"2026:07:01 10:00:0{i}")
    big.crop((0, 0, 360, 360)).save(burst / "next_day.jpg", quality=92)
    _taken(burst / "next_day.jpg", "2026:07:02 10:00:00")
    home = root / "home"
    (home / "cache").mkdir(parents=True)
    os.symlink(onnx_cache, home / "cache" / "onnx")
    _run(home, "add", str(photos))
    return home, photos


def _groups(home: Path, *args: str) -> list[list[str]]:
    out = json.loads(_run(home, "duplicates", "--json", *args).stdout)
    return [[Path(p["path"]).name for p in g["photos"]] for g in out]


def _stem(name: str) -> str:
    stem = name.rsplit(".", 1)[0]
    for kind in COPIES:
        stem = stem.removesuffix(f"_{kind}")
    return stem


def test_copies_of_a_photo_group_together_and_different_photos_do_not(library):
    home, photos = library
    groups = [g for g in _groups(home) if not g[0].startswith(("frame", "next_day"))]
    originals = sorted(p.name for p in (photos / "originals").glob("*.jpg"))[:6]
    expected = {frozenset([o] + [f"{o[:-4]}_{k}.jpg" for k in COPIES]) for o in originals}
    assert {frozenset(g) for g in groups} == expected
    for g in groups:  # never two different photos in one group
        assert len({_stem(n) for n in g}) == 1


def test_the_keeper_is_the_largest_copy(library):
    home, _ = library
    out = json.loads(_run(home, "duplicates", "--json").stdout)
    for g in out:
        pixels = [p["width"] * p["height"] for p in g["photos"]]
        assert g["keeper"] == g["photos"][0]["path"]
        assert pixels[0] == max(pixels)
        assert not g["keeper"].endswith(("_resized.jpg", "_crop.jpg"))


def test_bursts_within_a_time_window(library):
    home, _ = library
    everything = _groups(home)
    assert any(
        {"frame0.jpg", "frame1.jpg", "frame2.jpg", "next_day.jpg"} <= set(g) for g in everything
    )
    bursts = _groups(home, "--within", "10")
    # Only dated photos taken within 10 s of each other: the three frames, not the copy
    # taken a day later, and none of the undated copies.
    assert [sorted(g) for g in bursts] == [["frame0.jpg", "frame1.jpg", "frame2.jpg"]]


def test_the_terminal_lists_groups_with_the_keeper_marked(library):
    home, _ = library
    out = _run(home, "duplicates").stdout
    assert out.splitlines()[0].startswith("7 groups")
    keeper_lines = [line for line in out.splitlines() if line.startswith("* ")]
    assert len(keeper_lines) == 7


def test_reject_copies_flags_all_but_the_keepers(tmp_path, library):
    home, photos = library
    before = {p: p.read_bytes() for p in photos.rglob("*.jpg")}
    out = _run(home, "duplicates", "--within", "10", "--reject-copies").stdout
    assert "2 photos newly flagged as rejected" in out
    bursts = json.loads(_run(home, "duplicates", "--within", "10", "--json").stdout)
    assert [p["rejected"] for p in bursts[0]["photos"]] == [False, True, True]
    assert {p: p.read_bytes() for p in photos.rglob("*.jpg")} == before
    again = _run(home, "duplicates", "--within", "10", "--reject-copies").stdout
    assert "0 photos newly flagged" in again


def test_bad_arguments_and_an_empty_library_are_one_line(tmp_path, library):
    home, _ = library
    bad = _run(home, "duplicates", "--threshold", "2", check=False)
    assert bad.returncode == 2 and "at most 1" in bad.stderr
    empty = _run(tmp_path / "empty", "duplicates", check=False)
    assert empty.returncode == 1
    assert empty.stderr.count("\n") == 1 and "clipdesk add" in empty.stderr
