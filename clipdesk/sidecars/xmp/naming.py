"""Sidecar file names: ``photo.jpg.xmp`` ("ext") and ``photo.xmp`` ("base").

- ``ext``: darktable, digiKam (and exiftool's ``%f.%e.xmp``). One sidecar per file, so it is
  unambiguous.
- ``base``: Lightroom / Camera Raw (for RAW files). ``photo.nef`` and ``photo.jpg`` shot as a
  RAW+JPEG pair would share ``photo.xmp``: it belongs to one of them (the RAW, unless it says
  otherwise), by the rule in :mod:`clipdesk.sidecars.xmp.ownership` that export and import both
  follow;
  the other file's sidecar is only ``photo.jpg.xmp``.

Which one is read when both exist: the user's chosen convention (``prefer``), and by default
``ext``, because ``photo.jpg.xmp`` belongs to exactly this photo. ``photo.xmp`` is read only by
the file that owns it (:mod:`clipdesk.sidecars.xmp.ownership`), whatever the preference.
Modification
times are not used: copying or syncing a folder changes them, which would make the choice flip
for no reason the user can see. Reading the chosen convention
first also means a read after a write sees what was written.
"""

from __future__ import annotations

import errno
import os
from pathlib import Path
from typing import Literal, cast

from clipdesk.sidecars.xmp.ownership import Siblings

Naming = Literal["ext", "base"]
NAMINGS: tuple[Naming, ...] = ("ext", "base")
DEFAULT_NAMING: Naming = "ext"


def check_naming(naming: str) -> Naming:
    """Return ``naming`` if it is ``"ext"`` or ``"base"``, else raise ``ValueError``."""
    if naming not in NAMINGS:
        raise ValueError(f"naming must be 'ext' or 'base', not {naming!r}")
    return cast(Naming, naming)


def sidecar_path(photo: Path, naming: Naming = DEFAULT_NAMING) -> Path:
    """The sidecar ClipDesk writes for ``photo`` under ``naming``."""
    photo = Path(photo)
    if check_naming(naming) == "ext":
        return photo.with_name(photo.name + ".xmp")
    return photo.with_suffix(".xmp")


def candidates(photo: Path, prefer: Naming = DEFAULT_NAMING) -> list[Path]:
    """Possible sidecars of ``photo`` in precedence order (``.XMP`` spellings included)."""
    other: Naming = "base" if check_naming(prefer) == "ext" else "ext"
    out: list[Path] = []
    for naming in (prefer, other):
        path = sidecar_path(photo, naming)
        for p in (path, path.with_suffix(".XMP")):
            if p not in out and p != Path(photo):
                out.append(p)
    return out


def find_sidecar(
    photo: Path, prefer: Naming = DEFAULT_NAMING, siblings: Siblings | None = None
) -> Path | None:
    """The existing sidecar of ``photo`` that wins (see the module docstring), or None.

    ``photo.xmp`` counts only when it is this photo's (not its RAW sibling's, say); pass one
    ``siblings`` for a whole run so that each folder is listed once.

    Anything of that name counts, not only a regular file: a folder, a FIFO or a link named
    like the sidecar is returned so that reading it reports the problem (reading checks the
    type without opening, so a FIFO never blocks) instead of silently passing it by.
    """
    photo = Path(photo)
    base = sidecar_path(photo, "base")
    for path in candidates(photo, prefer):
        try:
            os.lstat(path)
        except FileNotFoundError:
            continue
        except OSError as exc:
            # A 255-byte photo name leaves no room for ".xmp": no such sidecar can exist.
            if exc.errno != errno.ENAMETOOLONG:
                raise
            continue
        if path.with_suffix(".xmp") == base and base != sidecar_path(photo, "ext"):
            siblings = siblings if siblings is not None else Siblings()
            if not siblings.owns_base(os.fspath(photo)):
                continue  # another file's (the pair's RAW's): never this photo's keywords
        return path
    return None
