"""Where a photo was taken, in XMP: the GPS position other programs write (``exif:GPSLatitude``,
``exif:GPSLongitude``: Lightroom's map, darktable's geotagging, exiftool) and the location
fields Lightroom shows and export fills (``photoshop:City``, ``photoshop:State``,
``photoshop:Country``).

Read like the marks (:mod:`clipdesk.sidecars.xmp.marks`): the hardened parser first, exiv2 for
what it refuses. Export fills a location field only where it is empty, and only when the
fields another program set agree with the place (:func:`plan`): a City another program
wrote stays, and a place of ours is never mixed with another program's. The catalog records
the fields ClipDesk wrote (``sidecar_exports.location``), so that when the place goes (the
user rejects it, or the position changes) export removes those, where they still hold what
ClipDesk wrote, and no other.
"""

from __future__ import annotations

from collections.abc import Mapping

from clipdesk.sidecars.xmp import _exiv2, safexml
from clipdesk.sidecars.xmp.safexml import RDF

GPS_LATITUDE = "Xmp.exif.GPSLatitude"
GPS_LONGITUDE = "Xmp.exif.GPSLongitude"
CITY = "Xmp.photoshop.City"
STATE = "Xmp.photoshop.State"
COUNTRY = "Xmp.photoshop.Country"
LOCATION = (CITY, STATE, COUNTRY)

_EXIF = "http://ns.adobe.com/exif/1.0/"
_PHOTOSHOP = "http://ns.adobe.com/photoshop/1.0/"
#: exiv2 key -> (namespace URI, local name) of every field read
PROPERTIES: dict[str, tuple[str, str]] = {
    GPS_LATITUDE: (_EXIF, "GPSLatitude"),
    GPS_LONGITUDE: (_EXIF, "GPSLongitude"),
    CITY: (_PHOTOSHOP, "City"),
    STATE: (_PHOTOSHOP, "State"),
    COUNTRY: (_PHOTOSHOP, "Country"),
}


def read_location(data: bytes | None) -> dict[str, str]:
    """The GPS and location fields of an XMP document (a sidecar or a photo's embedded
    packet) that hold text; {} for None or a document neither reader takes."""
    return _exiv2.read_fields(data, _read_xml, list(PROPERTIES), _texts)


def _texts(values: dict) -> dict[str, str]:
    return {k: v.strip() for k, v in values.items() if isinstance(v, str) and v.strip()}


def _read_xml(data: bytes) -> dict[str, str]:
    root = safexml.parse(data)
    rdf = next((e for e in root.iter() if e.name == (RDF, "RDF")), None)
    if rdf is None:
        raise safexml.XmlRefused("no rdf:RDF in it (not XMP)")
    out: dict[str, str] = {}
    for node in rdf.children:
        for key, name in PROPERTIES.items():
            if key in out:
                continue  # the first block that has it
            if name in node.attrs:
                value = node.attrs[name].strip()
            else:
                el = next((c for c in node.children if c.name == name), None)
                value = el.text.strip() if el is not None and not el.children else ""
            if value:
                out[key] = value
    return out


def read_gps(data: bytes | None) -> tuple[str | None, str | None]:
    """The document's ``exif:GPSLatitude`` and ``exif:GPSLongitude`` as written (None:
    absent); :func:`clipdesk.places.position.from_xmp` reads them as a position."""
    fields = read_location(data)
    return fields.get(GPS_LATITUDE), fields.get(GPS_LONGITUDE)


def plan(
    data: bytes | None, place: Mapping[str, str], ours: Mapping[str, str]
) -> tuple[dict[str, str | list], dict[str, str]]:
    """What export changes in the sidecar ``data``'s location fields, and which of them are
    ClipDesk's afterwards. ``place``: the photo's place now (location keys -> names; empty: it
    has none); ``ours``: the fields ClipDesk wrote there before, as recorded.

    A field of ours is one that still holds what ClipDesk wrote (another program that changed
    it made it its own). Those the place no longer names are removed (an empty list); the
    place's fields are written where the sidecar has them empty or ours, and none at all when
    a field another program set disagrees with the place (its location, kept whole)."""
    have = read_location(data)
    mine = {
        k: v
        for k, v in ours.items()
        if k in LOCATION and have.get(k, "").casefold() == v.casefold() and v
    }
    wanted = {k: v for k, v in place.items() if k in LOCATION and v}
    kept = {k: v for k, v in mine.items() if wanted.get(k, "").casefold() == v.casefold()}
    others = {k: v for k, v in have.items() if k in LOCATION and k not in mine}
    conflict = any(k in others and others[k].casefold() != v.casefold() for k, v in wanted.items())
    fill = (
        {} if conflict else {k: v for k, v in wanted.items() if k not in others and k not in kept}
    )
    changes: dict[str, str | list] = {k: [] for k in mine if k not in kept and k not in fill}
    changes.update(fill)
    return changes, {**kept, **fill}
