"""Waiting for something another thread or process does, with a deadline."""

from __future__ import annotations

import sqlite3
import time


def wait_until(cond, timeout: float = 20.0, interval: float = 0.05):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            value = cond()
        except sqlite3.OperationalError:  # the catalog is still being created
            value = None
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {cond.__name__}")
