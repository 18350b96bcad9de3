"""One pipeline for every path a photo takes: `clipdesk add`/`index`, `clipdesk watch` and
the window's worker all read existing keywords and suggest tags, from the catalog's state.
Real processes, a real catalog, sidecars written by exiftool."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from clipdesk.catalog import Catalog, browse
from clipdesk.catalog.browse import PhotoFilter
from clipdesk.tagging.store import TagStore
from clipdesk.worker import Worker
from tests.support.catalog_reads import count, query
from tests.support.cli import CLI, run
from tests.support.polling import wait_until

needs_exiftool = pytest.mark.skipif(not shutil.which("exiftool"), reason="exiftool not installed")


def with_keyword_sidecar(src: Path, dest: Path, keyword: str) -> Path:
    """Copy a photo to ``dest`` with a darktable-style ``dest.xmp`` sidecar beside it."""
    sidecar = Path(f"{dest}.xmp")
    subprocess.run(
        ["exiftool", "-q", "-o", str(sidecar), f"-XMP-lr:HierarchicalSubject={keyword}"],
        check=True,
        capture_output=True,
    )
    shutil.copy(src, dest)
    return sidecar


def tag_on(home: Path, photo: Path, tag_path: str) -> tuple | None:
    rows = query(
        home,
        "SELECT pt.state, pt.source FROM photo_tags pt JOIN photos p ON p.id = pt.photo_id "
        "JOIN tags t ON t.id = pt.tag_id WHERE p.path = ? AND t.name = ?",
        str(photo),
        tag_path.rsplit("|", 1)[-1],
    )
    return rows[0] if rows else None


@needs_exiftool
def test_keywords_of_a_photo_arriving_under_clipdesk_watch_become_tags(home, shapes, tmp_path):
    folder = tmp_path / "watched"
    folder.mkdir()
    log = (tmp_path / "watch.log").open("w")
    proc = subprocess.Popen(
        [*CLI, "--model", "test", "watch", str(folder), "--debounce", "0.3"],
        stdout=log,
        stderr=log,
    )
    try:
        wait_until(lambda: (home / "data" / "watch.json").exists(), timeout=60)
        photo = folder / "rome.jpg"
        with_keyword_sidecar(sorted(shapes.glob("*.jpg"))[0], photo, "Trips|Rome 2019")
        wait_until(lambda: tag_on(home, photo, "Trips|Rome 2019"), timeout=90)
        assert tag_on(home, photo, "Trips|Rome 2019") == ("confirmed", "imported")
        wait_until(  # and the model's suggestions come too
            lambda: count(
                home,
                "SELECT COUNT(*) FROM photo_tags pt JOIN photos p ON p.id = pt.photo_id "
                "WHERE p.path = ? AND pt.source = 'model'",
                str(photo),
            ),
            timeout=60,
        )
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(30)
        log.close()


@needs_exiftool
def test_keywords_of_a_photo_arriving_in_the_windows_worker_become_tags(home, shapes, tmp_path):
    folder = tmp_path / "watched"
    folder.mkdir()
    with Worker(home, model="test", backend="onnx", poll_interval=0.5, debounce=0.3) as w:
        w.add_folder(folder).result(30)
        assert w.wait_idle(30)
        photo = folder / "trip.jpg"
        with_keyword_sidecar(sorted(shapes.glob("*.jpg"))[1], photo, "Trips|Paris")
        wait_until(lambda: tag_on(home, photo, "Trips|Paris"), timeout=60)
    assert tag_on(home, photo, "Trips|Paris") == ("confirmed", "imported")


KILL_AFTER_EMBEDDING = textwrap.dedent(
    """
    import os, signal, sys
    from clipdesk.pipeline.library import Library
    from clipdesk.ops.folders import add_folders

    lib = Library(sys.argv[1], model="test", backend="onnx")
    add_folders(lib, [sys.argv[2]])
    lib.indexer().run()  # every photo embedded and committed ...
    os.kill(os.getpid(), signal.SIGKILL)  # ... and killed before tagging
    """
)


@needs_exiftool
def test_a_kill_between_embedding_and_tagging_is_repaired_by_the_next_index(home, shapes):
    photo = sorted(shapes.glob("*.jpg"))[0]
    subprocess.run(
        ["exiftool", "-q", "-o", f"{photo}.xmp", "-XMP-dc:Subject=Holiday"],
        check=True,
        capture_output=True,
    )
    proc = subprocess.run(
        [sys.executable, "-c", KILL_AFTER_EMBEDDING, str(home), str(shapes)],
        capture_output=True,
        timeout=600,
    )
    assert proc.returncode == -signal.SIGKILL
    assert count(home, "SELECT COUNT(*) FROM embeddings") == 36
    assert count(home, "SELECT COUNT(*) FROM photo_tags") == 0  # nothing tagged yet

    out = run("--model", "test", "index").stdout
    assert "0 embedded" in out  # nothing is embedded again ...
    assert tag_on(home, photo, "Holiday") == ("confirmed", "imported")  # ... keywords read
    suggested = count(home, "SELECT COUNT(DISTINCT photo_id) FROM photo_tags WHERE source='model'")
    assert suggested == 36  # and every photo has its suggestions


def test_tag_filters_include_the_tags_below_in_search_and_in_the_window(home, shapes):
    run("--model", "test", "add", str(shapes))
    photos = sorted(shapes.glob("*.jpg"))
    dog, insect = photos[0], photos[1]
    run("tag", str(dog), "--add", "Picks|Dog")
    run("tag", str(insect), "--add", "Picks|Insect")

    def searched(*flags) -> set[str]:
        # --all: every photo the filter leaves, however weak a match (the cut-off: test_query)
        hits = run("search", "a shape", "--limit", "100", "--json", "--all", *flags).stdout
        return {h["path"] for h in json.loads(hits)}

    everything = searched()
    dogs, insects = searched("--tag", "Picks|Dog"), searched("--tag", "Picks|Insect")
    assert str(dog) in dogs and str(insect) in insects
    assert searched("--tag", "Picks") == dogs | insects  # the parent stands for its subtree
    assert searched("--no-tag", "Picks") == everything - (dogs | insects)
    assert searched("--tag", "Picks", "--no-tag", "Picks|Dog") == insects - dogs

    # The window's sidebar filter lists the same photos for the same tags.
    with Catalog(home / "data" / "catalog.sqlite3", readonly=True) as cat:
        animals = TagStore(cat).get("Picks").id
        dog_id = TagStore(cat).get("Picks|Dog").id

        def listed(flt: PhotoFilter) -> set[str]:
            briefs = browse.briefs(cat, browse.photo_ids(cat, flt).tolist())
            return {b.path for b in briefs.values()}

        assert listed(PhotoFilter(include_tags=(animals,))) == searched("--tag", "Picks")
        assert listed(PhotoFilter(exclude_tags=(animals,))) == searched("--no-tag", "Picks")
        both = PhotoFilter(include_tags=(animals,), exclude_tags=(dog_id,))
        assert listed(both) == insects - dogs


def test_a_parent_created_on_the_way_is_a_group_that_is_never_suggested(home, shapes):
    run("--model", "test", "add", str(shapes))
    photo = sorted(shapes.glob("*.jpg"))[0]
    run("tag", str(photo), "--add", "Composition|Two shapes")
    with Catalog(home / "data" / "catalog.sqlite3", readonly=True) as cat:
        store = TagStore(cat)
        group, leaf = store.get("Composition"), store.get("Composition|Two shapes")
        assert not group.enabled and leaf.enabled
    assert count(home, "SELECT COUNT(*) FROM photo_tags WHERE tag_id = ?", group.id) == 0
    review = json.loads(run("review", "--limit", "500", "--json").stdout)
    assert "Composition" not in {r["tag"] for r in review}


def test_a_removed_folder_stops_being_watched_at_once(home, shapes, tmp_path):
    other = tmp_path / "other"
    other.mkdir()
    with Worker(home, model="test", backend="onnx", poll_interval=0.5, debounce=0.2) as w:
        keep = w.add_folder(shapes).result(30)
        gone = w.add_folder(other).result(30)
        assert w.wait_idle(60)
        assert {keep, gone} <= set(w.watcher.modes())
        w.remove_folder(gone).result(30)
        assert set(w.watcher.modes()) == {keep}  # no restart needed
        assert [f["id"] for f in w.status()["folders"]] == [keep]
        shutil.copy(sorted(shapes.glob("*.jpg"))[0], other / "late.jpg")
        time.sleep(1.5)  # several debounce and poll periods
        assert w.wait_idle(30)
    assert count(home, "SELECT COUNT(*) FROM photos WHERE path LIKE ?", f"{other}{os.sep}%") == 0


def test_a_correction_made_in_another_process_is_learned_by_the_running_worker(home, shapes):
    with Worker(home, model="test", backend="onnx", poll_interval=0.5, learn_delay=0.2) as w:
        w.add_folder(shapes).result(30)
        assert w.wait_idle(120)
        photo = sorted(shapes.glob("*red_circle.jpg"))[0]
        run("tag", str(photo), "--add", "Mine|Red things")  # while the worker runs: it learns
        wait_until(lambda: count(home, "SELECT COUNT(*) FROM heads") > 0, timeout=30)
        wait_until(lambda: count(home, "SELECT COUNT(*) FROM learn_queue") == 0, timeout=30)
