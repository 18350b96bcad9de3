"""Writing a sidecar never follows a link: not one that appears in a race before the rename,
nor one swapped in during an update. Real files."""

from __future__ import annotations

import errno
import os

import pytest


def test_the_rename_refuses_a_link_that_appears_in_a_race(tmp_path):
    from clipdesk.sidecars.xmp import atomic

    outside = tmp_path / "outside"
    outside.mkdir()
    folder = tmp_path / "photos"
    folder.mkdir()
    target = folder / "a.jpg.xmp"
    # A new sidecar: a link appears at its name after the plan found nothing there.
    os.symlink(outside / "made.xmp", target)
    tmp = atomic.write_temp(target, b"new", None)
    assert atomic.install(tmp, target, new=True) is False  # the caller merges again
    assert not (outside / "made.xmp").exists() and os.path.islink(target)
    # A replacement: the sidecar was swapped for a link after it was read.
    (outside / "theirs.xmp").write_bytes(b"theirs")
    os.remove(target)
    os.symlink(outside / "theirs.xmp", target)
    with pytest.raises(OSError) as exc:
        atomic.install(tmp, target, new=False)
    assert exc.value.errno == errno.ELOOP
    assert (outside / "theirs.xmp").read_bytes() == b"theirs"
    tmp.unlink()


def test_a_link_swapped_in_during_an_update_is_refused_not_followed(tmp_path, monkeypatch):
    from clipdesk.sidecars.xmp import SidecarError, atomic, update_sidecar

    folder, outside = tmp_path / "photos", tmp_path / "outside"
    folder.mkdir()
    outside.mkdir()
    photo = folder / "a.jpg"
    photo.write_bytes(b"not opened")
    real_write = atomic.write_temp

    def write_then_race(target, data, mode):  # another process makes a link meanwhile
        tmp = real_write(target, data, mode)
        os.symlink(outside / "elsewhere.xmp", target)
        return tmp

    monkeypatch.setattr(atomic, "write_temp", write_then_race)
    with pytest.raises(SidecarError, match="is a link"):
        update_sidecar(photo, ["Trips|Rome"], [])
    assert not (outside / "elsewhere.xmp").exists()
    assert sorted(p.name for p in folder.iterdir()) == ["a.jpg", "a.jpg.xmp"]  # no temp left
    assert os.path.islink(folder / "a.jpg.xmp")
