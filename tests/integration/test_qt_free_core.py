"""The core imports without Qt: a fresh process that imports the CLI and the pipeline has
loaded neither PySide6 nor shiboken6 (DESIGN.md's one hard rule; tests/unit/test_architecture.py
reads the source for it)."""

from __future__ import annotations


def test_core_imports_without_qt_loaded():
    import subprocess
    import sys

    code = (
        "import sys, clipdesk.cli, clipdesk.pipeline.indexer, clipdesk.search.index, "
        "clipdesk.pipeline.library;"
        "assert not any(m.split('.')[0] in ('PySide6', 'shiboken6') for m in sys.modules)"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
