"""A broken torch on disk, as mismatched wheels leave one: a package folder whose import
raises what torchvision raises when its compiled operators do not fit the torch beside it."""

from __future__ import annotations

import ctypes
import shutil
from pathlib import Path

ERROR = "operator torchvision::nms does not exist"
LAST_LINE = f"RuntimeError: {ERROR}"


def broken_packages(root: Path, *names: str) -> Path:
    """A folder for the front of the import path holding ``names`` (torch, torchvision), each
    raising the RuntimeError on import; the folder."""
    for name in names:
        package = root / name
        package.mkdir(parents=True, exist_ok=True)
        (package / "__init__.py").write_text(f"raise RuntimeError({ERROR!r})\n", encoding="utf-8")
    return root


def gpu_driver_stand_in(folder: Path) -> Path | None:
    """A folder holding a ``libcuda.so.1`` that loads (a copy of zlib), for LD_LIBRARY_PATH:
    to ``cuda_driver_present`` a GPU driver is there, so the backend choice asks torch, as
    on a machine with a GPU. None where zlib is not found (not Linux)."""
    try:
        ctypes.CDLL("libz.so.1")
        maps = Path("/proc/self/maps").read_text()
    except OSError:
        return None
    found = [line.split()[-1] for line in maps.splitlines() if "/libz.so" in line]
    if not found:
        return None
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(found[0], folder / "libcuda.so.1")
    return folder
