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
