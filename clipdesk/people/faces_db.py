"""The catalog's faces, people and face rejections: SQL only (schema version 13)."""

from __future__ import annotations

import json
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from clipdesk.catalog import Catalog
from clipdesk.tagging import tagpath

Box = tuple[float, float, float, float]  # x, y, w, h in 0..1 of the displayed photo

_FACE_COLUMNS = (
    "id, photo_id, x, y, w, h, score, source, person_id, state, similarity, vector IS NOT NULL"
)


@dataclass(frozen=True)
class FaceRow:
    id: int
    photo_id: int
    box: Box
    score: float | None
    source: str  # 'detector', 'user' or 'imported'
    person_id: int | None
    state: str  # 'clustered', 'suggested' or 'confirmed'
    similarity: float | None
    embedded: bool  # it has a vector (a box a sidecar brought has none until the face step)


def _face(r) -> FaceRow:
    return FaceRow(r[0], r[1], (r[2], r[3], r[4], r[5]), r[6], r[7], r[8], r[9], r[10], bool(r[11]))


def vector_blob(vector: np.ndarray | None) -> bytes | None:
    return None if vector is None else np.asarray(vector, np.float32).tobytes()


def add_face(
    catalog: Catalog,
    photo_id: int,
    box: Box,
    vector: np.ndarray | None,
    source: str,
    score: float | None = None,
) -> int:
    cur = catalog.conn.execute(
        "INSERT INTO faces(photo_id, x, y, w, h, score, source, vector, created_at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (photo_id, *box, score, source, vector_blob(vector), time.time()),
    )
    return int(cur.lastrowid)


def set_vector(catalog: Catalog, face_id: int, vector: np.ndarray) -> None:
    catalog.conn.execute("UPDATE faces SET vector = ? WHERE id = ?", (vector_blob(vector), face_id))


def faces_of(catalog: Catalog, photo_id: int) -> list[FaceRow]:
    """A photo's faces, left to right."""
    rows = catalog.conn.execute(
        f"SELECT {_FACE_COLUMNS} FROM faces WHERE photo_id = ? ORDER BY x, y, id", (photo_id,)
    )
    return [_face(r) for r in rows]


def face(catalog: Catalog, face_id: int) -> FaceRow | None:
    r = catalog.conn.execute(f"SELECT {_FACE_COLUMNS} FROM faces WHERE id = ?", (face_id,))
    row = r.fetchone()
    return _face(row) if row else None


def faces(catalog: Catalog, face_ids: Iterable[int]) -> list[FaceRow]:
    ids = list(face_ids)
    out = []
    for i in range(0, len(ids), 500):
        chunk = ids[i : i + 500]
        rows = catalog.conn.execute(
            f"SELECT {_FACE_COLUMNS} FROM faces WHERE id IN ({','.join('?' * len(chunk))})",
            chunk,
        )
        out += [_face(r) for r in rows]
    return out


def vectors(catalog: Catalog, where: str = "1", args: Sequence = ()) -> tuple[np.ndarray, ...]:
    """(face ids, person ids (-1: none), states, the vectors as rows) of the faces with a
    vector that match ``where``."""
    rows = catalog.conn.execute(
        f"SELECT id, COALESCE(person_id, -1), state, vector FROM faces "
        f"WHERE vector IS NOT NULL AND ({where}) ORDER BY id",
        args,
    ).fetchall()
    if not rows:
        return (np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0, object),
                np.zeros((0, 0), np.float32))  # fmt: skip
    ids = np.fromiter((r[0] for r in rows), np.int64, len(rows))
    people = np.fromiter((r[1] for r in rows), np.int64, len(rows))
    states = np.array([r[2] for r in rows], dtype=object)
    matrix = np.frombuffer(b"".join(r[3] for r in rows), np.float32).reshape(len(rows), -1)
    return ids, people, states, matrix


def place(
    catalog: Catalog, face_id: int, person_id: int | None, state: str, similarity: float | None
) -> None:
    catalog.conn.execute(
        "UPDATE faces SET person_id = ?, state = ?, similarity = ? WHERE id = ?",
        (person_id, state, similarity, face_id),
    )


def place_many(catalog: Catalog, rows: Iterable[tuple[int, int | None, str, float | None]]) -> None:
    """(face id, person id, state, similarity) rows."""
    catalog.conn.executemany(
        "UPDATE faces SET person_id = ?, state = ?, similarity = ? WHERE id = ?",
        [(p, s, sim, f) for f, p, s, sim in rows],
    )


def new_person(catalog: Catalog, tag_id: int | None = None) -> int:
    cur = catalog.conn.execute(
        "INSERT INTO people(tag_id, created_at) VALUES (?, ?)", (tag_id, time.time())
    )
    return int(cur.lastrowid)


def person_tag(catalog: Catalog, person_id: int) -> int | None:
    r = catalog.conn.execute("SELECT tag_id FROM people WHERE id = ?", (person_id,)).fetchone()
    return r[0] if r else None


def person_of_tag(catalog: Catalog, tag_id: int) -> int | None:
    r = catalog.conn.execute("SELECT id FROM people WHERE tag_id = ?", (tag_id,)).fetchone()
    return r[0] if r else None


def person_exists(catalog: Catalog, person_id: int) -> bool:
    return bool(catalog.conn.execute("SELECT 1 FROM people WHERE id = ?", (person_id,)).fetchone())


def name_person(catalog: Catalog, person_id: int, tag_id: int) -> None:
    catalog.conn.execute("UPDATE people SET tag_id = ? WHERE id = ?", (tag_id, person_id))


def named_people(catalog: Catalog) -> dict[int, int]:
    """person id -> tag id, of every named person."""
    return dict(catalog.conn.execute("SELECT id, tag_id FROM people WHERE tag_id IS NOT NULL"))


def drop_empty_people(catalog: Catalog) -> None:
    """Unnamed people with no face left (a named one is kept: its name is the user's)."""
    catalog.conn.execute(
        "DELETE FROM people WHERE tag_id IS NULL AND NOT EXISTS "
        "(SELECT 1 FROM faces WHERE person_id = people.id)"
    )


def reject(catalog: Catalog, face_id: int, person_id: int) -> None:
    catalog.conn.execute(
        "INSERT OR IGNORE INTO face_rejections(face_id, person_id) VALUES (?, ?)",
        (face_id, person_id),
    )


def rejections(catalog: Catalog) -> dict[int, set[int]]:
    """face id -> the people it was rejected for."""
    out: dict[int, set[int]] = {}
    for f, p in catalog.conn.execute("SELECT face_id, person_id FROM face_rejections"):
        out.setdefault(f, set()).add(p)
    return out


def move_rejections(catalog: Catalog, source: int, target: int) -> None:
    catalog.conn.execute(
        "INSERT OR IGNORE INTO face_rejections(face_id, person_id) "
        "SELECT face_id, ? FROM face_rejections WHERE person_id = ?",
        (target, source),
    )


def mark_read(catalog: Catalog, photo_ids: Iterable[int], value: int = 1) -> None:
    catalog.conn.executemany(
        "UPDATE photos SET faces_read = ? WHERE id = ?", [(value, i) for i in photo_ids]
    )


VECTORS_KEY = "face_vectors"
FIRST_VECTORS = "sface-2021dec"
"""The embedder of every face vector stored before the catalog named it (``VECTORS_KEY``)."""


def use_vectors_of(catalog: Catalog, embedder: str) -> int:
    """Make the catalog's face vectors ``embedder``'s (clipdesk.faces.engine.VECTORS). Where
    another embedder made them, they do not compare with its: each is dropped and its photo
    looked at again, so that the face step embeds the stored box anew; the faces stay, with
    their people, clusters, decisions and undo. How many faces lost their vector."""

    def stored():
        row = catalog.conn.execute("SELECT value FROM meta WHERE key = ?", (VECTORS_KEY,))
        return (row.fetchone() or [None])[0]

    if stored() == embedder:
        return 0
    with catalog.transaction():  # asked again inside: another process may have done it
        n = 0
        if (stored() or FIRST_VECTORS) != embedder:
            n = catalog.conn.execute(
                "UPDATE faces SET vector = NULL WHERE vector IS NOT NULL"
            ).rowcount
            catalog.conn.execute(
                "UPDATE photos SET faces_read = 0 "
                "WHERE id IN (SELECT photo_id FROM faces WHERE vector IS NULL)"
            )
        catalog.conn.execute(
            "INSERT OR REPLACE INTO meta(key, value) VALUES (?, ?)", (VECTORS_KEY, embedder)
        )
    return n


@dataclass(frozen=True)
class PersonRow:
    id: int
    name: str | None  # the tag's leaf; None: an unnamed cluster
    tag_id: int | None
    faces: int
    photos: int


def people(catalog: Catalog, min_faces: int = 1) -> list[PersonRow]:
    """Every person and unnamed cluster with at least ``min_faces`` faces (a named person
    always), named first by name, then the largest clusters."""
    paths = tagpath.build(catalog.conn.execute("SELECT id, name, parent_id FROM tags"))
    rows = catalog.conn.execute(
        "SELECT p.id, p.tag_id, COUNT(f.id), COUNT(DISTINCT f.photo_id) FROM people p "
        "LEFT JOIN faces f ON f.person_id = p.id GROUP BY p.id"
    ).fetchall()
    out = [
        PersonRow(pid, tagpath.leaf(paths[tag]) if tag in paths else None, tag, n, photos)
        for pid, tag, n, photos in rows
        if tag is not None or n >= min_faces
    ]
    named = sorted((p for p in out if p.name), key=lambda p: p.name.lower())
    unnamed = sorted((p for p in out if not p.name), key=lambda p: (-p.faces, p.id))
    return named + unnamed


def log(catalog: Catalog, batch: int, what: str, face_rows: list[dict]) -> None:
    catalog.conn.execute(
        "INSERT INTO face_log(batch, what, rows, at) VALUES (?, ?, ?, ?)",
        (batch, what, json.dumps(face_rows), time.time()),
    )


def next_batch(catalog: Catalog) -> int:
    return catalog.conn.execute("SELECT COALESCE(MAX(batch), 0) + 1 FROM face_log").fetchone()[0]


def named_regions(catalog: Catalog, photo_id: int) -> list[tuple[str, Box]]:
    """(name, box) of a photo's faces confirmed as a named person: what export writes as
    MWG face regions (the name is the People tag's own level)."""
    rows = catalog.conn.execute(
        "SELECT t.name, f.x, f.y, f.w, f.h FROM faces f JOIN people p ON p.id = f.person_id "
        "JOIN tags t ON t.id = p.tag_id WHERE f.photo_id = ? AND f.state = 'confirmed' "
        "ORDER BY f.x, f.y, f.id",
        (photo_id,),
    )
    return [(name, (x, y, w, h)) for name, x, y, w, h in rows]


def unreject(catalog: Catalog, face_id: int, person_id: int) -> None:
    catalog.conn.execute(
        "DELETE FROM face_rejections WHERE face_id = ? AND person_id = ?", (face_id, person_id)
    )


def face_ids_of(catalog: Catalog, person_id: int, undecided: bool = False) -> list[int]:
    """A person's (or cluster's) faces; ``undecided``: only those not confirmed."""
    extra = " AND state != 'confirmed'" if undecided else ""
    rows = catalog.conn.execute(
        f"SELECT id FROM faces WHERE person_id = ?{extra} ORDER BY id", (person_id,)
    )
    return [r[0] for r in rows]


def move_photo_rows(catalog: Catalog, from_tag: int, to_tag: int) -> None:
    """One named person merged into another: its photos' rows go to the other's tag (where
    the photo has none of it already)."""
    catalog.conn.execute(
        "UPDATE OR IGNORE photo_tags SET tag_id = ? WHERE tag_id = ?", (to_tag, from_tag)
    )


def last_log(catalog: Catalog) -> tuple[int, str, str] | None:
    """(batch, what, rows as JSON) of the last action on faces, or None."""
    return catalog.conn.execute(
        "SELECT batch, what, rows FROM face_log ORDER BY batch DESC, id DESC LIMIT 1"
    ).fetchone()


def last_log_at(catalog: Catalog) -> float | None:
    """When the last action on faces still to undo was taken (None: there is none)."""
    return catalog.conn.execute("SELECT MAX(at) FROM face_log").fetchone()[0]


def drop_log(catalog: Catalog, batch: int) -> None:
    catalog.conn.execute("DELETE FROM face_log WHERE batch = ?", (batch,))


def restore_person(catalog: Catalog, person_id: int, tag_id: int | None) -> None:
    """A person (or cluster) back as it was: made again with its id if it went."""
    if person_exists(catalog, person_id):
        name_person(catalog, person_id, tag_id)
    else:
        catalog.conn.execute(
            "INSERT INTO people(id, tag_id, created_at) VALUES (?, ?, ?)",
            (person_id, tag_id, time.time()),
        )


def delete_face(catalog: Catalog, face_id: int) -> None:
    catalog.conn.execute("DELETE FROM faces WHERE id = ?", (face_id,))


def photos_with_faces(catalog: Catalog) -> list[int]:
    return [r[0] for r in catalog.conn.execute("SELECT DISTINCT photo_id FROM faces")]


def forget_all(catalog: Catalog) -> int:
    """Every face, cluster, rejection and face action gone; the named people's suggested
    photo rows too (the confirmed ones are the user's tags and stay); every photo to be
    looked at again. How many faces there were. Call inside a transaction."""
    n = catalog.conn.execute("SELECT COUNT(*) FROM faces").fetchone()[0]
    named = list(named_people(catalog).values())
    if named:
        catalog.conn.execute(
            "DELETE FROM photo_tags WHERE state = 'suggested' AND source = 'model' "
            f"AND tag_id IN ({','.join('?' * len(named))})",
            named,
        )
    for table in ("face_rejections", "face_log", "faces", "people"):
        catalog.conn.execute(f"DELETE FROM {table}")
    catalog.conn.execute("UPDATE photos SET faces_read = 0")
    return n


def counts(catalog: Catalog) -> dict[str, int]:
    """Faces found, photos looked at and not yet, people named (for `clipdesk status`)."""
    one = catalog.conn.execute
    return {
        "faces": one("SELECT COUNT(*) FROM faces").fetchone()[0],
        "people": one("SELECT COUNT(*) FROM people WHERE tag_id IS NOT NULL").fetchone()[0],
        "photos_looked_at": one("SELECT COUNT(*) FROM photos WHERE faces_read = 1").fetchone()[0],
        "photos_to_look_at": one(
            "SELECT COUNT(*) FROM photos WHERE faces_read = 0 AND status = 'indexed'"
        ).fetchone()[0],
    }


def rename_tag(catalog: Catalog, tag_id: int, name: str) -> str:
    """A named person's tag takes a new (checked) name, in place: its photo rows, decisions
    and export records stay with it. The old name."""
    old = catalog.conn.execute("SELECT name FROM tags WHERE id = ?", (tag_id,)).fetchone()[0]
    catalog.conn.execute(
        "UPDATE tags SET name = ?, updated_at = ? WHERE id = ?", (name, time.time(), tag_id)
    )
    return old


def mark_person_tag(catalog: Catalog, tag_id: int) -> None:
    catalog.conn.execute("UPDATE tags SET person = 1 WHERE id = ?", (tag_id,))


def faces_of_person(catalog: Catalog, person_id: int) -> list[FaceRow]:
    """A person's (or cluster's) faces, confirmed first, then the most alike."""
    rows = catalog.conn.execute(
        f"SELECT {_FACE_COLUMNS} FROM faces WHERE person_id = ? ORDER BY "
        "state = 'confirmed' DESC, similarity DESC, id",
        (person_id,),
    )
    return [_face(r) for r in rows]


def covers(catalog: Catalog) -> dict[int, FaceRow]:
    """One face per person or cluster to show it by: a confirmed one if any, else the one
    most like the rest (its detector score breaking ties)."""
    rows = catalog.conn.execute(
        f"SELECT {_FACE_COLUMNS} FROM faces WHERE person_id IS NOT NULL ORDER BY person_id, "
        "state = 'confirmed' DESC, similarity IS NULL, similarity DESC, score DESC, id"
    )
    out: dict[int, FaceRow] = {}
    for r in rows:
        out.setdefault(r[8], _face(r))
    return out


def suggested_counts(catalog: Catalog) -> dict[int, int]:
    """person id -> how many of its faces are suggestions waiting for the user."""
    return dict(
        catalog.conn.execute(
            "SELECT person_id, COUNT(*) FROM faces WHERE state = 'suggested' GROUP BY person_id"
        )
    )
