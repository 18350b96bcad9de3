"""Frozen catalogs: one SQLite file per past schema version, with a little real data valid
at that version, in tests/data/catalogs/ (vN.sqlite3). They stand for what a user of that
release has on disk; tests/unit/test_migrations.py opens each with today's ClipDesk.

``write_catalog`` made them (tests/data/catalogs/make_frozen.py runs it, once per new
version). The constants below describe what the committed files hold: never change them,
or the files, for a version that has shipped. A new schema version gets a new file: give
``write_catalog`` what the version can hold (``if version >= N``), then run the script.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import numpy as np

from clipdesk.catalog.schema import MIGRATIONS

FOLDER = (1, "/photos")
# id: (path, size, mtime_ns, hash, width, height, taken_at, orientation)
PHOTOS = {
    1: ("/photos/red_circle.jpg", 1000, 1_700_000_000_000_000_000, "h1", 64, 48,
        "2024-05-01T10:00:00", 1),
    2: ("/photos/blue_square.jpg", 1200, 1_700_000_100_000_000_000, "h2", 48, 64,
        "2024-05-02T11:30:00", 6),
}  # fmt: skip
MODEL = (1, "test", 4)
VECTORS = {1: [0.6, 0.8, 0.0, 0.0], 2: [0.0, 0.0, 0.8, 0.6]}  # L2-normalised float32
# id: (name, parent id, prompts); "Colours" is a group of the two colours
TAGS = {
    1: ("Colours", None, []),
    2: ("Red", 1, ["a photo of something red"]),
    3: ("Blue", 1, ["a photo of something blue"]),
}
# (photo id, tag id, state, source, score): the user's decisions and one suggestion
PHOTO_TAGS = [
    (1, 2, "confirmed", "user", 0.42),
    (1, 3, "rejected", "user", 0.05),
    (2, 3, "suggested", "model", 0.31),
]
EXPORTED = {1: ["Colours|Red"]}  # the tags ClipDesk wrote into photo 1's sidecar
REJECTED_PHOTO = 2  # set aside as a copy (from version 7)
SIDECAR_PROBLEM = (2, "/photos/blue_square.jpg.xmp: not valid XMP")  # from version 8
PENDING = ("h3", 900, 32, 24)  # an imported vector waiting for its photo (from version 9)
FULL_HASH = (1, "f1")  # photo 1's whole content was read (from version 12; photo 2's was not)
# From version 13: a face on photo 1 confirmed as the person named by tag 4 (People|Ada)
PERSON_TAG = (4, "People", 5, "Ada")  # group tag id, its name, person tag id, name
FACE = (1, 1, (0.25, 0.2, 0.3, 0.4), [0.0, 1.0, 0.0, 0.0])  # id, photo id, box, vector
# From version 14: photo 1's marks (stars, label, pick flag), the change that gave it the
# stars (to undo), and a smart album of photos with 3 stars or more
MARKS = (1, 4, "red", 1)  # photo id, stars, label, picked
ALBUM = (1, "Best", '{"min_stars": 3}')
# From version 15: photo 1's GPS position and the place it resolved to, and the words read
# in photo 2
PLACE = (1, 48.8566, 2.3522, "exif", "FR", "France", "Île-de-France", "Paris", 0.4)
TEXT = (2, "OPEN 24 HOURS", 0.31, "rapidocr")
AT = 1_700_000_200.0  # every timestamp written


def write_catalog(path: Path, version: int) -> None:
    """A catalog of schema ``version``: the migrations up to it, then the data above, as
    far as that version has tables and columns for it."""
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode = WAL")  # as the app keeps its catalog
    for step, script in enumerate(MIGRATIONS[:version]):
        conn.executescript(f"BEGIN;\n{script}\nPRAGMA user_version = {step + 1};\nCOMMIT;")
    conn.execute("BEGIN")
    _v1(conn)
    if version >= 2:
        _v2(conn, version)
    if version >= 3:  # indexed photos had their keywords read and embeddings scored
        conn.execute("UPDATE photos SET keywords_read = 1")
        conn.execute("UPDATE embeddings SET scored = 1")
        conn.execute("INSERT INTO learn_queue VALUES (3, ?)", (AT,))
    if version >= 4:
        conn.execute("UPDATE photos SET inode = 100 + id")
    if version >= 7:
        conn.execute("UPDATE photos SET rejected = 1 WHERE id = ?", (REJECTED_PHOTO,))
    if version >= 8:
        conn.execute("INSERT INTO sidecar_problems VALUES (?, ?, ?)", (*SIDECAR_PROBLEM, AT))
    if version >= 9:
        conn.execute(
            "INSERT INTO pending_vectors(model_id, hash, size, width, height, vector) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            (MODEL[0], *PENDING, vector([0.0, 0.6, 0.0, 0.8])),
        )
    if version >= 10:  # the reject rating ClipDesk wrote into photo 2's new sidecar
        conn.execute(
            "INSERT INTO sidecar_exports(photo_id, tags, at, created, rating) "
            "VALUES (?, '[]', ?, 1, '-1')",
            (REJECTED_PHOTO, AT),
        )
    if version >= 12:
        conn.execute("UPDATE photos SET full_hash = ? WHERE id = ?", FULL_HASH[::-1])
    if version >= 13:
        group, group_name, person, name = PERSON_TAG
        conn.execute(
            "INSERT INTO tags(id, name, parent_id, enabled, updated_at) VALUES (?, ?, NULL, 0, ?)",
            (group, group_name, AT),
        )
        conn.execute(
            "INSERT INTO tags(id, name, parent_id, enabled, person, updated_at) "
            "VALUES (?, ?, ?, 0, 1, ?)",
            (person, name, group, AT),
        )
        conn.execute("INSERT INTO people(id, tag_id, created_at) VALUES (1, ?, ?)", (person, AT))
        face_id, photo_id, (x, y, w, h), values = FACE
        conn.execute(
            "INSERT INTO faces(id, photo_id, x, y, w, h, score, source, vector, person_id, "
            "state, similarity, created_at) VALUES (?, ?, ?, ?, ?, ?, 0.99, 'detector', ?, 1, "
            "'confirmed', 1.0, ?)",
            (face_id, photo_id, x, y, w, h, vector(values), AT),
        )
        conn.execute("UPDATE photos SET faces_read = 1")
    if version >= 14:
        photo_id, stars, label, picked = MARKS
        conn.execute(
            "UPDATE photos SET stars = ?, label = ?, picked = ? WHERE id = ?",
            (stars, label, picked, photo_id),
        )
        conn.execute(
            "INSERT INTO mark_log(batch, what, photo_id, stars, label, picked, rejected, at) "
            "VALUES (1, '4 stars', ?, 0, ?, ?, 0, ?)",
            (photo_id, label, picked, AT),
        )
        conn.execute(
            "INSERT INTO albums(id, name, filter, created_at) VALUES (?, ?, ?, ?)", (*ALBUM, AT)
        )
    if version >= 15:
        conn.execute(
            "INSERT INTO photo_places(photo_id, lat, lon, origin, country_code, country, "
            "region, city, distance_km, at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (*PLACE, AT),
        )
        conn.execute(
            "INSERT INTO photo_text(photo_id, text, likeness, engine, at) VALUES (?, ?, ?, ?, ?)",
            (*TEXT, AT),
        )
        conn.execute("UPDATE photos SET places_read = 1, text_read = 1")
    conn.execute("COMMIT")
    conn.close()


def vector(values) -> bytes:
    return np.asarray(values, np.float32).tobytes()


def _v1(conn: sqlite3.Connection) -> None:
    conn.execute("INSERT INTO folders(id, path, added_at) VALUES (?, ?, ?)", (*FOLDER, AT))
    for pid, row in PHOTOS.items():
        conn.execute(
            "INSERT INTO photos(id, folder_id, path, size, mtime_ns, hash, width, height, "
            "taken_at, orientation, status, updated_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'indexed', ?)",
            (pid, FOLDER[0], *row, AT),
        )
    conn.execute("INSERT INTO models(id, name, dim) VALUES (?, ?, ?)", MODEL)
    for pid, values in VECTORS.items():
        conn.execute(
            "INSERT INTO embeddings(photo_id, model_id, vector) VALUES (?, ?, ?)",
            (pid, MODEL[0], vector(values)),
        )


def _v2(conn: sqlite3.Connection, version: int) -> None:
    conn.execute("INSERT INTO meta VALUES ('vocabulary_seeded', '1')")
    for tid, (name, parent, prompts) in TAGS.items():
        conn.execute(
            "INSERT INTO tags(id, name, parent_id, prompts, updated_at) VALUES (?, ?, ?, ?, ?)",
            (tid, name, parent, json.dumps(prompts), AT),
        )
        if prompts:
            conn.execute(
                "INSERT INTO tag_vectors VALUES (?, ?, ?, ?)",
                (tid, MODEL[0], json.dumps(prompts), vector(VECTORS[1 if tid == 2 else 2])),
            )
    for batch, (pid, tid, state, source, score) in enumerate(PHOTO_TAGS, 1):
        conn.execute(
            "INSERT INTO photo_tags VALUES (?, ?, ?, ?, ?, ?)", (pid, tid, state, source, score, AT)
        )
        if source == "user":
            conn.execute(
                "INSERT INTO corrections(batch, photo_id, tag_id, old_state, old_source, "
                "old_score, new_state, at) VALUES (?, ?, ?, 'suggested', 'model', ?, ?, ?)",
                (batch, pid, tid, score, state, AT),
            )
    conn.execute(
        "INSERT INTO heads VALUES (2, ?, ?, -0.1, ?, 1, 0, '{}')",
        (MODEL[0], vector(VECTORS[1]), AT),
    )
    created = ", created" if version >= 6 else ""
    for pid, tags in EXPORTED.items():
        conn.execute(
            f"INSERT INTO sidecar_exports(photo_id, tags, at{created}) "
            f"VALUES (?, ?, ?{', 1' if created else ''})",
            (pid, json.dumps(tags), AT),
        )
