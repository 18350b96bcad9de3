"""Keywords embedded in the photo itself (XMP and IPTC), and the import of a photo's keywords
(and face regions and marks: the sidecar's and the embedded XMP's).

Read-only: exiv2 opens the photo and no ``modify_*`` call is ever made on it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from clipdesk.sidecars.xmp import _exiv2
from clipdesk.sidecars.xmp.errors import PhotoMetadataError, SidecarError
from clipdesk.sidecars.xmp.fields import Keywords
from clipdesk.sidecars.xmp.marks import Fields, read_fields
from clipdesk.sidecars.xmp.naming import DEFAULT_NAMING, Naming
from clipdesk.sidecars.xmp.ownership import Siblings
from clipdesk.sidecars.xmp.regions import RegionsRead, read_regions
from clipdesk.sidecars.xmp.sidecar_read import SidecarRead, read_photo_sidecar


def read_embedded_keywords(photo: Path) -> Keywords:
    """The keyword fields embedded in ``photo``: XMP ``dc:subject``, ``lr:hierarchicalSubject``,
    ``digiKam:TagsList`` and IPTC ``2:25 Keywords``.

    Raises :class:`PhotoMetadataError` when the photo cannot be read or is not a format exiv2
    knows.
    """
    return read_embedded(photo)[0]


def read_embedded(photo: Path) -> tuple[Keywords, RegionsRead]:
    """:func:`read_embedded_keywords`, and the face regions of the embedded XMP."""
    return _embedded(photo)[:2]


def _embedded(photo: Path) -> tuple[Keywords, RegionsRead, Fields]:
    """:func:`read_embedded`, and the marks fields of the embedded XMP."""
    photo = Path(photo)
    try:
        fields, iptc, packet = _exiv2.read_photo(photo)
    except FileNotFoundError as exc:
        raise PhotoMetadataError(photo, "file not found") from exc
    except OSError as exc:
        raise PhotoMetadataError(photo, f"cannot read it: {exc.strerror or exc}") from exc
    except _exiv2.Exiv2Failure as exc:
        raise PhotoMetadataError(photo, str(exc)) from exc
    keywords = Keywords(
        flat=tuple(fields[_exiv2.DC_SUBJECT]),
        hierarchical=tuple(fields[_exiv2.LR_HIERARCHICAL]),
        digikam=tuple(fields[_exiv2.DIGIKAM_TAGS]),
        iptc=tuple(iptc),
    )
    return keywords, read_regions(packet), read_fields(packet)


@dataclass(frozen=True)
class PhotoKeywords:
    """Everything known about one photo's keywords, for an import.

    ``sidecar`` is None when there is no sidecar (or it failed: see ``errors``); ``embedded``
    is None when the photo's own metadata could not be read. ``errors`` holds one-line reasons.
    ``embedded_regions``: the face regions of the embedded XMP (the sidecar's are its own);
    ``embedded_marks`` its marks fields.
    """

    photo: Path
    sidecar: SidecarRead | None
    embedded: Keywords | None
    errors: tuple[str, ...] = ()
    embedded_regions: RegionsRead = RegionsRead()
    embedded_marks: Fields = field(default_factory=dict)
    sidecar_failed: bool = False  # its sidecar is there but could not be read (see errors)

    @property
    def paths(self) -> frozenset[str]:
        """The tag paths of the sidecar and of the embedded metadata together.

        Precedence (see ``docs/xmp.md``): the keywords are the union of both sources, as
        darktable does on import. They are read as one set of fields, so a keyword both give
        counts once: a flat keyword of one source (IPTC ``Park``) that is a part of the other's
        hierarchy (``Places|Park``) is that hierarchy's leaf, not a top-level tag of its own.
        """
        return self.keywords.paths

    @property
    def keywords(self) -> Keywords:
        """The sidecar's and the embedded fields read as one set (see ``paths``)."""
        return Keywords.joined(self.sidecar and self.sidecar.keywords, self.embedded)


def read_photo_keywords(
    photo: Path,
    *,
    prefer: Naming = DEFAULT_NAMING,
    embedded: bool = True,
    siblings: Siblings | None = None,
) -> PhotoKeywords:
    """Read a photo's keywords from its winning sidecar and (optionally) its embedded metadata.
    ``siblings``: one for a whole run, so that each folder is listed once (see ``find_sidecar``).

    Never raises for a bad file: failures are reported in ``errors`` and the rest is returned.
    """
    photo = Path(photo)
    errors: list[str] = []
    side: SidecarRead | None = None
    emb: Keywords | None = None
    regions = RegionsRead()
    marks: Fields = {}
    failed = False
    try:
        side = read_photo_sidecar(photo, prefer, siblings)
    except SidecarError as exc:
        errors.append(str(exc))
        failed = True
    if embedded:
        try:
            emb, regions, marks = _embedded(photo)
        except PhotoMetadataError as exc:
            errors.append(str(exc))
    return PhotoKeywords(photo, side, emb, tuple(errors), regions, marks, failed)
