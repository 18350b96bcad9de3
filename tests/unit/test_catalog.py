"""The SQLite catalog: schema versions, WAL, folders."""

from __future__ import annotations

import sqlite3

import numpy as np
import pytest

from clipdesk.catalog import SCHEMA_VERSION, Catalog
from clipdesk.catalog.schema import CatalogTooNew


def test_new_catalog_is_at_current_version_in_wal_mode(tmp_path):
    path = tmp_path / "c.sqlite3"
    Catalog(path).close()
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def test_reopening_keeps_data(tmp_path):
    path = tmp_path / "c.sqlite3"
    with Catalog(path) as cat:
        folder = cat.add_folder(tmp_path)
        pid = cat.insert_photo(folder, str(tmp_path / "a.jpg"), 10, 5, "h")
        mid = cat.model_id("m", 3)
        cat.put_embedding(pid, mid, np.array([1, 0, 0], np.float32))
    with Catalog(path) as cat:
        assert cat.photo(pid).path == str(tmp_path / "a.jpg")
        assert cat.embedding(pid, cat.model_id("m", 3)).tolist() == [1.0, 0.0, 0.0]


def test_catalog_from_a_newer_clipdesk_is_refused_untouched(tmp_path):
    path = tmp_path / "c.sqlite3"
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    conn.close()
    with pytest.raises(CatalogTooNew, match="update ClipDesk"):
        Catalog(path)
    assert sqlite3.connect(path).execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION + 1


def test_a_reader_sees_committed_data_while_the_writer_works(tmp_path):
    path = tmp_path / "c.sqlite3"
    writer = Catalog(path)
    folder = writer.add_folder(tmp_path)
    reader = Catalog(path, readonly=True)
    with writer.transaction():
        writer.insert_photo(folder, "/x/a.jpg", 1, 1, "h")
        assert reader.status_counts()["new"] == 0  # not committed yet, and no lock wait
    assert reader.status_counts()["new"] == 1


def test_nested_folders_are_one_tree(tmp_path):
    (tmp_path / "a" / "b").mkdir(parents=True)
    with Catalog(tmp_path / "c.sqlite3") as cat:
        inner = cat.add_folder(tmp_path / "a" / "b")
        cat.insert_photo(inner, str(tmp_path / "a" / "b" / "p.jpg"), 1, 1, "h")
        outer = cat.add_folder(tmp_path / "a")
        assert cat.add_folder(tmp_path / "a" / "b") == outer
        assert [p for _, p in cat.folders()] == [str(tmp_path / "a")]
        assert cat.photo_by_path(tmp_path / "a" / "b" / "p.jpg").folder_id == outer


def test_model_dimension_mismatch_is_refused(tmp_path):
    with Catalog(tmp_path / "c.sqlite3") as cat:
        cat.model_id("m", 512)
        with pytest.raises(ValueError, match="dimension"):
            cat.model_id("m", 768)


def test_version_1_catalog_migrates_keeping_photos_and_embeddings(tmp_path):
    """A catalog written by the first release (schema 1) opens with its data intact."""
    from clipdesk.catalog.schema import V1

    path = tmp_path / "old.sqlite3"
    conn = sqlite3.connect(path)
    conn.executescript(V1)
    conn.execute("INSERT INTO folders(id, path, added_at) VALUES (1, '/p', 0)")
    conn.execute(
        "INSERT INTO photos(id, folder_id, path, size, mtime_ns, hash, width, height, status, "
        "updated_at) VALUES (7, 1, '/p/a.jpg', 10, 5, 'h', 640, 480, 'indexed', 0)"
    )
    conn.execute("INSERT INTO models(id, name, dim) VALUES (1, 'm', 2)")
    conn.execute(
        "INSERT INTO embeddings VALUES (7, 1, ?)", (np.array([0.6, 0.8], np.float32).tobytes(),)
    )
    conn.execute("PRAGMA user_version = 1")
    conn.commit()
    conn.close()
    with Catalog(path) as cat:
        assert cat.conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        assert cat.photo(7).width == 640
        np.testing.assert_allclose(cat.embedding(7, 1), [0.6, 0.8])
        cat.conn.execute("INSERT INTO tags(name, updated_at) VALUES ('Dog', 0)")  # new tables


def test_failed_migration_leaves_the_catalog_as_it_was(tmp_path, monkeypatch):
    from clipdesk.catalog import schema

    path = tmp_path / "c.sqlite3"
    conn = sqlite3.connect(path)
    conn.executescript(schema.V1)
    conn.execute("PRAGMA user_version = 1")
    conn.commit()
    conn.close()
    monkeypatch.setattr(schema, "MIGRATIONS", [schema.V1, "CREATE TABLE tags(x); SELECT nonsense("])
    with pytest.raises(sqlite3.Error):
        Catalog(path)
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == 1
    assert not conn.execute("SELECT name FROM sqlite_master WHERE name = 'tags'").fetchone()


def test_version_2_catalog_migrates_to_the_pipeline_flags_and_export_records(tmp_path):
    """v3: what an older release indexed and tagged counts as done (nothing is read or
    scored again); v6: sidecars recorded before are not taken as ClipDesk's own."""
    from clipdesk.catalog.schema import V1, V2

    path = tmp_path / "v2.sqlite3"
    conn = sqlite3.connect(path)
    conn.executescript(V1 + V2)
    conn.execute("INSERT INTO folders(id, path, added_at) VALUES (1, '/p', 0)")
    for i, status in ((1, "indexed"), (2, "new")):
        conn.execute(
            "INSERT INTO photos(id, folder_id, path, size, mtime_ns, hash, status, updated_at) "
            "VALUES (?, 1, ?, 10, 5, 'h', ?, 0)",
            (i, f"/p/{i}.jpg", status),
        )
    conn.execute("INSERT INTO models(id, name, dim) VALUES (1, 'm', 2)")
    conn.execute("INSERT INTO embeddings VALUES (1, 1, ?)", (np.zeros(2, np.float32).tobytes(),))
    conn.execute("INSERT INTO meta VALUES ('vocabulary_seeded', '1')")
    conn.execute("INSERT INTO sidecar_exports VALUES (1, '[\"Trips|Rome\"]', 0)")
    conn.execute("PRAGMA user_version = 2")
    conn.commit()
    conn.close()
    with Catalog(path) as cat:
        assert cat.schema_version() == SCHEMA_VERSION
        assert cat.keywords_unread() == [(2, "/p/2.jpg")]  # the indexed one was read then
        # It was tagged then (v3), and is scored once more for the calibration (v11).
        assert cat.has_unscored()
        assert cat.export_record(1) == ({"Trips|Rome"}, False)


def test_version_10_catalog_scores_every_photo_again_for_the_calibration(tmp_path):
    """v11: suggestions an older release made of tags the model cannot see are removed by
    scoring every embedding once more; the user's decisions stay as they are."""
    from clipdesk.catalog import schema

    path = tmp_path / "v10.sqlite3"
    conn = sqlite3.connect(path)
    conn.executescript("".join(schema.MIGRATIONS[:10]))
    conn.execute("INSERT INTO folders(id, path, added_at) VALUES (1, '/p', 0)")
    conn.execute(
        "INSERT INTO photos(id, folder_id, path, size, mtime_ns, hash, status, updated_at) "
        "VALUES (1, 1, '/p/1.jpg', 10, 5, 'h', 'indexed', 0)"
    )
    conn.execute("INSERT INTO models(id, name, dim) VALUES (1, 'm', 2)")
    conn.execute(
        "INSERT INTO embeddings(photo_id, model_id, vector, scored) VALUES (1, 1, ?, 1)",
        (np.zeros(2, np.float32).tobytes(),),
    )
    conn.execute("PRAGMA user_version = 10")
    conn.commit()
    conn.close()
    with Catalog(path) as cat:
        assert cat.schema_version() == SCHEMA_VERSION
        assert cat.has_unscored()
