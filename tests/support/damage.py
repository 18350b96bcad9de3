"""Damaging a catalog file as a failing disk would: pages of a table overwritten."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path


def damage_embeddings(catalog: Path) -> int:
    """Every other leaf page of the embeddings table overwritten with garbage, and the
    search-ready vector files removed (they would still answer a search); how many leaf
    pages the table had."""
    conn = sqlite3.connect(catalog)
    page = conn.execute("PRAGMA page_size").fetchone()[0]
    leaves = [
        r[0]
        for r in conn.execute(
            "SELECT pageno FROM dbstat WHERE name = 'embeddings' AND pagetype = 'leaf'"
        )
    ]
    conn.close()
    data = bytearray(catalog.read_bytes())
    for p in leaves[::2]:
        data[(p - 1) * page : p * page] = b"\x5a" * page
    catalog.write_bytes(bytes(data))
    shutil.rmtree(catalog.parent / "vectors", ignore_errors=True)
    return len(leaves)
