"""A photo's GPS position, as cameras and phones write it (EXIF's GPS IFD) and as photo
programs write it (XMP ``exif:GPSLatitude``, ``exif:GPSLongitude``: ``48,51.3N``).

Read-only, and only the metadata: Pillow opens the file lazily and parses its EXIF block
without decoding a pixel. A position of exactly 0, 0 is no position: devices without a fix
write zeros ("Null Island"), and so does a void fix (EXIF ``GPSStatus`` V).
"""

from __future__ import annotations

import re
import struct
from dataclasses import dataclass
from fractions import Fraction

from PIL import Image

from clipdesk.imaging.metadata import read_exif

GPS_IFD = 0x8825
GPS_LATITUDE_REF, GPS_LATITUDE = 1, 2
GPS_LONGITUDE_REF, GPS_LONGITUDE = 3, 4
GPS_STATUS = 9

# XMP's GPSCoordinate: "DDD,MM,SSk" or "DDD,MM.mmk", k one of N S E W (XMP Part 2, EXIF
# schema); a plain signed decimal is taken too (some tools write one).
_XMP_COORD = re.compile(
    r"^\s*(\d{1,3})(?:,(\d{1,2}(?:\.\d+)?))?(?:,(\d{1,2}(?:\.\d+)?))?\s*([NSEWnsew])\s*$"
)
_DECIMAL = re.compile(r"^\s*[-+]?\d{1,3}(?:\.\d+)?\s*$")


@dataclass(frozen=True)
class Position:
    lat: float
    lon: float
    origin: str  # 'exif' or 'xmp' (the catalog's photo_places.origin)


def checked(lat: float, lon: float, origin: str) -> Position | None:
    """A position when these numbers are one (on the globe, not 0, 0), else None."""
    if not (-90.0 <= lat <= 90.0 and -180.0 <= lon <= 180.0):
        return None
    if lat == 0.0 and lon == 0.0:
        return None
    return Position(round(lat, 7), round(lon, 7), origin)


def _rational(value) -> float:
    if isinstance(value, tuple) and len(value) == 2:  # (numerator, denominator)
        return float(Fraction(int(value[0]), int(value[1])))
    return float(value)


def _dms(value, ref) -> float | None:
    """EXIF's (degrees, minutes, seconds) and its N/S/E/W reference as signed degrees."""
    try:
        parts = [_rational(v) for v in value]
        if not parts or len(parts) > 3 or any(p != p or p < 0 for p in parts):
            return None
        degrees = sum(p / 60**i for i, p in enumerate(parts))
    except (TypeError, ValueError, ZeroDivisionError, OverflowError):
        return None
    if isinstance(ref, bytes):
        ref = ref.decode("ascii", "ignore")
    ref = str(ref or "").strip(" \0").upper()
    return -degrees if ref in ("S", "W") else degrees


def from_exif(exif: Image.Exif) -> Position | None:
    """The position in EXIF's GPS IFD, or None (absent, void, broken)."""
    try:
        gps = exif.get_ifd(GPS_IFD)
    except Exception:  # a broken GPS IFD pointer: no position, the photo is fine
        return None
    if not gps or GPS_LATITUDE not in gps or GPS_LONGITUDE not in gps:
        return None
    status = gps.get(GPS_STATUS)
    if isinstance(status, bytes):
        status = status.decode("ascii", "ignore")
    if str(status or "").strip(" \0").upper() == "V":
        return None
    lat = _dms(gps[GPS_LATITUDE], gps.get(GPS_LATITUDE_REF))
    lon = _dms(gps[GPS_LONGITUDE], gps.get(GPS_LONGITUDE_REF))
    if lat is None or lon is None:
        return None
    return checked(lat, lon, "exif")


def xmp_coordinate(text: str | None, axis: str) -> float | None:
    """An XMP GPSCoordinate (``48,51.3N``) as signed degrees; ``axis`` 'lat' or 'lon' (a
    latitude must say N or S, a longitude E or W). None for anything else."""
    if not text:
        return None
    if _DECIMAL.match(text):
        return float(text)
    m = _XMP_COORD.match(text)
    if m is None:
        return None
    deg, minutes, seconds, ref = m.groups()
    ref = ref.upper()
    if ref not in (("N", "S") if axis == "lat" else ("E", "W")):
        return None
    value = int(deg) + float(minutes or 0) / 60 + float(seconds or 0) / 3600
    return -value if ref in ("S", "W") else value


def from_xmp(lat_text: str | None, lon_text: str | None) -> Position | None:
    """The position of XMP's ``exif:GPSLatitude`` and ``exif:GPSLongitude`` values."""
    lat, lon = xmp_coordinate(lat_text, "lat"), xmp_coordinate(lon_text, "lon")
    if lat is None or lon is None:
        return None
    return checked(lat, lon, "xmp")


def read_photo(path: str) -> tuple[Position | None, bytes | None]:
    """The photo's EXIF position, and its embedded XMP packet (for a position there when
    EXIF has none). Raises OSError when the file cannot be opened now (gone, no permission):
    a format Pillow does not read (most RAW files) or a broken header has neither."""
    with open(path, "rb") as f:
        try:
            with Image.open(f) as img:
                position = from_exif(read_exif(img))
                xmp = img.info.get("xmp") if position is None else None
        except (OSError, SyntaxError, ValueError, struct.error, Image.DecompressionBombError):
            return None, None
    if isinstance(xmp, str):
        xmp = xmp.encode("utf-8")
    return position, xmp if isinstance(xmp, bytes) else None
