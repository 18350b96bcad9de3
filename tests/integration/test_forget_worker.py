"""Forgetting through the worker (the window's way): a folder not found that is named goes
with its photos, and is no longer watched."""

from __future__ import annotations

import shutil

from clipdesk.ops import forgetting


def test_forgetting_an_unplugged_folder_stops_watching_it(start, shapes, tmp_path):
    drive = tmp_path / "drive" / "card"
    drive.mkdir(parents=True)
    for photo in sorted(shapes.glob("*.jpg"))[:3]:
        shutil.copy(photo, drive / f"card-{photo.name}")
    w, _ = start(shapes, drive)
    assert w.wait_idle(120)
    folders = w.submit(lambda lib: lib.catalog.folders()).result(30)
    card_id = next(i for i, root in folders if root == str(drive))
    shutil.move(tmp_path / "drive", tmp_path / "unplugged")
    w.request_index()  # queued at once: waiting for idle waits for its scan
    assert w.wait_idle(120)

    everywhere = w.submit(lambda lib: forgetting.plan_missing(lib)).result(30)
    assert everywhere.photos == () and everywhere.kept == ((str(drive), 3),)
    plan = w.submit(lambda lib: forgetting.plan_missing(lib, folder_ids=[card_id])).result(30)
    done = w.forget(plan).result(30)
    assert (done.photos, done.folders) == (3, (str(drive),))
    assert [f["path"] for f in w.status()["folders"]] == [str(shapes)]
    assert card_id not in w.watcher.modes()
