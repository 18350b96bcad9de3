"""Window preferences (thumbnail size, geometry, last page): a small JSON file beside settings.

Model, backend and sidecar naming live in :class:`clipdesk.settings.Settings`, shared with
the command line; these only concern the window.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, fields
from pathlib import Path


@dataclass
class Prefs:
    thumbnail_size: int = 160
    geometry: str = ""  # QMainWindow.saveGeometry(), hex
    state: str = ""  # QMainWindow.saveState(), hex
    splitter: str = ""  # the library page's splitter, hex
    page: str = "library"

    @classmethod
    def load(cls, path: Path) -> Prefs:
        try:
            raw = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return cls()
        known = {f.name for f in fields(cls)}
        try:
            return cls(**{k: v for k, v in raw.items() if k in known})
        except TypeError:
            return cls()

    def save(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(asdict(self), indent=2), encoding="utf-8")
        os.replace(tmp, path)
