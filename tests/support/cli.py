"""Running the ``clipdesk`` command as a user runs it: a real process, output captured."""

from __future__ import annotations

import subprocess
import sys

CLI = [sys.executable, "-m", "clipdesk"]


def run(*args, check=True, **kw):
    proc = subprocess.run([*CLI, *args], capture_output=True, text=True, timeout=600, **kw)
    if check and proc.returncode != 0:
        raise AssertionError(f"exit {proc.returncode}\n{proc.stdout}\n{proc.stderr}")
    return proc


def one_line_error(proc, *words) -> None:
    """The command failed (exit 1) in one line on stderr, no traceback, naming ``words``."""
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stderr, proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1, proc.stderr
    for w in words:
        assert w in proc.stderr, proc.stderr
