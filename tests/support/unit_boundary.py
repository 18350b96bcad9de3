"""What a unit test may not do (start a process, load a model, import Qt), refused while it
runs: tests/unit/conftest.py installs a Boundary around each unit test and module import."""

from __future__ import annotations

import builtins
import os
import subprocess
import sys

import pytest

QT = ("PySide6", "shiboken6", "pytestqt")
ELSEWHERE = "a unit test {}: it belongs in tests/integration/ (or tests/gui/ for a window)"


# Standard-library probes that ask a system tool on import of some libraries (torch asks
# ldconfig where libdl is; pyexiv2 asks `file` whether Python is 64-bit): not the test's doing.
SYSTEM_PROBES = ("ctypes.util", "platform")


def _probing_the_system() -> bool:
    """Whether the process is started by one of SYSTEM_PROBES."""
    frame = sys._getframe(2)
    while frame is not None:
        if frame.f_globals.get("__name__") in SYSTEM_PROBES:
            return True
        frame = frame.f_back
    return False


class UnitTestBoundary(RuntimeError):
    """A unit test did what only an integration or GUI test may."""


class Boundary:
    """Refuses, while installed, what a unit test may not do, and remembers each refusal
    (code under test may catch the error; the test fails all the same)."""

    def __init__(self) -> None:
        self.breaches: list[str] = []

    def refuse(self, what: str, real=None):
        """A stand-in that refuses; with ``real``, one that lets SYSTEM_PROBES through."""

        def refused(*args, **kwargs):
            if real is not None and _probing_the_system():
                return real(*args, **kwargs)
            self.breaches.append(what)
            raise UnitTestBoundary(ELSEWHERE.format(what))

        return refused

    def install(self, mp: pytest.MonkeyPatch) -> None:
        popen = self.refuse("started a process", subprocess.Popen.__init__)
        mp.setattr(subprocess.Popen, "__init__", popen)
        for name in ("fork", "forkpty", "system", "posix_spawn", "posix_spawnp"):
            if hasattr(os, name):
                mp.setattr(os, name, self.refuse(f"called os.{name}"))
        try:
            import _posixsubprocess  # what subprocess and multiprocessing use to spawn
        except ImportError:  # pragma: no cover - not POSIX
            pass
        else:
            spawn = self.refuse("started a process", _posixsubprocess.fork_exec)
            mp.setattr(_posixsubprocess, "fork_exec", spawn)
        real_import = builtins.__import__

        def guarded_import(name, globals=None, locals=None, fromlist=(), level=0):
            if level == 0 and name.split(".")[0] in QT:
                self.breaches.append(f"imported {name}")
                raise UnitTestBoundary(ELSEWHERE.format(f"imported {name}"))
            return real_import(name, globals, locals, fromlist, level)

        mp.setattr(builtins, "__import__", guarded_import)

    def check(self) -> None:
        if self.breaches:
            pytest.fail(ELSEWHERE.format(", ".join(dict.fromkeys(self.breaches))), False)
