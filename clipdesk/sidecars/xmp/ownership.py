"""Who a base-named sidecar (``photo.xmp``) belongs to when several files share the base name.

``photo.jpg`` and ``photo.cr2`` shot as a RAW+JPEG pair, or a Live Photo's ``IMG_1.HEIC`` and
``IMG_1.MOV``, would share ``photo.xmp``. One rule answers whose it is, for export (where a
photo's tags may be written) and for import (whose keywords it holds), so the two never drift:

1. a file alone with its base name (sidecars aside) owns ``photo.xmp``;
2. a ``photo.xmp`` whose ``photoshop:SidecarForExtension`` names the extension of exactly one
   file of the group belongs to that file (Adobe's mark of which file a shared sidecar
   describes; ClipDesk writes it for a pair exported as one photo);
3. otherwise it belongs to the group's only RAW (Lightroom's and Camera Raw's convention: the
   RAW has the sidecar, a JPEG keeps its metadata inside);
4. otherwise (no RAW, or several) it is nobody's.

A file that does not own ``photo.xmp`` has only its full-name sidecar, ``photo.jpg.xmp``.
"""

from __future__ import annotations

import os
import stat

from clipdesk.sidecars.xmp import safexml
from clipdesk.sidecars.xmp.atomic import TEMP_SUFFIX

PHOTOSHOP = "http://ns.adobe.com/photoshop/1.0/"
_MARK = (PHOTOSHOP, "SidecarForExtension")


def stem(name: str) -> str:
    """The base name the files of a group share: ``photo`` for ``photo.jpg``."""
    return os.path.splitext(name)[0]


def is_raw(name: str) -> bool:
    from clipdesk.imaging.decode import RAW_EXTENSIONS  # only when a base name is shared

    return os.path.splitext(name)[1].lower() in RAW_EXTENSIONS


def base_owner(group: list[str], sidecar_for: str | None = None) -> str | None:
    """The name in ``group`` (files sharing a base name) that ``photo.xmp`` belongs to, by the
    rule above; ``sidecar_for`` is the sidecar's ``photoshop:SidecarForExtension``, if any."""
    if len(group) == 1:
        return group[0]
    if sidecar_for:
        mark = sidecar_for.strip().lstrip(".").casefold()
        named = [n for n in group if os.path.splitext(n)[1].lstrip(".").casefold() == mark]
        if len(named) == 1:
            return named[0]
    raws = [n for n in group if is_raw(n)]
    return raws[0] if len(raws) == 1 else None


def sidecar_for(path: str) -> str | None:
    """The ``photoshop:SidecarForExtension`` of the sidecar at ``path`` (as an attribute or an
    element), or None: none, or the file cannot be read under
    :mod:`~clipdesk.sidecars.xmp.safexml`'s
    limits (whoever reads its keywords reports that)."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except OSError:
        return None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode) or st.st_size > safexml.MAX_BYTES:
            return None
        with os.fdopen(os.dup(fd), "rb") as f:
            data = f.read(safexml.MAX_BYTES + 1)
        root = safexml.parse(data)
    except (OSError, safexml.XmlRefused):
        return None
    finally:
        os.close(fd)
    for el in root.iter():
        value = el.attrs.get(_MARK) or (el.text if el.name == _MARK else None)
        if value and value.strip():
            return value.strip()
    return None


class Siblings:
    """Per folder, the files that share a base name (sidecars and temp files left out), and
    who owns each base name's ``photo.xmp``; each folder is listed once, each mark read once."""

    def __init__(self) -> None:
        self._folders: dict[str, dict[str, list[str]]] = {}
        self._owners: dict[tuple[str, str], str | None] = {}

    def of(self, path: str) -> list[str]:
        """The names in ``path``'s folder with its base name, sorted (``[name]`` when alone)."""
        folder, name = os.path.split(os.fspath(path))
        groups = self._folders.get(folder)
        if groups is None:
            groups = {}
            try:
                with os.scandir(folder or ".") as entries:
                    for e in entries:
                        low = e.name.lower()
                        if low.endswith((".xmp", TEMP_SUFFIX)) or not e.is_file():
                            continue
                        groups.setdefault(stem(e.name), []).append(e.name)
            except OSError:
                pass  # reading or writing each photo's sidecar says what is wrong
            self._folders[folder] = groups
        return sorted(groups.get(stem(name), [name]))

    def base_sidecar(self, path: str) -> str | None:
        """The existing ``photo.xmp`` (or ``photo.XMP``) of ``path``'s base name, or None."""
        base = os.path.join(os.path.dirname(os.fspath(path)), stem(os.path.basename(path)))
        for candidate in (base + ".xmp", base + ".XMP"):
            if os.path.lexists(candidate):
                return candidate
        return None

    def owner(self, path: str) -> str | None:
        """The name of the file that ``path``'s ``photo.xmp`` belongs to (see the module
        docstring), None when it is nobody's."""
        group = self.of(path)
        if len(group) == 1:
            return group[0]
        folder = os.path.dirname(os.fspath(path))
        key = (folder, stem(os.path.basename(path)))
        if key not in self._owners:
            sidecar = self.base_sidecar(path)
            mark = sidecar_for(sidecar) if sidecar is not None else None
            self._owners[key] = base_owner(group, mark)
        return self._owners[key]

    def owns_base(self, path: str) -> bool:
        """True when ``photo.xmp`` is ``path``'s own sidecar."""
        return self.owner(path) == os.path.basename(os.fspath(path))
