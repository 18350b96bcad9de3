"""Links in photo folders (issue 26, item 5): each photo is indexed once, at its own path; a
link out of the folder is reported, never followed; forgetting missing photos."""

from __future__ import annotations

import os

from PIL import Image

from clipdesk.catalog import Catalog, forgetting
from clipdesk.pipeline import links
from clipdesk.pipeline.scanner import scan, walk_photos
from clipdesk.tagging import corrections
from clipdesk.tagging.store import TagStore


def _photo(path, colour=(200, 10, 10)):
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", (32, 24), colour).save(path)
    return path


def _catalog(tmp_path, *roots):
    cat = Catalog(tmp_path / "cat.sqlite3")
    for root in roots:
        cat.add_folder(root)
    return cat


def _paths(cat):
    return sorted(p for _, p in cat.present_photos())


def test_a_link_up_the_tree_is_not_followed_and_is_reported(tmp_path):
    # The adversarial run's `lib/up -> ..` took in the parent tree: thousands of photos.
    _photo(tmp_path / "around" / "other.jpg")
    lib = tmp_path / "lib"
    _photo(lib / "a.jpg")
    os.symlink("..", lib / "up")
    os.symlink("..", lib / "sub")  # a second one, then one back to the folder itself
    (lib / "deep").mkdir()
    os.symlink("..", lib / "deep" / "back")
    cat = _catalog(tmp_path, lib)
    result = scan(cat)
    assert _paths(cat) == [str(lib / "a.jpg")]
    reasons = {os.path.relpath(p, lib): why for p, why in result.errors}
    assert set(reasons) == {"up", "sub"}  # deep/back leads into the folder: nothing to say
    assert reasons["up"].startswith("a link out of the folder, to a folder that holds it")
    assert str(tmp_path) in reasons["up"] and "not followed" in reasons["up"]


def test_a_link_inside_the_folder_indexes_each_photo_once_at_its_own_path(tmp_path):
    root = tmp_path / "p"
    real = _photo(root / "2024" / "x.jpg")
    os.symlink("2024", root / "latest")  # a folder link
    os.symlink("2024/x.jpg", root / "cover.jpg")  # a photo link
    cat = _catalog(tmp_path, root)
    result = scan(cat)
    assert _paths(cat) == [str(real)] and result.errors == []
    # A path through the link resolves to that one record (as `clipdesk tags` looks it up).
    assert cat.photo_by_path(os.path.realpath(root / "latest" / "x.jpg")).path == str(real)
    assert cat.photo_by_path(os.path.realpath(root / "cover.jpg")).path == str(real)


def test_a_link_out_of_the_folder_is_reported_with_the_folder_to_add(tmp_path):
    dcim = tmp_path / "mnt" / "DCIM"
    outside = _photo(dcim / "o.jpg")
    root = tmp_path / "Pictures"
    _photo(root / "a.jpg")
    os.symlink(dcim, root / "Phone")
    os.symlink(outside, root / "single.jpg")
    cat = _catalog(tmp_path, root)
    result = scan(cat)
    assert _paths(cat) == [str(root / "a.jpg")]
    assert dict(result.errors) == {
        str(root / "Phone"): f"a link out of the folder (to {dcim}): not followed; "
        f"add {dcim} as a folder to include it",
        str(root / "single.jpg"): f"a link out of the folder (to {outside}): not followed; "
        f"add {dcim} as a folder to include it",
    }
    # A watcher event naming a path through the link is not indexed there either.
    again = scan(cat, paths={str(root / "Phone" / "o.jpg")})
    assert again.added == 0 and [p for p, _ in again.errors] == [str(root / "Phone")]

    # The real folder added as advised: each photo once, under its own folder, and the
    # link into it is no longer a skipped entry (the scan step knows every folder).
    cat.add_folder(dcim)
    result = scan(cat)
    assert _paths(cat) == [str(root / "a.jpg"), str(outside)]
    kept = links.drop_links_into_library(result.errors, [r for _, r in cat.folders()])
    assert kept == []


def test_links_to_hidden_or_non_photo_files_are_reported(tmp_path):
    root = tmp_path / "p"
    _photo(root / ".private" / "h.jpg")
    (root / "blob.dat").write_bytes(b"x")
    os.symlink(".private", root / "shown")
    os.symlink("blob.dat", root / "blob.jpg")
    os.symlink("gone", root / "dangling")  # a broken folder link is any other odd name
    errors: list[tuple[str, str]] = []
    assert list(walk_photos(root, errors)) == []
    reasons = {os.path.basename(p): why for p, why in errors}
    assert reasons == {
        "shown": f"a link to a hidden folder ({root / '.private'}): not followed",
        "blob.jpg": f"a link to a file not named like a photo ({root / 'blob.dat'}): not followed",
    }


def test_records_an_older_release_kept_under_a_link_move_to_the_real_folder(tmp_path):
    dcim = tmp_path / "mnt" / "DCIM"
    real = _photo(dcim / "o.jpg")
    root = tmp_path / "Pictures"
    _photo(root / "a.jpg")
    os.symlink(dcim, root / "Phone")
    cat = _catalog(tmp_path, root)
    folder_id = cat.folders()[0][0]
    st = real.stat()
    with cat.transaction():  # as an older release walked through the link
        old = cat.insert_photo(folder_id, str(root / "Phone" / "o.jpg"), st.st_size, 1, "ab")
        tag = TagStore(cat).ensure("Holiday")
    corrections.decide(cat, [old], tag, "confirmed")

    dcim_id = cat.add_folder(dcim)
    assert links.rehome(cat, dcim_id, str(dcim)) == 1
    row = cat.photo(old)
    assert (row.path, row.folder_id) == (str(real), dcim_id)  # the same record, tags and all
    assert [t.tag for t in corrections.tags_of(cat, old)] == ["Holiday"]
    scan(cat)
    assert _paths(cat) == [str(root / "a.jpg"), str(real)]


def test_a_record_under_a_link_not_followed_becomes_missing(tmp_path):
    dcim = tmp_path / "mnt" / "DCIM"
    _photo(dcim / "o.jpg")
    root = tmp_path / "Pictures"
    _photo(root / "a.jpg")
    os.symlink(dcim, root / "Phone")
    cat = _catalog(tmp_path, root)
    folder_id = cat.folders()[0][0]
    with cat.transaction():
        old = cat.insert_photo(folder_id, str(root / "Phone" / "o.jpg"), 1, 1, "ab")
    assert old in scan(cat).missing_ids


def test_forgetting_removes_only_missing_records_and_what_hangs_on_them(tmp_path):
    root = tmp_path / "p"
    gone, kept = _photo(root / "gone.jpg"), _photo(root / "kept.jpg", (0, 0, 200))
    cat = _catalog(tmp_path, root)
    scan(cat)
    gone_id, kept_id = cat.photo_by_path(gone).id, cat.photo_by_path(kept).id
    with cat.transaction():
        tag = TagStore(cat).ensure("Dog")
    corrections.decide(cat, [gone_id, kept_id], tag, "confirmed")
    gone.unlink()
    scan(cat)
    assert [p.id for p in forgetting.missing_photos(cat)] == [gone_id]
    with cat.transaction():
        done = forgetting.forget_missing(cat, [gone_id, kept_id])  # kept_id is present
    assert done.photo_ids == (gone_id,) and (done.tags.tags, done.tags.decisions) == (1, 1)
    assert cat.photo(gone_id) is None and cat.photo(kept_id) is not None
    assert [t.tag for t in corrections.tags_of(cat, kept_id)] == ["Dog"]
    left = cat.conn.execute("SELECT COUNT(*) FROM corrections WHERE photo_id = ?", (gone_id,))
    assert left.fetchone()[0] == 0
    assert len(done.orphaned) == 1  # its content is nobody's now: its thumbnail may go
