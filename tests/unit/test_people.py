"""People from faces (issue 27) on a real SQLite catalog, with face vectors made to be alike
or not (the face engine itself is tested in test_face_engine.py): grouping, naming, the
photos' People rows, rejections that never come back, merge, undo, forget, imported
regions."""

from __future__ import annotations

import numpy as np
import pytest

from clipdesk.catalog import step_queue
from clipdesk.ops import people as ops
from clipdesk.ops.errors import OpError
from clipdesk.people import faces_db, grouping, photo_tags
from clipdesk.people.imports import import_regions
from clipdesk.pipeline.library import Library
from clipdesk.tagging.corrections import tags_of

RNG = np.random.default_rng(3)
CENTRES = RNG.standard_normal((3, 128)).astype(np.float32)


def _face_vector(person: int, noise: float = 0.5) -> np.ndarray:
    v = CENTRES[person] / np.linalg.norm(CENTRES[person])
    v = v + noise * RNG.standard_normal(128).astype(np.float32) / np.sqrt(128)
    return (v / np.linalg.norm(v)).astype(np.float32)


@pytest.fixture
def lib(tmp_path):
    lib = Library(tmp_path / "home")
    yield lib
    lib.close()


def _photos(lib, n: int) -> list[int]:
    cat = lib.catalog
    folders = cat.folders()
    folder = folders[0][0] if folders else cat.add_folder(str(lib.paths.data_dir))
    start = cat.conn.execute("SELECT COUNT(*) FROM photos").fetchone()[0]
    with cat.transaction():
        return [
            cat.insert_photo(folder, f"/photos/{i}.jpg", 100 + i, 1, f"h{i}")
            for i in range(start, start + n)
        ]


def _faces(lib, who: list[int]) -> tuple[list[int], list[int]]:
    """One photo per face; face i is of person who[i]. (photo ids, face ids)."""
    photos = _photos(lib, len(who))
    cat = lib.catalog
    with cat.transaction():
        ids = [
            faces_db.add_face(cat, p, (0.1, 0.1, 0.2, 0.2), _face_vector(w), "detector", 0.99)
            for p, w in zip(photos, who, strict=True)
        ]
        grouping.regroup(cat, ids)  # as the face step places them
        photo_tags.sync(cat, photos)
    return photos, ids


def _person_of(lib, face_id: int) -> int | None:
    return faces_db.face(lib.catalog, face_id).person_id


def _people_tags(lib, photo_id: int) -> set[tuple[str, str]]:
    return {(t.tag, str(t.state)) for t in tags_of(lib.catalog, photo_id) if "People|" in t.tag}


def test_alike_faces_share_a_cluster_and_others_do_not(lib):
    _, ids = _faces(lib, [0, 0, 0, 1, 1, 2])
    groups = [_person_of(lib, f) for f in ids]
    assert groups[0] == groups[1] == groups[2] and groups[3] == groups[4]
    assert len({groups[0], groups[3], groups[5]}) == 3
    listed = ops.people(lib, min_faces=2)
    assert [(p.name, p.faces, p.photos) for p in listed] == [(None, 3, 3), (None, 2, 2)]


def test_naming_a_cluster_confirms_its_faces_tags_its_photos_and_suggests_new_faces(lib):
    photos, ids = _faces(lib, [0, 0, 1])
    cluster = _person_of(lib, ids[0])
    done = ops.name(lib, cluster, "Ada")
    assert done["person"] == cluster  # the cluster keeps its id
    assert _people_tags(lib, photos[0]) == {("People|Ada", "confirmed")}
    assert _people_tags(lib, photos[2]) == set()
    more, new = _faces(lib, [0, 1])  # a new photo of Ada: suggested, not confirmed
    f = faces_db.face(lib.catalog, new[0])
    assert (f.person_id, f.state) == (cluster, "suggested")
    assert _people_tags(lib, more[0]) == {("People|Ada", "suggested")}
    assert faces_db.face(lib.catalog, new[1]).person_id != cluster


def test_a_rejected_face_never_comes_back_to_that_person(lib):
    photos, ids = _faces(lib, [0, 0, 0])
    ada = ops.name(lib, _person_of(lib, ids[0]), "Ada")["person"]
    ops.reject_face(lib, ids[2])  # "this is not Ada" (it looked like her)
    assert _person_of(lib, ids[2]) != ada
    assert _people_tags(lib, photos[2]) == set()
    with lib.catalog.transaction():
        grouping.recluster(lib.catalog)
    assert _person_of(lib, ids[2]) != ada
    more, _ = _faces(lib, [0, 0])  # more of Ada: suggested, but the rejected face stays away
    assert _person_of(lib, ids[2]) != ada
    cluster = _person_of(lib, ids[2])
    ops.name(lib, cluster, "Ada")  # its cluster named Ada too: it is left out of the merge
    assert _person_of(lib, ids[2]) != ada
    assert _people_tags(lib, photos[2]) == set()


def test_merge_and_undo_each_action(lib):
    photos, ids = _faces(lib, [0, 0, 1, 1])
    a, b = _person_of(lib, ids[0]), _person_of(lib, ids[2])
    ops.name(lib, a, "Ada")
    ops.name(lib, b, "Bea")
    ops.merge(lib, a, b)  # they were one person after all
    assert {_person_of(lib, f) for f in ids} == {a}
    assert _people_tags(lib, photos[3]) == {("People|Ada", "confirmed")}
    assert ops.undo(lib) == f"merge {b} into {a}"
    assert _person_of(lib, ids[3]) == b
    assert _people_tags(lib, photos[3]) == {("People|Bea", "confirmed")}
    ops.reject_face(lib, ids[1])
    assert ops.undo(lib) == f"reject {ids[1]}"
    assert faces_db.face(lib.catalog, ids[1]).state == "confirmed"
    assert _people_tags(lib, photos[1]) == {("People|Ada", "confirmed")}
    assert ops.undo(lib) == f"name {b} Bea"
    assert faces_db.person_tag(lib.catalog, b) is None
    assert _people_tags(lib, photos[3]) == set()


def test_naming_with_an_existing_name_merges(lib):
    _, ids = _faces(lib, [0, 0, 1, 1])
    a, b = _person_of(lib, ids[0]), _person_of(lib, ids[2])
    ops.name(lib, a, "Ada")
    assert ops.name(lib, b, "ada")["person"] == a  # the same name, whatever its case
    assert {_person_of(lib, f) for f in ids} == {a}


def test_bad_names_and_ids_are_one_clear_error(lib):
    _, ids = _faces(lib, [0, 0])
    with pytest.raises(OpError, match="no person or cluster 999"):
        ops.name(lib, 999, "Ada")
    with pytest.raises(OpError, match="not a person's name"):
        ops.name(lib, _person_of(lib, ids[0]), "A|B")
    with pytest.raises(OpError, match="not suggested for a named person"):
        ops.confirm_face(lib, ids[0])


def test_forget_removes_face_data_and_keeps_confirmed_people_tags(lib):
    photos, ids = _faces(lib, [0, 0, 0])
    ops.name(lib, _person_of(lib, ids[0]), "Ada")
    _faces(lib, [0])
    assert ops.forget(lib) == 4
    cat = lib.catalog
    assert cat.conn.execute("SELECT COUNT(*) FROM faces").fetchone()[0] == 0
    assert cat.conn.execute("SELECT COUNT(*) FROM people").fetchone()[0] == 0
    assert _people_tags(lib, photos[0]) == {("People|Ada", "confirmed")}


def test_regions_from_another_program_become_confirmed_faces(lib):
    (photo,) = _photos(lib, 1)
    cat = lib.catalog
    with cat.transaction():
        assert (
            import_regions(
                cat, photo, [("Ada", (0.1, 0.1, 0.2, 0.3)), (None, (0.6, 0.1, 0.2, 0.3))]
            )
            == 2
        )
    named = faces_db.named_regions(cat, photo)
    assert named == [("Ada", (0.1, 0.1, 0.2, 0.3))]
    with cat.transaction():  # read again (the same sidecar): nothing new
        assert import_regions(cat, photo, [("Ada", (0.11, 0.1, 0.2, 0.3))]) == 0
    assert len(faces_db.faces_of(cat, photo)) == 2


def test_renaming_a_person_keeps_every_photo_under_the_new_name_and_undo_restores_it(lib):
    photos, ids = _faces(lib, [0, 0, 0])
    ada = ops.name(lib, _person_of(lib, ids[0]), "Ada")["person"]
    more, _ = _faces(lib, [0])  # a suggestion too
    assert ops.name(lib, ada, "Ada Lovelace")["person"] == ada
    for p in photos:
        assert _people_tags(lib, p) == {("People|Ada Lovelace", "confirmed")}
    assert _people_tags(lib, more[0]) == {("People|Ada Lovelace", "suggested")}
    assert ops.undo(lib) == f"name {ada} Ada Lovelace"
    assert _people_tags(lib, photos[0]) == {("People|Ada", "confirmed")}


def test_the_face_step_goes_past_a_photo_it_cannot_read(lib):
    """A photo whose file is gone since its scan costs itself: the step ends (it once asked
    for the same photo again and again), with no face for it."""
    from clipdesk.pipeline import faces_step

    (photo,) = _photos(lib, 1)  # /photos/N.jpg: no such file
    with lib.catalog.transaction():
        lib.catalog.set_decoded(photo, 10, 10, 1, None)
    done = faces_step.faces(lib)
    assert done.done and done.photo_ids == [photo] and done.faces == 0
    assert not step_queue.has_photos_to_read(lib.catalog, "faces")
