"""Read the keyword fields of one photo's XMP sidecar, and fingerprint the bytes they came from.

A sidecar is read only when it is a regular file (a FIFO or a device named like a sidecar is
never opened, and the open cannot block), never beyond
:data:`clipdesk.sidecars.xmp.safexml.MAX_BYTES`,
and parsed first under :mod:`clipdesk.sidecars.xmp.safexml`'s limits (size, depth, no DTD), so a
hostile one costs that photo only. The :class:`Fingerprint` of what was read is what
:mod:`clipdesk.sidecars.xmp.sidecar` compares just before its rename (compare-and-swap).
"""

from __future__ import annotations

import hashlib
import os
import stat
from dataclasses import dataclass, field
from pathlib import Path

from clipdesk.sidecars.xmp import _exiv2, guard, rdfedit, safexml
from clipdesk.sidecars.xmp.errors import SidecarError
from clipdesk.sidecars.xmp.fields import Keywords
from clipdesk.sidecars.xmp.marks import Fields, read_fields
from clipdesk.sidecars.xmp.naming import DEFAULT_NAMING, Naming, find_sidecar
from clipdesk.sidecars.xmp.ownership import Siblings
from clipdesk.sidecars.xmp.regions import RegionsRead, read_regions


@dataclass(frozen=True)
class Fingerprint:
    """What a sidecar looked like when read: ``size == -1`` means it did not exist."""

    mtime_ns: int
    size: int
    sha256: str

    @classmethod
    def of(cls, data: bytes | None, st: os.stat_result | None) -> Fingerprint:
        """The fingerprint of ``data`` read from a file with stat ``st`` (None: no file)."""
        if data is None or st is None:
            return MISSING
        return cls(st.st_mtime_ns, len(data), hashlib.sha256(data).hexdigest())

    def same_content(self, other: Fingerprint) -> bool:
        """True when both describe the same bytes (or both a missing file)."""
        return (self.size, self.sha256) == (other.size, other.sha256)


MISSING = Fingerprint(0, -1, "")


@dataclass(frozen=True)
class SidecarRead:
    """A sidecar's keyword fields and the fingerprint of the bytes they came from, its face
    regions and its marks."""

    path: Path
    keywords: Keywords
    fingerprint: Fingerprint
    regions: RegionsRead = RegionsRead()
    marks: Fields = field(default_factory=dict)  # its marks fields (xmp/marks.py)

    @property
    def exists(self) -> bool:
        """False for a sidecar that is not there yet (empty keywords)."""
        return self.fingerprint.size >= 0


def read_bytes(path: Path) -> tuple[bytes | None, Fingerprint]:
    """The bytes of the sidecar at ``path`` and their fingerprint (``None, MISSING``: no file).

    Raises :class:`SidecarError` for something that is not a regular file, a file over the
    size limit, or one that cannot be read.
    """
    try:
        mode = os.stat(path).st_mode
        if not stat.S_ISREG(mode):  # never open a FIFO or a device
            raise SidecarError(path, guard.not_a_file(mode))
        # O_NONBLOCK: a FIFO swapped in after the check must not block the open
        with os.fdopen(os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0)), "rb") as f:
            st = os.fstat(f.fileno())
            if not stat.S_ISREG(st.st_mode):
                raise SidecarError(path, guard.not_a_file(st.st_mode))
            if st.st_size > safexml.MAX_BYTES:  # never read a huge file into memory
                raise SidecarError(path, safexml.too_big())
            data = f.read(safexml.MAX_BYTES + 1)
    except FileNotFoundError:
        return None, MISSING
    except PermissionError as exc:
        raise SidecarError(path, "cannot read it: permission denied") from exc
    except OSError as exc:
        raise SidecarError(path, f"cannot read it: {exc.strerror or exc}") from exc
    return data, Fingerprint.of(data, st)


def _read_fields(path: Path, data: bytes) -> dict[str, list[str]]:
    """The keyword fields, read under the limits of :mod:`clipdesk.sidecars.xmp.safexml`.

    The hardened reader comes first: exiv2 can misread RDF it does not expect (a nonstandard
    ``rdf:`` prefix reads as an empty document), and the keyword editor writes what it reads.
    exiv2 reads what the hardened reader refuses to interpret (e.g. qualified array items).
    """
    try:
        return rdfedit.read_fields(data)
    except safexml.XmlLimit as exc:
        raise SidecarError(path, str(exc)) from exc
    except safexml.XmlRefused as exc:
        refused = exc
    try:
        return _exiv2.read_sidecar_bytes(data)
    except _exiv2.Exiv2Failure as exc:
        if isinstance(refused, safexml.XmlMalformed):
            raise SidecarError(path, str(exc)) from exc  # exiv2's words for a broken file
        raise SidecarError(path, neither_takes(str(exc), refused)) from exc


def neither_takes(exiv2_reason: str, editor: safexml.XmlRefused) -> str:
    """One line for a sidecar neither exiv2 nor the keyword editor takes.

    exiv2's "not valid XMP" is its word for any RDF its toolkit does not take (a top-level
    typed node, a list shared by ``rdf:nodeID``), which exiftool may read fine: for XML the
    keyword editor has parsed, its own reason (in plain words) is the one that says why."""
    if exiv2_reason.startswith(_exiv2.INVALID) and not isinstance(editor, safexml.XmlMalformed):
        return str(editor)
    return f"{exiv2_reason}; the keyword editor: {editor}"


def read_keywords(path: Path, data: bytes | None) -> Keywords:
    """The keyword fields in ``data``, the bytes of the sidecar at ``path`` (None: empty).

    Raises :class:`SidecarError` when they cannot be parsed.
    """
    if data is None:
        return Keywords()
    f = _read_fields(path, data)
    return Keywords(
        flat=tuple(f[_exiv2.DC_SUBJECT]),
        hierarchical=tuple(f[_exiv2.LR_HIERARCHICAL]),
        digikam=tuple(f[_exiv2.DIGIKAM_TAGS]),
    )


def read_sidecar(path: Path) -> SidecarRead:
    """Read the keyword fields of the sidecar at ``path`` (missing: empty, ``exists`` False).

    Raises :class:`SidecarError` when it cannot be read or parsed.
    """
    path = Path(path)
    data, fp = read_bytes(path)
    return SidecarRead(path, read_keywords(path, data), fp, read_regions(data), read_fields(data))


def read_photo_sidecar(
    photo: Path, prefer: Naming = DEFAULT_NAMING, siblings: Siblings | None = None
) -> SidecarRead | None:
    """Read the sidecar of ``photo`` that wins (see :mod:`clipdesk.sidecars.xmp.naming`), or
    None."""
    try:
        path = find_sidecar(Path(photo), prefer, siblings)
    except OSError as exc:  # e.g. the folder is not readable
        reason = f"cannot look for its sidecar: {exc.strerror or exc}"
        raise SidecarError(Path(photo), reason) from exc
    return read_sidecar(path) if path is not None else None
