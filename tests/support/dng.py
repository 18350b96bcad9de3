"""Write a minimal but valid DNG by hand, for RAW tests (rawpy cannot write RAW files).

The file is a little-endian TIFF: IFD0 holds a JPEG preview (NewSubfileType=1) and the DNG
tags, a SubIFD holds a tiny uncompressed 16-bit Bayer image, and an Exif IFD holds
DateTimeOriginal. LibRaw opens it as a DNG and ``extract_thumb()`` returns the preview JPEG.
"""

from __future__ import annotations

import io
import os
import struct
from dataclasses import dataclass

from PIL import Image

# TIFF field types: (type code, struct format of one value)
BYTE, ASCII, SHORT, LONG, RATIONAL, SRATIONAL = 1, 2, 3, 4, 5, 10
_FMT = {BYTE: "B", ASCII: "B", SHORT: "H", LONG: "I", RATIONAL: "II", SRATIONAL: "ii"}


@dataclass
class _Entry:
    tag: int
    type: int
    values: list  # for RATIONAL types: a list of (num, den) pairs

    def payload(self) -> bytes:
        fmt = _FMT[self.type]
        flat = [v for pair in self.values for v in pair] if len(fmt) == 2 else self.values
        return struct.pack("<" + fmt * len(self.values), *flat)


_COLOR_MATRIX = (3240, -1537, -499, -969, 1876, 42, 56, -204, 1057)


def _ascii(tag: int, text: str) -> _Entry:
    return _Entry(tag, ASCII, list(text.encode("ascii") + b"\0"))


def _ifd_size(entries: list[_Entry]) -> int:
    """Bytes taken by an IFD plus its out-of-line values (each padded to an even offset)."""
    extra = 0
    for e in entries:
        n = len(e.payload())
        if n > 4:
            extra += n + (n & 1)
    return 2 + 12 * len(entries) + 4 + extra


def _ifd_bytes(entries: list[_Entry], offset: int) -> bytes:
    """Serialise an IFD that will sit at ``offset`` in the file (no next IFD)."""
    entries = sorted(entries, key=lambda e: e.tag)
    head = struct.pack("<H", len(entries))
    data_at = offset + 2 + 12 * len(entries) + 4
    data = b""
    for e in entries:
        payload = e.payload()
        count = len(e.values)
        if len(payload) <= 4:
            head += struct.pack("<HHI", e.tag, e.type, count) + payload.ljust(4, b"\0")
        else:
            head += struct.pack("<HHII", e.tag, e.type, count, data_at + len(data))
            data += payload + (b"\0" if len(payload) & 1 else b"")
    return head + struct.pack("<I", 0) + data


def write_dng(
    path: str | os.PathLike[str],
    preview: Image.Image | None,
    raw_size: tuple[int, int] = (64, 48),
    orientation: int = 1,
    taken_at: str | None = "2021:07:14 09:30:05",
    preview_jpeg: bool = True,
) -> None:
    """Write a DNG whose embedded preview is ``preview``, saved as a baseline JPEG or, with
    ``preview_jpeg=False``, as uncompressed 8-bit RGB (LibRaw then returns a bitmap).

    With ``preview=None`` the raw image itself is IFD0 and the file has no preview at all.
    """
    jpeg = b""  # the preview's bytes, whichever the encoding
    if preview is not None:
        buf = io.BytesIO()
        if preview_jpeg:
            preview.convert("RGB").save(buf, "JPEG", quality=95)
        else:
            buf.write(preview.convert("RGB").tobytes())
        jpeg = buf.getvalue()
    rw, rh = raw_size
    # A flat mid-grey Bayer mosaic: content does not matter, we never demosaic it.
    raw = struct.pack("<H", 0x4000) * (rw * rh)

    camera = [
        _ascii(271, "ClipDesk"),
        _ascii(272, "Test Camera"),
        _Entry(274, SHORT, [orientation]),
        _Entry(50706, BYTE, [1, 4, 0, 0]),  # DNGVersion
        _Entry(50707, BYTE, [1, 1, 0, 0]),  # DNGBackwardVersion
        _ascii(50708, "ClipDesk Test Camera"),  # UniqueCameraModel
        # Roughly XYZ->sRGB, a plausible ColorMatrix1 so LibRaw has colour data.
        _Entry(50721, SRATIONAL, [(v, 1000) for v in _COLOR_MATRIX]),
        _Entry(50778, SHORT, [21]),  # CalibrationIlluminant1 = D65
    ]
    raw_ifd = [
        _Entry(254, LONG, [0]),
        _Entry(256, LONG, [rw]),
        _Entry(257, LONG, [rh]),
        _Entry(258, SHORT, [16]),
        _Entry(259, SHORT, [1]),
        _Entry(262, SHORT, [32803]),  # CFA
        _Entry(273, LONG, [0]),  # strip offset, patched below
        _Entry(277, SHORT, [1]),
        _Entry(278, LONG, [rh]),
        _Entry(279, LONG, [len(raw)]),
        _Entry(33421, SHORT, [2, 2]),  # CFARepeatPatternDim
        _Entry(33422, BYTE, [0, 1, 1, 2]),  # CFAPattern RGGB
        _Entry(50717, LONG, [65535]),  # WhiteLevel
    ]
    if preview is not None:
        pw, ph = preview.size
        ifd0 = camera + [
            _Entry(254, LONG, [1]),  # reduced-resolution image: the preview
            _Entry(256, LONG, [pw]),
            _Entry(257, LONG, [ph]),
            _Entry(258, SHORT, [8, 8, 8]),
            # JPEG (new style) in YCbCr, as the DNG spec asks of lossy previews; or plain RGB
            _Entry(259, SHORT, [7 if preview_jpeg else 1]),
            _Entry(262, SHORT, [6 if preview_jpeg else 2]),
            _Entry(273, LONG, [0]),  # preview strip offset, patched below
            _Entry(277, SHORT, [3]),
            _Entry(278, LONG, [ph]),
            _Entry(279, LONG, [len(jpeg)]),
            _Entry(330, LONG, [0]),  # SubIFDs -> raw IFD, patched below
        ]
        sub_ifds = [raw_ifd]
    else:
        ifd0 = camera + raw_ifd
        sub_ifds = []
    exif_ifd = []
    if taken_at is not None:
        ifd0.append(_ascii(306, taken_at))  # DateTime
        ifd0.append(_Entry(34665, LONG, [0]))  # Exif IFD pointer, patched below
        exif_ifd = [_ascii(36867, taken_at)]  # DateTimeOriginal
        sub_ifds.append(exif_ifd)

    # Layout: header, IFD0, sub-IFDs, JPEG, raw data. IFD sizes do not depend on values.
    offsets = [8]
    for ifd in [ifd0, *sub_ifds]:
        offsets.append(offsets[-1] + _ifd_size(ifd))
    jpeg_at = offsets[-1]
    raw_at = jpeg_at + len(jpeg) + (len(jpeg) & 1)

    def patch(entries: list[_Entry], tag: int, value: int) -> None:
        next(e for e in entries if e.tag == tag).values = [value]

    patch(raw_ifd, 273, raw_at)
    if preview is not None:
        patch(ifd0, 273, jpeg_at)
        patch(ifd0, 330, offsets[1 + sub_ifds.index(raw_ifd)])
    if exif_ifd:
        patch(ifd0, 34665, offsets[1 + sub_ifds.index(exif_ifd)])

    out = bytearray(b"II*\0" + struct.pack("<I", offsets[0]))
    for ifd, offset in zip([ifd0, *sub_ifds], offsets, strict=False):
        assert len(out) == offset
        out += _ifd_bytes(ifd, offset)
    out += jpeg + (b"\0" if len(jpeg) & 1 else b"")
    assert len(out) == raw_at
    out += raw
    with open(path, "wb") as f:
        f.write(out)
