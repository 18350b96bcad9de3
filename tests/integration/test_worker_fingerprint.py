"""The window's worker records each photo's whole content as it decodes it, and reads the
whole content of photos an older release indexed (issue 26, item 3), so that their moves
can be proved. The real test model, real folders, a real catalog."""

from __future__ import annotations

import os
import sqlite3

from tests.support.catalog_reads import count, query
from tests.support.polling import wait_until

UNREAD = "SELECT COUNT(*) FROM photos WHERE full_hash IS NULL"


def test_decoded_photos_get_their_whole_content_hash_and_older_ones_are_read(home, start, shapes):
    w, ev = start(shapes)
    wait_until(lambda: count(home, "SELECT COUNT(*) FROM embeddings") == 36)
    assert w.wait_idle(20)
    assert count(home, UNREAD) == 0  # taken by the decode, no step of its own
    w.stop()

    # As a release before schema version 12 left them: no whole-content hash.
    conn = sqlite3.connect(home / "data" / "catalog.sqlite3")
    with conn:
        conn.execute("UPDATE photos SET full_hash = NULL")
    conn.close()
    w, ev = start(shapes)
    wait_until(lambda: count(home, UNREAD) == 0)
    assert w.wait_idle(20)

    # Now a renamed photo keeps its record.
    name = sorted(os.listdir(shapes))[0]
    before = query(home, "SELECT id FROM photos WHERE path = ?", str(shapes / name))
    os.rename(shapes / name, shapes / "renamed.jpg")
    renamed = str(shapes / "renamed.jpg")
    wait_until(lambda: query(home, "SELECT id FROM photos WHERE path = ?", renamed) == before)
    assert count(home, "SELECT COUNT(*) FROM photos") == 36
