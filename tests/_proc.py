"""Running a Python snippet in a fresh process, as the tests that watch what a command
imports (test_lazy_model.py) or refuses to import (test_prebuilt_export.py) do."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

# Snippet lines: `clipdesk ARGS...` as `python -m clipdesk` runs it, its exit status in `rc`
# (needs `import runpy, sys`).
RUN_CLIPDESK = """
sys.argv = ["clipdesk", *sys.argv[1:]]
try:
    runpy.run_module("clipdesk", run_name="__main__")
    rc = 0
except SystemExit as exc:
    rc = exc.code
"""


def run_snippet(code: str, *args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    """``python -c code args...`` from the repository, with ``env``; output captured."""
    return subprocess.run(
        [sys.executable, "-c", code, *args],
        capture_output=True,
        text=True,
        timeout=600,
        env=env,
        cwd=REPO,
    )
