"""XMP sidecars without exiftool: the merge rules, a failed rename, a read-only folder, a dry
run that matches the real one. (Read back by exiftool: tests/integration/test_xmp_exiftool.py.)"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from clipdesk.sidecars.xmp import (
    Keywords,
    SidecarError,
    export_sidecars,
    merge,
    update_sidecar,
)
from tests.support.files import photo_file, sha


@pytest.fixture
def photo(tmp_path: Path) -> Path:
    return photo_file(tmp_path / "photos" / "Köln 1.jpg", (200, 60, 40), (32, 24))


def test_merge_rules_leaf_keywords_and_foreign_entries():
    current = Keywords(
        flat=("Sunset", "Dog", "Animals"),
        hierarchical=("Animals|Dog", "Breeds|Dog", "Places|Beach"),
    )
    result = merge(current, {"Orte | Köln", "動物"}, {"Animals|Dog", "Places|Beach"}, digikam=False)
    kw = result.keywords
    assert kw.hierarchical == ("Breeds|Dog", "Orte|Köln", "動物")
    # "Dog" stays (Breeds|Dog remains), "Animals" (an ancestor someone wrote) stays, "Beach" was
    # never a flat keyword; the new leaves are appended.
    assert kw.flat == ("Sunset", "Dog", "Animals", "Köln", "動物")
    assert kw.digikam == ()
    assert result.added == ("Orte|Köln", "動物")
    assert result.removed == ("Animals|Dog", "Places|Beach")
    # A flat keyword with no hierarchical entry behind it is not ClipDesk's: a removed path with
    # the same leaf leaves it alone; removing the single-level path itself does remove it.
    lone = Keywords(flat=("Dog",))
    assert merge(lone, set(), {"Animals|Dog"}).keywords.flat == ("Dog",)
    assert merge(lone, set(), {"Dog"}).keywords.flat == ()
    # NFD input is normalised; nothing to do means unchanged.
    nfd = "Orte|Ko\u0308ln"
    assert not merge(kw, {nfd}, set(), digikam=False).changed
    # "Animals" is no longer the ancestor of a path, so it reads as a top-level tag again.
    assert kw.paths == {"Animals", "Breeds|Dog", "Orte|Köln", "動物", "Sunset"}


def test_merge_updates_an_existing_digikam_list_even_when_disabled():
    kw = merge(Keywords(digikam=("Old/Tag",)), {"New|Tag"}, {"Old|Tag"}, digikam=False).keywords
    assert kw.digikam == ("New/Tag",) and kw.hierarchical == ("New|Tag",)


def test_a_failed_rename_leaves_the_old_sidecar_and_no_temp_file(photo: Path, monkeypatch):
    update_sidecar(photo, {"Old|Tag"}, set())
    side = photo.with_name(photo.name + ".xmp")
    old = side.read_bytes()

    def crash(*args, **kwargs):
        raise OSError(5, "Input/output error")

    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(SidecarError, match="cannot replace it"):
        update_sidecar(photo, {"New|Tag"}, set())
    assert side.read_bytes() == old
    assert sorted(p.name for p in photo.parent.iterdir()) == sorted([photo.name, side.name])


@pytest.mark.permissions
@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() == 0, reason="root ignores chmod")
def test_a_really_read_only_folder(photo: Path):
    photo.parent.chmod(0o555)
    try:
        with pytest.raises(SidecarError, match="folder is read-only"):
            update_sidecar(photo, {"Animals|Dog"}, set())
    finally:
        photo.parent.chmod(0o755)


def test_export_dry_run_writes_nothing_and_the_real_run_matches_it(photo: Path):
    other = photo.with_name("b.jpg")
    shutil.copy(photo, other)
    update_sidecar(other, {"Animals|Dog", "Old|Tag"}, set(), naming="base")
    listing = sorted(p.name for p in photo.parent.iterdir())
    items = [
        (photo, {"Animals|Dog"}, set()),
        (other, {"Animals|Dog"}, {"Old|Tag"}),
        (photo.with_name("gone.jpg"), {"Animals|Dog"}, set()),
    ]
    seen = []
    plan = export_sidecars(items, naming="base", dry_run=True, progress=lambda *a: seen.append(a))
    assert sorted(p.name for p in photo.parent.iterdir()) == listing
    assert [(o.outcome, o.added, o.removed) for o in plan.outcomes] == [
        ("written", ("Animals|Dog",), ()),
        ("written", (), ("Old|Tag",)),
        ("skipped", (), ()),
    ]
    assert plan.outcomes[2].reason == "photo not found"
    assert [(d, t) for d, t, _ in seen] == [(1, 3), (2, 3), (3, 3)]
    assert plan.summary() == "would write 2, unchanged 0, skipped 1"
    hashes = [sha(photo), sha(other)]
    done = export_sidecars(iter(items), naming="base")
    assert [(o.outcome, o.added, o.removed) for o in done.outcomes] == [
        (o.outcome, o.added, o.removed) for o in plan.outcomes
    ]
    again = export_sidecars(items[:2], naming="base", cancelled=iter([False, True]).__next__)
    assert again.cancelled and [o.outcome for o in again.outcomes] == ["unchanged"]
    assert [sha(photo), sha(other)] == hashes
