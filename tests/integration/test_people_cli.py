"""People through the real commands, with real faces (issue 27): `add` finds and groups the
faces after tagging; `people`, `faces`, naming, a rejection that stays, merge, undo, the
People tag in search, a hand-drawn face, `--no-faces`, and `people forget`."""

from __future__ import annotations

import json

import numpy as np
from PIL import ImageEnhance, ImageOps

from clipdesk.testing.synthetic import write_folder
from tests.support.cli import one_line_error, run
from tests.support.faces import FACE_BOX, group_photo, portrait


def _library(root):
    """Three photos of each person (the portrait, a mirrored and a smaller, brighter copy),
    a group photo, and two photos without a face."""
    root.mkdir()
    for person in ("astronaut", "grace_hopper"):
        im = portrait(person)
        im.save(root / f"{person}.jpg", quality=90)
        ImageOps.mirror(im).save(root / f"{person}_mirror.jpg", quality=80)
        small = im.resize((im.width * 2 // 3, im.height * 2 // 3))
        ImageEnhance.Brightness(small).enhance(1.3).save(root / f"{person}_small.jpg", quality=60)
    group_photo()[0].save(root / "group.jpg", quality=90)
    write_folder(root / "shapes", 2, seed=3)
    return root


def _people(**kw):
    return json.loads(run("people", "--json", **kw).stdout)


def _faces(photo):
    return json.loads(run("faces", str(photo), "--json").stdout)


def test_faces_are_found_grouped_named_and_kept_as_people_tags(home, tmp_path):
    root = _library(tmp_path / "photos")
    out = run("--model", "test", "add", str(root)).stdout
    assert "12 faces found" in out, out  # 3 + 3 portraits, 6 in the group, none on shapes
    faces = json.loads(run("status", "--json").stdout)["faces"]
    assert (faces["faces"], faces["people"], faces["photos_to_look_at"]) == (12, 0, 0)

    listed = _people()
    assert [(p["name"], p["faces"], p["photos"]) for p in listed] == [
        (None, 6, 4),
        (None, 6, 4),
    ], listed
    assert _faces(root / "shapes" / sorted(p.name for p in (root / "shapes").iterdir())[0]) == []
    (face,) = _faces(root / "astronaut.jpg")
    assert all(abs(a - b) < 0.03 for a, b in zip(face["box"], FACE_BOX["astronaut"], strict=True))
    astronaut = face["cluster"]
    grace = next(p["id"] for p in listed if p["id"] != astronaut)
    assert {f["cluster"] for f in _faces(root / "astronaut_small.jpg")} == {astronaut}

    run("people", "name", str(astronaut), "Eileen")
    tags = {
        t["tag"]: t["state"]
        for t in json.loads(run("tags", str(root / "astronaut_mirror.jpg"), "--json").stdout)
    }
    assert tags["People|Eileen"] == "confirmed"
    found = run("search", "--tag", "People|Eileen", "--all", "--json").stdout
    assert sorted(h["path"].rsplit("/", 1)[1] for h in json.loads(found)) == [
        "astronaut.jpg",
        "astronaut_mirror.jpg",
        "astronaut_small.jpg",
        "group.jpg",
    ]

    # "This is not Eileen": that face leaves her and never comes back, even after a
    # re-cluster and more naming.
    (small,) = _faces(root / "astronaut_small.jpg")
    run("faces", str(root / "astronaut_small.jpg"), "--reject", "1")
    run("people", "recluster")
    run("people", "name", str(grace), "Grace")
    (after,) = _faces(root / "astronaut_small.jpg")
    assert after["person"] != "Eileen"
    tags = json.loads(run("tags", str(root / "astronaut_small.jpg"), "--json").stdout)
    assert "People|Eileen" not in {t["tag"] for t in tags}

    # Merge (they are one person after all, says the user) and undo it.
    ids = {p["name"]: p["id"] for p in _people()}
    run("people", "merge", str(ids["Eileen"]), str(ids["Grace"]))
    assert [p["name"] for p in _people()][:1] == ["Eileen"]
    assert "undid: merge" in run("people", "undo").stdout
    assert {"Eileen", "Grace"} <= {p["name"] for p in _people()}

    # A face drawn by hand where the detector found none, named at once.
    shape = sorted((root / "shapes").iterdir())[0]
    run("faces", str(shape), "--add", "0.1,0.1,0.3,0.3", "--as", "Nobody Real")
    (drawn,) = _faces(shape)
    assert (drawn["person"], drawn["state"]) == ("Nobody Real", "confirmed")

    one_line_error(run("faces", str(shape), "--confirm", "5", check=False), "no face 5")
    one_line_error(run("people", "name", "99999", "X", check=False), "no person or cluster")

    assert "faces are off" in run("people", "forget").stdout
    assert _people() == []
    assert "face" not in run("index").stdout  # off: none looked for
    assert _faces(root / "astronaut.jpg") == []
    tags = {t["tag"] for t in json.loads(run("tags", str(root / "astronaut.jpg"), "--json").stdout)}
    assert "People|Eileen" in tags  # a confirmed People tag is the user's: it stays


def test_no_faces_flag_and_setting(home, tmp_path):
    root = tmp_path / "photos"
    root.mkdir()
    portrait("astronaut").save(root / "a.jpg")
    out = run("--model", "test", "--no-faces", "add", str(root)).stdout
    assert "face" not in out
    assert _faces(root / "a.jpg") == []
    out = run("index").stdout  # the flag was for that run: now they are looked for
    assert "1 face found" in out, out
    run("people", "off")
    portrait("grace_hopper").save(root / "g.jpg")
    assert "face" not in run("index").stdout
    run("people", "on")
    assert "1 face found" in run("index").stdout


def test_clipdesk_undo_takes_back_whichever_came_last_a_tag_or_a_face(home, tmp_path):
    root = tmp_path / "photos"
    root.mkdir()
    im = portrait("astronaut")
    im.save(root / "a.jpg")
    ImageOps.mirror(im).save(root / "b.jpg")
    run("--model", "test", "add", str(root))
    cluster = _people()[0]["id"]
    run("tag", "--add", "Trips|Moon", str(root / "a.jpg"))
    run("people", "name", str(cluster), "Eileen")  # the later of the two
    assert "undid the last action on faces (name" in run("undo").stdout
    assert _people()[0]["name"] is None
    assert "Trips|Moon" in run("undo").stdout  # then the tag


def test_faces_embedded_by_another_embedder_are_embedded_again_and_keep_their_people(
    home, tmp_path
):
    """A catalog whose face vectors another embedder made (ClipDesk before its embedder
    changed): their vectors do not compare with the new ones, so the next run embeds each
    stored face again, from its box; no face is found twice, and the names, confirmations
    and rejections the user made stay."""
    from clipdesk.faces import FaceEngine, similarity
    from clipdesk.imaging import decode
    from clipdesk.people import faces_db
    from clipdesk.pipeline.library import Library

    root = tmp_path / "photos"
    root.mkdir()
    for person in ("astronaut", "grace_hopper"):
        im = portrait(person)
        im.save(root / f"{person}.jpg", quality=90)
        ImageOps.mirror(im).save(root / f"{person}_mirror.jpg", quality=90)
    run("--model", "test", "add", str(root))
    (face,) = _faces(root / "astronaut.jpg")
    run("people", "name", str(face["cluster"]), "Eileen")
    (grace,) = _faces(root / "grace_hopper.jpg")
    run("faces", str(root / "grace_hopper.jpg"), "--reject", "1")  # not in any named group
    before = {p.name: _faces(p) for p in sorted(root.iterdir())}

    lib = Library(home)
    cat = lib.catalog
    with cat.transaction():
        cat.conn.execute("UPDATE faces SET vector = zeroblob(512)")  # not this engine's
        cat.conn.execute(
            "INSERT OR REPLACE INTO meta(key, value) VALUES (?, 'an-older-embedder')",
            (faces_db.VECTORS_KEY,),
        )
    lib.close()
    out = run("index").stdout
    assert "face found" not in out and "faces found" not in out, out  # none new
    assert "still to look at" not in run("status").stdout
    assert {p.name: _faces(p) for p in sorted(root.iterdir())} == before
    lib = Library(home)
    try:
        engine = FaceEngine()
        rows = lib.catalog.conn.execute(
            "SELECT p.path, f.vector FROM faces f JOIN photos p ON p.id = f.photo_id"
        ).fetchall()
        assert len(rows) == 4
        for path, blob in rows:
            (found,) = engine.find(decode(path, min_side=256).image)
            assert similarity(np.frombuffer(blob, np.float32), found.vector) > 0.9, path
    finally:
        lib.close()
