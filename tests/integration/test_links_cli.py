"""Links and forgetting through the real ``clipdesk`` command (issue 26, item 5): a link out
of an added folder is reported, not followed; a photo reached through a link inside the
library is one photo, found by either path; `forget --missing` lets gone photos go."""

from __future__ import annotations

import json
import os
import shutil

from PIL import Image

from tests.support.cli import one_line_error, run


def _photo(path, colour):
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", (64, 48), colour).save(path)
    return path


def test_links_are_followed_only_inside_the_library(home, tmp_path):
    dcim = tmp_path / "mnt" / "DCIM"
    phone = _photo(dcim / "phone.jpg", (0, 0, 200))
    pictures = tmp_path / "Pictures"
    own = _photo(pictures / "2024" / "own.jpg", (200, 0, 0))
    os.symlink("..", pictures / "up")  # would pull in tmp_path, and with it mnt/DCIM
    os.symlink(dcim, pictures / "Phone")
    os.symlink("2024", pictures / "latest")

    added = run("--model", "test", "add", str(pictures))
    assert "1 photo seen (1 new" in added.stdout, added.stdout
    skipped = [ln for ln in added.stdout.splitlines() if ln.startswith("  skipped")]
    assert skipped == [
        f"  skipped {pictures / 'Phone'}: a link out of the folder (to {dcim}): not followed; "
        f"add {dcim} as a folder to include it",
        f"  skipped {pictures / 'up'}: a link out of the folder, to a folder that holds it "
        f"({tmp_path}): not followed (it would pull in all of {tmp_path})",
    ]
    # The photo through the link inside the folder is the one photo, by either path.
    by_link = run("tags", str(pictures / "latest" / "own.jpg"), "--json").stdout
    assert by_link == run("tags", str(own), "--json").stdout and json.loads(by_link)
    run("tag", str(pictures / "latest" / "own.jpg"), "--add", "Mine")
    assert "Mine" in run("tags", str(own)).stdout
    # Through the link out of the folder: not in the library, and the line says what to add.
    proc = run("tags", str(pictures / "Phone" / "phone.jpg"), check=False)
    one_line_error(proc, "not in the library", f"clipdesk add {dcim}")

    # Added as advised: indexed once, under its own folder; both paths reach it.
    again = run("add", str(dcim))
    assert "1 photo seen (1 new" in again.stdout
    assert "Phone" not in again.stdout  # a link into the library is no skipped entry
    run("tag", str(pictures / "Phone" / "phone.jpg"), "--add", "Phone")
    assert "Phone" in run("tags", str(phone)).stdout
    status = json.loads(run("status", "--json").stdout)
    assert status["counts"]["indexed"] == 2  # not 3: the phone photo is not in twice


def test_forget_missing_keeps_present_photos_and_unplugged_drives(home, tmp_path):
    photos = tmp_path / "photos"
    drive = tmp_path / "drive" / "archive"
    gone = _photo(photos / "gone.jpg", (200, 0, 0))
    stays = _photo(photos / "stays.jpg", (0, 200, 0))
    _photo(drive / "old.jpg", (0, 0, 200))
    run("--model", "test", "add", str(photos), str(drive))
    run("tag", str(gone), str(stays), "--add", "Keep")
    gone.unlink()
    shutil.move(tmp_path / "drive", tmp_path / "unplugged")
    run("index")
    counts = json.loads(run("status", "--json").stdout)["counts"]
    assert (counts["indexed"], counts["missing"]) == (1, 2)

    dry = run("forget", "--missing", "--dry-run")
    listed, summary = dry.stdout.splitlines()[:2]
    assert listed == f"  {gone}"
    assert summary.startswith("would forget 1 missing photo (with ")  # suggestions too
    assert summary.endswith(", 1 of them decided by you); nothing was changed")
    assert f"kept 1 missing photo of {drive}, a folder not found" in dry.stdout
    assert json.loads(run("status", "--json").stdout)["counts"]["missing"] == 2

    done = run("forget", "--missing")
    assert done.stdout.startswith("forgot 1 missing photo (with ")
    assert "1 of them decided by you); no file was touched" in done.stdout
    proc = run("tags", str(gone), check=False)
    one_line_error(proc, "not in the library")
    assert "Keep" in run("tags", str(stays)).stdout  # present: never forgotten, tags kept
    assert stays.exists()

    # The unplugged drive's photos go only when it is named, and the folder with them.
    named = run("forget", "--missing", str(drive))
    first, folder = named.stdout.splitlines()
    assert first.startswith("forgot 1 missing photo") and "decided" not in first
    assert folder == f"forgot the folder {drive} too (not found)"
    status = json.loads(run("status", "--json").stdout)
    assert status["counts"]["missing"] == 0 and status["counts"]["indexed"] == 1
    assert [f["path"] for f in status["folders"]] == [str(photos)]

    one_line_error(run("forget", "--missing", str(tmp_path / "elsewhere"), check=False), "not in")
    usage = run("forget", check=False)
    assert usage.returncode == 2 and "--missing" in usage.stderr
