"""Schema versions and forward migrations.

``PRAGMA user_version`` holds the version. Each entry of ``MIGRATIONS`` moves a
catalog from version ``i`` to ``i + 1``; a new schema change appends a step and
never edits an old one, and gets a test that migrates a catalog of the previous
version.
"""

from __future__ import annotations

import sqlite3

V1 = """
CREATE TABLE folders (
    id        INTEGER PRIMARY KEY,
    path      TEXT NOT NULL UNIQUE,
    watched   INTEGER NOT NULL DEFAULT 1,
    added_at  REAL NOT NULL
);
CREATE TABLE photos (
    id          INTEGER PRIMARY KEY,
    folder_id   INTEGER NOT NULL REFERENCES folders(id) ON DELETE CASCADE,
    path        TEXT NOT NULL UNIQUE,
    size        INTEGER NOT NULL,
    mtime_ns    INTEGER NOT NULL,
    hash        TEXT NOT NULL,
    width       INTEGER,
    height      INTEGER,
    taken_at    TEXT,
    orientation INTEGER,
    status      TEXT NOT NULL DEFAULT 'new'
                CHECK (status IN ('new', 'indexed', 'missing', 'failed')),
    error       TEXT,
    updated_at  REAL NOT NULL
);
CREATE INDEX photos_folder ON photos(folder_id);
CREATE INDEX photos_hash ON photos(hash, size);
CREATE INDEX photos_status ON photos(status);
CREATE TABLE models (
    id    INTEGER PRIMARY KEY,
    name  TEXT NOT NULL UNIQUE,
    dim   INTEGER NOT NULL
);
CREATE TABLE embeddings (
    photo_id  INTEGER NOT NULL REFERENCES photos(id) ON DELETE CASCADE,
    model_id  INTEGER NOT NULL REFERENCES models(id) ON DELETE CASCADE,
    vector    BLOB NOT NULL,
    PRIMARY KEY (photo_id, model_id)
) WITHOUT ROWID;
CREATE INDEX embeddings_model ON embeddings(model_id);
"""


V2 = """
CREATE TABLE tags (
    id          INTEGER PRIMARY KEY,
    name        TEXT NOT NULL,
    parent_id   INTEGER REFERENCES tags(id) ON DELETE CASCADE,
    prompts     TEXT NOT NULL DEFAULT '[]',
    threshold   REAL NOT NULL DEFAULT 0.5,
    enabled     INTEGER NOT NULL DEFAULT 1,
    updated_at  REAL NOT NULL
);
CREATE UNIQUE INDEX tags_name ON tags(COALESCE(parent_id, 0), name);
CREATE TABLE tag_vectors (
    tag_id      INTEGER NOT NULL REFERENCES tags(id) ON DELETE CASCADE,
    model_id    INTEGER NOT NULL REFERENCES models(id) ON DELETE CASCADE,
    prompts_key TEXT NOT NULL,
    vector      BLOB NOT NULL,
    PRIMARY KEY (tag_id, model_id)
) WITHOUT ROWID;
CREATE TABLE photo_tags (
    photo_id    INTEGER NOT NULL REFERENCES photos(id) ON DELETE CASCADE,
    tag_id      INTEGER NOT NULL REFERENCES tags(id) ON DELETE CASCADE,
    state       TEXT NOT NULL CHECK (state IN ('suggested', 'confirmed', 'rejected')),
    source      TEXT NOT NULL CHECK (source IN ('model', 'user', 'imported')),
    score       REAL,
    updated_at  REAL NOT NULL,
    PRIMARY KEY (photo_id, tag_id)
) WITHOUT ROWID;
CREATE INDEX photo_tags_tag ON photo_tags(tag_id, state);
CREATE TABLE corrections (
    id          INTEGER PRIMARY KEY,
    batch       INTEGER NOT NULL,
    photo_id    INTEGER NOT NULL REFERENCES photos(id) ON DELETE CASCADE,
    tag_id      INTEGER NOT NULL REFERENCES tags(id) ON DELETE CASCADE,
    old_state   TEXT,
    old_source  TEXT,
    old_score   REAL,
    new_state   TEXT NOT NULL,
    at          REAL NOT NULL
);
CREATE INDEX corrections_tag ON corrections(tag_id);
CREATE TABLE sidecar_exports (
    photo_id    INTEGER PRIMARY KEY REFERENCES photos(id) ON DELETE CASCADE,
    tags        TEXT NOT NULL,
    at          REAL NOT NULL
);
CREATE TABLE meta (
    key         TEXT PRIMARY KEY,
    value       TEXT NOT NULL
);
CREATE TABLE heads (
    tag_id      INTEGER NOT NULL REFERENCES tags(id) ON DELETE CASCADE,
    model_id    INTEGER NOT NULL REFERENCES models(id) ON DELETE CASCADE,
    weights     BLOB NOT NULL,
    bias        REAL NOT NULL,
    trained_at  REAL NOT NULL,
    n_pos       INTEGER NOT NULL,
    n_neg       INTEGER NOT NULL,
    metrics     TEXT NOT NULL DEFAULT '{}',
    PRIMARY KEY (tag_id, model_id)
) WITHOUT ROWID;
"""

# The pipeline after embedding works from catalog state, so that a run killed between
# stages is finished by the next one: a photo's keywords are read once (again when its
# content changes), an embedding is scored once (again when it is replaced), and a tag
# whose corrections changed waits in ``learn_queue`` until its head is retrained.
V3 = """
ALTER TABLE photos ADD COLUMN keywords_read INTEGER NOT NULL DEFAULT 0;
UPDATE photos SET keywords_read = 1 WHERE status = 'indexed';
CREATE INDEX photos_keywords_unread ON photos(id) WHERE keywords_read = 0;
ALTER TABLE embeddings ADD COLUMN scored INTEGER NOT NULL DEFAULT 0;
UPDATE embeddings SET scored = (SELECT COUNT(*) FROM meta WHERE key = 'vocabulary_seeded');
CREATE INDEX embeddings_unscored ON embeddings(model_id) WHERE scored = 0;
CREATE TABLE learn_queue (
    tag_id      INTEGER PRIMARY KEY REFERENCES tags(id) ON DELETE CASCADE,
    at          REAL NOT NULL
);
"""

# A failed photo is looked at again when its file changes: size and mtime, and the inode
# (a file restored by copying it back keeps its timestamps but not its inode). A photo
# indexed while the thumbnail cache could not be written is indexed all the same; its
# thumbnail is made later, once the cache is writable (``thumb_missing``).
V4 = """
ALTER TABLE photos ADD COLUMN inode INTEGER;
ALTER TABLE photos ADD COLUMN thumb_missing INTEGER NOT NULL DEFAULT 0;
CREATE INDEX photos_thumb_missing ON photos(id) WHERE thumb_missing = 1;
"""

# Search-ready vector files (catalog/vectors.py) check themselves against the catalog with
# one tiny query: ``vector_generation`` holds the catalog's identity (uuid), ``gen``, which
# every change a file cannot follow by appending bumps (an embedding deleted or replaced, a
# photo leaving 'indexed'), and ``seq``, which every embedding that becomes searchable
# bumps and stamps on its row (``embeddings.seq``), so that a file can append exactly the
# rows newer than itself. Triggers keep them, whoever writes.
V5 = """
CREATE TABLE vector_generation (
    id    INTEGER PRIMARY KEY CHECK (id = 1),
    uuid  TEXT NOT NULL,
    gen   INTEGER NOT NULL,
    seq   INTEGER NOT NULL
);
INSERT INTO vector_generation(id, uuid, gen, seq) VALUES (1, lower(hex(randomblob(16))), 1, 0);
ALTER TABLE embeddings ADD COLUMN seq INTEGER NOT NULL DEFAULT 0;
CREATE INDEX embeddings_seq ON embeddings(model_id, seq);
CREATE TRIGGER vectors_embedding_replaced BEFORE INSERT ON embeddings
WHEN EXISTS (SELECT 1 FROM embeddings WHERE photo_id = NEW.photo_id AND model_id = NEW.model_id)
BEGIN
    UPDATE vector_generation SET gen = gen + 1;
END;
CREATE TRIGGER vectors_embedding_added AFTER INSERT ON embeddings
BEGIN
    UPDATE vector_generation SET seq = seq + 1;
    UPDATE embeddings SET seq = (SELECT seq FROM vector_generation)
        WHERE photo_id = NEW.photo_id AND model_id = NEW.model_id;
END;
CREATE TRIGGER vectors_embedding_deleted AFTER DELETE ON embeddings
BEGIN
    UPDATE vector_generation SET gen = gen + 1;
END;
CREATE TRIGGER vectors_embedding_changed AFTER UPDATE OF photo_id, model_id, vector ON embeddings
BEGIN
    UPDATE vector_generation SET gen = gen + 1;
END;
CREATE TRIGGER vectors_photo_unlisted AFTER UPDATE OF status ON photos
WHEN OLD.status = 'indexed' AND NEW.status != 'indexed'
BEGIN
    UPDATE vector_generation SET gen = gen + 1;
END;
CREATE TRIGGER vectors_photo_listed AFTER UPDATE OF status ON photos
WHEN OLD.status != 'indexed' AND NEW.status = 'indexed'
BEGIN
    UPDATE vector_generation SET seq = seq + 1;
    UPDATE embeddings SET seq = (SELECT seq FROM vector_generation) WHERE photo_id = NEW.id;
END;
CREATE TRIGGER vectors_photo_deleted AFTER DELETE ON photos WHEN OLD.status = 'indexed'
BEGIN
    UPDATE vector_generation SET gen = gen + 1;
END;
"""

# Each step is one SQL script, run in one transaction together with the version bump.
# Which sidecars ClipDesk created itself: only those may be removed again when they end up
# holding nothing (a sidecar another program wrote is never removed).
V6 = """
ALTER TABLE sidecar_exports ADD COLUMN created INTEGER NOT NULL DEFAULT 0;
"""

# A photo the user set aside as a rejected copy (the Duplicates view, `clipdesk duplicates`).
# `clipdesk export` writes it to the sidecar as the reject rating (xmp:Rating -1, see V10);
# the photo file itself is never touched.
V7 = """
ALTER TABLE photos ADD COLUMN rejected INTEGER NOT NULL DEFAULT 0;
"""

# Problems found reading a photo's keywords (its sidecar or its embedded metadata) during
# `add` / `index` / `import-keywords`: one row per photo, replaced each time its keywords are
# read, shown by `clipdesk status` next to failed photos. The photo itself stays indexed.
V8 = """
CREATE TABLE sidecar_problems (
    photo_id    INTEGER PRIMARY KEY REFERENCES photos(id) ON DELETE CASCADE,
    reason      TEXT NOT NULL,
    at          REAL NOT NULL
);
"""

# Vectors imported from a cluster run (``clipdesk import-embeddings``) for content the
# catalog does not hold yet, keyed like a photo by content hash and size: a later scan
# that finds that content (``clipdesk add``) takes the vector instead of embedding it
# (catalog/imports.py). A row goes once a photo with its content has the vector.
V9 = """
CREATE TABLE pending_vectors (
    id          INTEGER PRIMARY KEY,
    model_id    INTEGER NOT NULL REFERENCES models(id) ON DELETE CASCADE,
    hash        TEXT NOT NULL,
    size        INTEGER NOT NULL,
    width       INTEGER NOT NULL,
    height      INTEGER NOT NULL,
    orientation INTEGER NOT NULL DEFAULT 1,
    taken_at    TEXT,
    vector      BLOB NOT NULL,
    UNIQUE (hash, size, model_id)
);
"""

# The xmp:Rating ClipDesk wrote into the photo's sidecar ('-1': a rejected photo), NULL when
# it wrote none: export removes a rating only when ClipDesk wrote it (a rating another program
# set is never touched).
V10 = """
ALTER TABLE sidecar_exports ADD COLUMN rating TEXT;
"""

# Zero-shot suggestions are calibrated from this version on (tagging/calibration.py):
# every embedding is scored once more, which removes the suggestions an older release made
# of tags the model cannot see (scoring never touches a user's decision).
V11 = """
UPDATE embeddings SET scored = 0;
"""

# A photo's whole-content hash (XXH3-128, pipeline/identity.py), NULL until its bytes are read
# in full (at its decode, or by the fingerprint step for photos an older release indexed). A
# file at a new path is taken for a moved photo, tags and embedding included, only when this
# hash matches: the sampled ``hash`` only finds the candidates.
V12 = """
ALTER TABLE photos ADD COLUMN full_hash TEXT;
"""

# People (issue 27). A face is a box on a photo (0-1, in the displayed orientation) with the
# face engine's vector (clipdesk/faces). ``people`` are the groups faces fall into: an unnamed
# cluster until the user names it, then a person with the tag People|Name (``tags.person``:
# a tag the CLIP tagger never suggests nor retrains; its photo rows come from the faces). A
# face's ``state``: 'clustered' (grouped by likeness), 'suggested' (a named person's model
# proposes it) or 'confirmed' (the user said so). A rejected face-person pair is kept in
# ``face_rejections`` and never proposed again. ``photos.faces_read``: the face step has
# looked at the photo (1), or not yet (0). ``face_log`` keeps each user action on faces
# (the rows it changed, as they were) for undo. ``sidecar_exports.regions``: the face regions
# ClipDesk wrote into the sidecar (JSON), so that it removes only its own.
V13 = """
CREATE TABLE people (
    id          INTEGER PRIMARY KEY,
    tag_id      INTEGER UNIQUE REFERENCES tags(id) ON DELETE SET NULL,
    created_at  REAL NOT NULL
);
CREATE TABLE faces (
    id          INTEGER PRIMARY KEY,
    photo_id    INTEGER NOT NULL REFERENCES photos(id) ON DELETE CASCADE,
    x           REAL NOT NULL,
    y           REAL NOT NULL,
    w           REAL NOT NULL,
    h           REAL NOT NULL,
    score       REAL,
    source      TEXT NOT NULL CHECK (source IN ('detector', 'user', 'imported')),
    vector      BLOB,
    person_id   INTEGER REFERENCES people(id) ON DELETE SET NULL,
    state       TEXT NOT NULL DEFAULT 'clustered'
                CHECK (state IN ('clustered', 'suggested', 'confirmed')),
    similarity  REAL,
    created_at  REAL NOT NULL
);
CREATE INDEX faces_photo ON faces(photo_id);
CREATE INDEX faces_person ON faces(person_id);
CREATE TABLE face_rejections (
    face_id     INTEGER NOT NULL REFERENCES faces(id) ON DELETE CASCADE,
    person_id   INTEGER NOT NULL REFERENCES people(id) ON DELETE CASCADE,
    PRIMARY KEY (face_id, person_id)
) WITHOUT ROWID;
CREATE TABLE face_log (
    id          INTEGER PRIMARY KEY,
    batch       INTEGER NOT NULL,
    what        TEXT NOT NULL,
    rows        TEXT NOT NULL,
    at          REAL NOT NULL
);
ALTER TABLE photos ADD COLUMN faces_read INTEGER NOT NULL DEFAULT 0;
ALTER TABLE tags ADD COLUMN person INTEGER NOT NULL DEFAULT 0;
ALTER TABLE sidecar_exports ADD COLUMN regions TEXT;
"""

# The photographer's marks (issue 28): stars 0-5, a colour label, and the pick flag beside
# the reject flag of V7 (a photo has at most one of the two). ``mark_log`` keeps what each
# user action on marks changed (the photo's marks as they were) for undo. ``albums``: saved
# searches (smart albums), each a JSON filter (``catalog/albums.py``).
# ``sidecar_exports.marks``: the marks as they stood when ClipDesk last read or wrote the
# sidecar (JSON), the base that tells which side changed a field since (``sidecars/marks_sync``);
# ``keywords`` the same for the keywords (JSON); ``seen_*`` the sidecar as ClipDesk last read or
# wrote it (its path, size, mtime and the SHA-256 of its bytes; NULL hash: read it again), so that
# one another program changed is read again. ``sidecar_conflicts``: a mark changed on both sides
# since that base, to different values, until the user decides (``clipdesk conflicts``).
V14 = """
ALTER TABLE photos ADD COLUMN stars INTEGER NOT NULL DEFAULT 0;
ALTER TABLE photos ADD COLUMN label TEXT;
ALTER TABLE photos ADD COLUMN picked INTEGER NOT NULL DEFAULT 0;
CREATE TABLE mark_log (
    id          INTEGER PRIMARY KEY,
    batch       INTEGER NOT NULL,
    what        TEXT NOT NULL,
    photo_id    INTEGER NOT NULL REFERENCES photos(id) ON DELETE CASCADE,
    stars       INTEGER NOT NULL,
    label       TEXT,
    picked      INTEGER NOT NULL,
    rejected    INTEGER NOT NULL,
    at          REAL NOT NULL
);
CREATE INDEX mark_log_batch ON mark_log(batch);
CREATE TABLE albums (
    id          INTEGER PRIMARY KEY,
    name        TEXT NOT NULL UNIQUE COLLATE NOCASE,
    filter      TEXT NOT NULL,
    created_at  REAL NOT NULL
);
ALTER TABLE sidecar_exports ADD COLUMN marks TEXT;
ALTER TABLE sidecar_exports ADD COLUMN keywords TEXT;
ALTER TABLE sidecar_exports ADD COLUMN seen_path TEXT;
ALTER TABLE sidecar_exports ADD COLUMN seen_size INTEGER;
ALTER TABLE sidecar_exports ADD COLUMN seen_mtime_ns INTEGER;
ALTER TABLE sidecar_exports ADD COLUMN seen_hash TEXT;
CREATE TABLE sidecar_conflicts (
    photo_id    INTEGER NOT NULL REFERENCES photos(id) ON DELETE CASCADE,
    mark        TEXT NOT NULL CHECK (mark IN ('stars', 'label', 'flag')),
    clipdesk    TEXT,
    file        TEXT,
    base        TEXT,
    at          REAL NOT NULL,
    PRIMARY KEY (photo_id, mark)
) WITHOUT ROWID;
"""

# Places and words (issue 30). ``photo_tags.source`` gains 'gps': a place tag
# (``Places|Country|Region|City``) read from the photo's own GPS position, certain rather than
# a model's suggestion (SQLite cannot change a CHECK in place: the table is copied).
# ``photo_places``: the position read (EXIF or sidecar XMP) and the place it resolved to,
# NULL names where none was near enough; ``photos.places_read`` 1 once the photo's position
# was looked for (with or without one). ``photo_text``: the words OCR read in a photo, one
# row per photo read (``text`` '' where it held none); ``photos.text_read``: 0 not yet,
# 1 read, 2 skipped (CLIP did not find it text-like), 3 failed.
V15 = """
CREATE TABLE photo_tags_v15 (
    photo_id    INTEGER NOT NULL REFERENCES photos(id) ON DELETE CASCADE,
    tag_id      INTEGER NOT NULL REFERENCES tags(id) ON DELETE CASCADE,
    state       TEXT NOT NULL CHECK (state IN ('suggested', 'confirmed', 'rejected')),
    source      TEXT NOT NULL CHECK (source IN ('model', 'user', 'imported', 'gps')),
    score       REAL,
    updated_at  REAL NOT NULL,
    PRIMARY KEY (photo_id, tag_id)
) WITHOUT ROWID;
INSERT INTO photo_tags_v15 (photo_id, tag_id, state, source, score, updated_at)
    SELECT photo_id, tag_id, state, source, score, updated_at FROM photo_tags;
DROP TABLE photo_tags;
ALTER TABLE photo_tags_v15 RENAME TO photo_tags;
CREATE INDEX photo_tags_tag ON photo_tags(tag_id, state);
CREATE TABLE photo_places (
    photo_id    INTEGER PRIMARY KEY REFERENCES photos(id) ON DELETE CASCADE,
    lat         REAL NOT NULL,
    lon         REAL NOT NULL,
    origin      TEXT NOT NULL CHECK (origin IN ('exif', 'xmp')),
    country_code TEXT,
    country     TEXT,
    region      TEXT,
    city        TEXT,
    distance_km REAL,
    at          REAL NOT NULL
);
ALTER TABLE photos ADD COLUMN places_read INTEGER NOT NULL DEFAULT 0;
CREATE TABLE photo_text (
    photo_id    INTEGER PRIMARY KEY REFERENCES photos(id) ON DELETE CASCADE,
    text        TEXT NOT NULL,
    likeness    REAL,
    engine      TEXT NOT NULL,
    at          REAL NOT NULL
);
ALTER TABLE photos ADD COLUMN text_read INTEGER NOT NULL DEFAULT 0;
"""

# The location fields export fills from a photo's place (issue 30): ``sidecar_exports.location``
# holds those ClipDesk wrote into the sidecar and that were there after its write (JSON, exiv2
# key -> value), so that when the place goes (the user rejects it, its position changes)
# export removes them, where they still hold what ClipDesk wrote, and no other program's.
V16 = """
ALTER TABLE sidecar_exports ADD COLUMN location TEXT;
"""

MIGRATIONS: list[str] = [
    V1, V2, V3, V4, V5, V6, V7, V8, V9, V10, V11, V12, V13, V14, V15, V16
]  # fmt: skip
SCHEMA_VERSION = len(MIGRATIONS)


class CatalogTooNew(RuntimeError):
    """The catalog was written by a newer ClipDesk; opening it could lose data."""


def migrate(conn: sqlite3.Connection) -> int:
    """Bring the catalog up to ``SCHEMA_VERSION``. ``conn`` must be in autocommit mode."""
    version = conn.execute("PRAGMA user_version").fetchone()[0]
    if version > SCHEMA_VERSION:
        raise CatalogTooNew(
            f"this catalog has schema version {version}, but this ClipDesk knows only "
            f"up to {SCHEMA_VERSION}; update ClipDesk to open it"
        )
    for step in range(version, SCHEMA_VERSION):
        try:
            conn.executescript(
                f"BEGIN IMMEDIATE;\n{MIGRATIONS[step]}\nPRAGMA user_version = {step + 1};\nCOMMIT;"
            )
        except sqlite3.Error:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
    return SCHEMA_VERSION
