"""Write the frozen catalogs: one per schema version, vN.sqlite3, in this folder.

Each is built with the migrations up to its version (clipdesk/catalog/schema.py) and a
little real data valid at that version (a folder, two photos, a model and their embeddings;
tags, decisions and export records from version 2; ...: tests/support/frozen_catalogs.py
says what). tests/unit/test_migrations.py opens a copy of each with today's ClipDesk.

The files are committed and never made again: they stand for what users of that release
have on disk. Run this once when a migration is added, from the repository root::

    .venv/bin/python tests/data/catalogs/make_frozen.py          # the versions missing here
    .venv/bin/python tests/data/catalogs/make_frozen.py 12       # just these versions

and commit the new file.
"""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[2]))  # the repository root: `tests` and `clipdesk`

from clipdesk.catalog.schema import SCHEMA_VERSION  # noqa: E402
from tests.support.frozen_catalogs import write_catalog  # noqa: E402


def main(args: list[str]) -> int:
    wanted = [int(a) for a in args] or [
        v for v in range(1, SCHEMA_VERSION + 1) if not (HERE / f"v{v}.sqlite3").exists()
    ]
    for version in wanted:
        if not 1 <= version <= SCHEMA_VERSION:
            print(f"no schema version {version} (1 to {SCHEMA_VERSION})", file=sys.stderr)
            return 2
        path = HERE / f"v{version}.sqlite3"
        if path.exists():
            print(f"{path.name} exists: frozen catalogs are never made again", file=sys.stderr)
            return 1
        write_catalog(path, version)
        print(f"wrote {path.name} ({path.stat().st_size} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
