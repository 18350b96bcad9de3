"""A catalog of version 9 keeps its export records, without a rating, when it migrates (the
reject rating: tests/integration/test_reject_rating.py)."""

from __future__ import annotations

import sqlite3


def test_a_version_9_catalog_keeps_its_export_records_without_a_rating(tmp_path):
    from clipdesk.catalog import Catalog
    from clipdesk.catalog.schema import MIGRATIONS

    path = tmp_path / "v9.sqlite3"
    conn = sqlite3.connect(path)
    conn.executescript("".join(MIGRATIONS[:9]))
    conn.execute("INSERT INTO folders(id, path, added_at) VALUES (1, '/p', 0)")
    conn.execute(
        "INSERT INTO photos(id, folder_id, path, size, mtime_ns, hash, updated_at) "
        "VALUES (1, 1, '/p/1.jpg', 10, 5, 'h', 0)"
    )
    conn.execute("INSERT INTO sidecar_exports(photo_id, tags, at, created) VALUES (1, '[]', 0, 1)")
    conn.execute("PRAGMA user_version = 9")
    conn.commit()
    conn.close()
    with Catalog(path) as cat:
        assert cat.export_state(1) == (set(), True, None)  # no rating was ClipDesk's before
        cat.record_export(1, {"A"}, True, "-1")
        assert cat.export_state(1) == ({"A"}, True, "-1")
