"""Where things are in the repository, for tests that read its files or run from its root."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "tests" / "data"
SHAPES_VOCAB = DATA / "shapes_vocabulary.yaml"
APP_ID = "io.github.clipdesk.ClipDesk"
