"""People, as the user acts on them (issue 27): name a cluster, confirm or reject a face,
merge two people, draw a face the detector missed, undo, forget every face. The window and
the terminal both call these.

Each action records what it decided (the faces it set, the rejections it added, the people
it named or emptied) in ``face_log``, so that :func:`undo` takes it back; what follows from
the decisions (other faces' suggestions, the photos' People rows) is worked out again after
every action and every undo.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from clipdesk.ops.changes import Change, changes, report
from clipdesk.ops.errors import OpError
from clipdesk.people import faces_db, grouping, photo_tags
from clipdesk.pipeline.library import Library
from clipdesk.tagging import tagpath
from clipdesk.tagging.store import TagStore, UnknownTag
from clipdesk.tagging.vocabulary import VocabularyError, check_name

PEOPLE = "People"  # the branch of the tag tree that named people live in


@dataclass
class _Decision:
    """What one action decides, as it was before (for undo)."""

    what: str
    faces: dict[int, list] = field(default_factory=dict)  # id -> [person, state, similarity]
    people: dict[int, int | None] = field(default_factory=dict)  # id -> tag id before
    rejections: list[list[int]] = field(default_factory=list)  # [face, person] added
    created: list[int] = field(default_factory=list)  # faces drawn by hand
    renamed: list[list] = field(default_factory=list)  # [tag id, its name before]
    photos: set[int] = field(default_factory=set)
    unconfirmed: set[tuple[int, int]] = field(default_factory=set)

    def face(self, f: faces_db.FaceRow) -> None:
        self.faces.setdefault(f.id, [f.person_id, f.state, f.similarity])
        self.photos.add(f.photo_id)

    def person(self, catalog, person_id: int) -> None:
        self.people.setdefault(person_id, faces_db.person_tag(catalog, person_id))

    def rows(self) -> dict:
        return {
            "faces": [[k, *v] for k, v in self.faces.items()],
            "people": [[k, v] for k, v in self.people.items()],
            "rejections": self.rejections,
            "created": self.created,
            "renamed": self.renamed,
        }


def _finish(lib: Library, d: _Decision) -> dict:
    """Record ``d``, place the undecided faces anew, bring the photos' rows in line."""
    cat = lib.catalog
    faces_db.log(cat, faces_db.next_batch(cat), d.what, [d.rows()])
    moved = grouping.regroup(cat)
    photos = d.photos | {f.photo_id for f in faces_db.faces(cat, moved)}
    tags = photo_tags.sync(cat, photos, d.unconfirmed)
    faces_db.drop_empty_people(cat)
    return {"photos": sorted(photos), "tags": sorted(tags)}


def _report(lib: Library, done: dict) -> None:
    report(lib, changes(Change.TAGS, photo_ids=done["photos"], tag_ids=done["tags"]))


def person_name(name: str) -> str:
    """A person's name as typed, checked like any tag name (no '|' inside: one level)."""
    try:
        return check_name(" ".join(name.split()))
    except VocabularyError as exc:
        raise OpError(f"not a person's name: {exc}") from None


def _person_for_name(lib: Library, name: str, d: _Decision) -> int:
    """The person named ``name`` (made, with its tag People|Name, if there is none)."""
    cat = lib.catalog
    tag_id = TagStore(cat).ensure_person(tagpath.join(PEOPLE, name))
    person = faces_db.person_of_tag(cat, tag_id)
    if person is None:
        person = faces_db.new_person(cat, tag_id)
        d.people.setdefault(person, None)
    return person


def _require_person(lib: Library, person_id: int) -> None:
    if not faces_db.person_exists(lib.catalog, person_id):
        raise OpError(f"no person or cluster {person_id} (see `clipdesk people`)")


def _require_face(lib: Library, face_id: int) -> faces_db.FaceRow:
    f = faces_db.face(lib.catalog, face_id)
    if f is None:
        raise OpError(f"no face {face_id} (see `clipdesk faces PHOTO`)")
    return f


def _confirm(lib: Library, d: _Decision, f: faces_db.FaceRow, person: int) -> None:
    if person in faces_db.rejections(lib.catalog).get(f.id, ()):
        faces_db.unreject(lib.catalog, f.id, person)  # the user says so now: "no" taken back
    d.face(f)
    faces_db.place(lib.catalog, f.id, person, "confirmed", 1.0)


def name(lib: Library, person_id: int, new_name: str) -> dict:
    """Name an unnamed cluster: its faces are confirmed as that person (the user named them,
    looking at them), and other faces like them are suggested. Or rename a person: it keeps
    its tag, renamed, with its photos' rows (its suggestions stay suggestions). When a
    person of that name is there already, it takes the faces (a merge)."""
    new_name = person_name(new_name)
    cat = lib.catalog
    store = TagStore(cat)
    with cat.transaction():
        _require_person(lib, person_id)
        d = _Decision(f"name {person_id} {new_name}")
        path = tagpath.join(PEOPLE, new_name)
        try:
            existing = store.get(path).id
        except UnknownTag:
            existing = None
        other = faces_db.person_of_tag(cat, existing) if existing is not None else None
        old_tag = faces_db.person_tag(cat, person_id)
        if old_tag is None:  # a cluster named: the user named these faces, looking at them
            for f in faces_db.faces(cat, faces_db.face_ids_of(cat, person_id, undecided=True)):
                _confirm(lib, d, f, person_id)
        target = person_id
        if other is not None and other != person_id:  # that name is another person's
            _merge_into(lib, d, other, person_id, confirm=False)
            target = other
        elif old_tag is not None and existing is None:  # renamed: the tag keeps its rows
            d.renamed.append([old_tag, faces_db.rename_tag(cat, old_tag, new_name)])
        elif existing is None or existing != old_tag:  # (else: its name already)
            tag = existing if existing is not None else store.ensure_person(path)
            faces_db.mark_person_tag(cat, tag)
            d.person(cat, person_id)
            if old_tag is not None:  # a person renamed to a tag's name (a keyword's)
                faces_db.move_photo_rows(cat, old_tag, tag)
            faces_db.name_person(cat, person_id, tag)
        done = _finish(lib, d)
    _report(lib, done)
    return done | {"person": target}


def _merge_into(lib: Library, d: _Decision, keep: int, other: int, confirm: bool) -> None:
    """Move ``other``'s faces to ``keep`` (confirmed when ``confirm``, or when they were),
    except a face rejected for ``keep``; ``other``'s rejections go with it."""
    cat = lib.catalog
    refused = faces_db.rejections(cat)
    d.person(cat, other)
    for f in faces_db.faces(cat, faces_db.face_ids_of(cat, other)):
        d.face(f)
        if keep in refused.get(f.id, ()):
            faces_db.place(cat, f.id, None, "clustered", None)
            continue
        state = "confirmed" if confirm or f.state == "confirmed" else "clustered"
        faces_db.place(cat, f.id, keep, state, 1.0 if state == "confirmed" else f.similarity)
    faces_db.move_rejections(cat, other, keep)
    other_tag = faces_db.person_tag(cat, other)
    if other_tag is not None:  # two named people: the other's photo rows become keep's
        keep_tag = faces_db.person_tag(cat, keep)
        if keep_tag is not None:
            faces_db.move_photo_rows(cat, other_tag, keep_tag)
        faces_db.name_person(cat, other, None)


def merge(lib: Library, keep: int, other: int) -> dict:
    """Merge two people (or clusters): ``other``'s faces become ``keep``'s. When only
    ``other`` is named, ``keep`` takes its name."""
    if keep == other:
        raise OpError("merge needs two different people")
    cat = lib.catalog
    with cat.transaction():
        _require_person(lib, keep)
        _require_person(lib, other)
        d = _Decision(f"merge {other} into {keep}")
        if faces_db.person_tag(cat, keep) is None and faces_db.person_tag(cat, other) is not None:
            d.person(cat, keep)
            d.person(cat, other)
            tag = faces_db.person_tag(cat, other)
            faces_db.name_person(cat, other, None)
            faces_db.name_person(cat, keep, tag)
        _merge_into(lib, d, keep, other, confirm=False)
        done = _finish(lib, d)
    _report(lib, done)
    return done | {"person": keep}


def confirm_face(lib: Library, face_id: int, as_name: str | None = None) -> dict:
    """Say a face is the person it is suggested for (or, with ``as_name``, that person)."""
    cat = lib.catalog
    with cat.transaction():
        f = _require_face(lib, face_id)
        d = _Decision(f"confirm {face_id}")
        if as_name is not None:
            person = _person_for_name(lib, person_name(as_name), d)
        elif f.person_id is not None and faces_db.person_tag(cat, f.person_id) is not None:
            person = f.person_id
        else:
            raise OpError(
                f"face {face_id} is not suggested for a named person: name it "
                f"(`clipdesk faces PHOTO --name {face_id} NAME`)"
            )
        _confirm(lib, d, f, person)
        done = _finish(lib, d)
    _report(lib, done)
    return done | {"person": person}


def reject_face(lib: Library, face_id: int) -> dict:
    """Say a face is not the person (or cluster) it is placed with: it never goes back
    there, and finds its place among the others."""
    cat = lib.catalog
    with cat.transaction():
        f = _require_face(lib, face_id)
        if f.person_id is None:
            raise OpError(f"face {face_id} is with nobody: nothing to reject")
        d = _Decision(f"reject {face_id}")
        d.face(f)
        faces_db.reject(cat, f.id, f.person_id)
        d.rejections.append([f.id, f.person_id])
        tag = faces_db.person_tag(cat, f.person_id)
        if f.state == "confirmed" and tag is not None:
            d.unconfirmed.add((f.photo_id, tag))
        faces_db.place(cat, f.id, None, "clustered", None)
        done = _finish(lib, d)
    _report(lib, done)
    return done


def add_face(lib: Library, photo_id: int, box, as_name: str | None = None) -> dict:
    """A face the detector missed, drawn by hand (``box``: x, y, w, h in 0-1 of the photo
    as shown); embedded from the photo, and named when ``as_name`` is given."""
    from clipdesk.imaging import ImageError, decode

    x, y, w, h = (float(v) for v in box)
    if not (0 <= x < 1 and 0 <= y < 1 and 0 < w <= 1 - x + 1e-9 and 0 < h <= 1 - y + 1e-9):
        raise OpError("a face's box is x,y,w,h between 0 and 1, inside the photo")
    cat = lib.catalog
    row = cat.photo(photo_id)
    if row is None:
        raise OpError(f"no photo {photo_id}")
    try:
        image = decode(row.path, min_side=FACE_DECODE_SIDE).image
    except ImageError as exc:
        raise OpError(f"cannot read {row.path}: {exc}") from None
    vector = lib.face_engine.embed_box(image, (x, y, w, h))
    with cat.transaction():
        d = _Decision(f"add face on {photo_id}")
        face_id = faces_db.add_face(cat, photo_id, (x, y, w, h), vector, "user")
        d.created.append(face_id)
        d.photos.add(photo_id)
        if as_name is not None:
            person = _person_for_name(lib, person_name(as_name), d)
            faces_db.place(cat, face_id, person, "confirmed", 1.0)
        done = _finish(lib, d)
    _report(lib, done)
    return done | {"face": face_id}


FACE_DECODE_SIDE = 512  # a hand-drawn face is embedded from a decode this size (short side)


def undo(lib: Library) -> str | None:
    """Take back the last action on faces; what it was (None: nothing to undo)."""
    import json

    cat = lib.catalog
    with cat.transaction():
        r = faces_db.last_log(cat)
        if r is None:
            return None
        batch, what, rows = r
        photos: set[int] = set()
        before = set(faces_db.named_people(cat).values())
        for part in json.loads(rows):
            for tag, old_name in part.get("renamed", []):
                faces_db.rename_tag(cat, tag, old_name)
            for person, tag in part["people"]:
                faces_db.restore_person(cat, person, tag)
            for face_id, person, state, similarity in part["faces"]:
                if person is not None and not faces_db.person_exists(cat, person):
                    faces_db.restore_person(cat, person, None)
                faces_db.place(cat, face_id, person, state, similarity)
            for face_id, person in part["rejections"]:
                faces_db.unreject(cat, face_id, person)
            ids = [f for f, *_ in part["faces"]] + part["created"]
            photos |= {f.photo_id for f in faces_db.faces(cat, ids)}
            for face_id in part["created"]:
                faces_db.delete_face(cat, face_id)
        faces_db.drop_log(cat, batch)
        moved = grouping.regroup(cat)
        photos |= {f.photo_id for f in faces_db.faces(cat, moved)}
        named = before | set(faces_db.named_people(cat).values())
        every = {(p, t) for p in photos for t in named}
        tags = photo_tags.sync(cat, photos, every, former=before)
        faces_db.drop_empty_people(cat)
    report(lib, changes(Change.TAGS, photo_ids=photos, tag_ids=tags))
    return what


def switch(lib: Library, on: bool) -> None:
    """Turn faces on or off (the ``faces`` setting, as the window's Settings does). On: the
    photos not looked at yet are, by the next index or the worker."""
    lib.settings.faces = on
    lib.settings.save(lib.paths.settings_file)
    if not on:
        lib.drop_face_inputs()


def forget(lib: Library) -> int:
    """Remove every face, cluster and face decision (the People tags and the photos' rows the
    user confirmed stay: they are tags now), and turn faces off (``switch`` turns them on,
    and every photo is looked at again). How many faces there were."""
    switch(lib, False)
    cat = lib.catalog
    with cat.transaction():
        named = list(faces_db.named_people(cat).values())
        n = faces_db.forget_all(cat)
    report(lib, changes(Change.TAGS, tag_ids=named))
    return n


def recluster(lib: Library) -> int:
    """Group every face that is not confirmed anew; how many were placed."""
    cat = lib.catalog
    with cat.transaction():
        n = grouping.recluster(cat)
        photos = faces_db.photos_with_faces(cat)
        tags = photo_tags.sync(cat, photos)
    report(lib, changes(Change.TAGS, photo_ids=photos, tag_ids=tags))
    return n


def people(lib: Library, min_faces: int = 2) -> list[faces_db.PersonRow]:
    return faces_db.people(lib.catalog, min_faces)


def faces_on(lib: Library, photo_id: int) -> list[dict]:
    """A photo's faces as the terminal and the window show them."""
    cat = lib.catalog
    named = faces_db.named_people(cat)
    names = TagStore(cat).paths()
    out = []
    for i, f in enumerate(faces_db.faces_of(cat, photo_id), 1):
        tag = named.get(f.person_id) if f.person_id is not None else None
        out.append(
            {
                "n": i,
                "id": f.id,
                "box": [round(v, 4) for v in f.box],
                "cluster": f.person_id if tag is None else None,
                "person": tagpath.leaf(names[tag]) if tag in names else None,
                "person_id": f.person_id,
                "state": f.state,
                "score": None if f.similarity is None else round(f.similarity, 3),
                "source": f.source,
            }
        )
    return out
