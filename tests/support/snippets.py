"""Running a Python snippet in a fresh process, as the tests that watch what a command
imports (integration/test_lazy_model.py) or refuses to import
(integration/test_prebuilt_export.py) do."""

from __future__ import annotations

import subprocess
import sys

from tests.support.repo import ROOT

# Snippet lines: `clipdesk ARGS...` as `python -m clipdesk` runs it, its exit status in `rc`
# (needs `import sys`): the command's `main`, without `entry`, which ends the process
# at once after a search (so the snippet's own lines after it would never run).
RUN_CLIPDESK = """
sys.argv = ["clipdesk", *sys.argv[1:]]
try:
    from clipdesk.cli import main
    rc = main()
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
        cwd=ROOT,
    )
