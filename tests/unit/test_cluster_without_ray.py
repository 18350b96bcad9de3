"""Scale-out without the cluster extra: only clipdesk/cluster/ imports Ray, and the catalog
gets the pending-vectors table with its migration. (Ray itself:
tests/integration/test_cluster.py.)"""

from __future__ import annotations

import sqlite3

from tests.support.source_imports import imports_outside


def test_only_the_cluster_package_imports_ray():
    offenders = imports_outside("cluster", ("ray",))
    assert not offenders, offenders


def test_pending_vectors_arrive_with_the_migration(tmp_path):
    from clipdesk.catalog import Catalog
    from clipdesk.catalog.schema import MIGRATIONS, SCHEMA_VERSION

    path = tmp_path / "c.db"
    conn = sqlite3.connect(path, isolation_level=None)
    for step, script in enumerate(MIGRATIONS[:-1]):
        conn.executescript(f"BEGIN;\n{script}\nPRAGMA user_version = {step + 1};\nCOMMIT;")
    conn.close()
    with Catalog(path) as cat:
        assert cat.schema_version() == SCHEMA_VERSION
        assert cat.conn.execute("SELECT COUNT(*) FROM pending_vectors").fetchone() == (0,)
