"""What the People page and the large view read about faces, as plain data. Qt-free: each
function takes the worker's Library and runs on the worker thread (``WorkerBridge.submit``),
so a read sees every action before it, in order. The SQL stays in
:mod:`clipdesk.people.faces_db`; this module only puts its answers together."""

from __future__ import annotations

from dataclasses import dataclass

from clipdesk.catalog import browse
from clipdesk.ops import people as people_ops
from clipdesk.people import faces_db
from clipdesk.pipeline.library import Library

STATE_ORDER = {"suggested": 0, "clustered": 1, "confirmed": 2}  # what needs a look comes first


@dataclass(frozen=True)
class FaceCard:
    """One face as a tile shows it: where to crop it from, and what it is."""

    id: int
    photo_id: int
    path: str  # the photo, for a decode when the thumbnail is too small
    hash: str  # the photo's thumbnail key
    box: faces_db.Box  # x, y, w, h in 0..1 of the photo as shown
    state: str  # 'clustered', 'suggested' or 'confirmed'
    similarity: float | None
    person_id: int | None

    @property
    def key(self) -> tuple:
        """What a crop is cached under: face ids are reused once every face is forgotten."""
        return (self.id, self.hash, self.box)


@dataclass(frozen=True)
class PersonCard:
    """A person or an unnamed cluster, with the face its tile shows."""

    id: int
    name: str | None  # None: an unnamed cluster
    tag_id: int | None
    faces: int
    photos: int
    suggested: int  # faces suggested for it, waiting for a yes or no
    cover: FaceCard | None


def _cards(lib: Library, rows: list[faces_db.FaceRow]) -> list[FaceCard]:
    photos = browse.briefs(lib.catalog, sorted({f.photo_id for f in rows}))
    return [
        FaceCard(f.id, f.photo_id, p.path, p.hash, f.box, f.state, f.similarity, f.person_id)
        for f in rows
        if (p := photos.get(f.photo_id)) is not None
    ]


def people_cards(lib: Library, min_faces: int = 2) -> list[PersonCard]:
    """The People page's list: named people by name, then unnamed clusters of at least
    ``min_faces`` faces, largest first, each with a cover face (a confirmed one if any)."""
    rows = people_ops.people(lib, min_faces)
    wanted = {r.id for r in rows}
    suggested = faces_db.suggested_counts(lib.catalog)
    picked = [f.id for p, f in faces_db.covers(lib.catalog).items() if p in wanted]
    cards = {c.person_id: c for c in _cards(lib, faces_db.faces(lib.catalog, picked))}
    return [
        PersonCard(
            r.id, r.name, r.tag_id, r.faces, r.photos, suggested.get(r.id, 0), cards.get(r.id)
        )
        for r in rows
    ]


def person_faces(lib: Library, person_id: int) -> list[FaceCard]:
    """A person's faces: the suggested ones first, then the clustered, then the confirmed;
    within each, the least alike first (the faces most likely to be someone else)."""
    cards = _cards(lib, faces_db.faces_of_person(lib.catalog, person_id))
    return sorted(
        cards,
        key=lambda c: (
            STATE_ORDER.get(c.state, 3),
            1.0 if c.similarity is None else c.similarity,
            c.id,
        ),
    )


def review_queue(lib: Library, person_id: int) -> list[FaceCard]:
    """A named person's suggested faces, the most alike first: "Is this Ross?" one at a time."""
    faces = [c for c in person_faces(lib, person_id) if c.state == "suggested"]
    return sorted(faces, key=lambda c: -(c.similarity or 0.0))


@dataclass(frozen=True)
class PhotoFaces:
    """A photo's faces as the large view draws them, and the names a face may be given."""

    photo_id: int
    faces: list[dict]  # ops.people.faces_on's rows
    names: list[str]


def person_names(lib: Library) -> list[str]:
    """Every named person's name, for completion."""
    return [p.name for p in people_ops.people(lib, 1) if p.name]


def photo_faces(lib: Library, photo_id: int) -> PhotoFaces:
    return PhotoFaces(photo_id, people_ops.faces_on(lib, photo_id), person_names(lib))
