"""The only module that talks to exiv2 (through pyexiv2): parse and re-serialise XMP.

pyexiv2 keeps global state in C++ (an error log, the namespace registry), so every call goes
through one lock. exiv2 *errors* become Python exceptions; its warnings are muted (they would be
printed to stdout).

Two exiv2 details this module handles:

- When exiv2 opens an XMP sidecar it also converts the XMP to in-memory IPTC/Exif and, on write,
  converts them back into XMP. That round trip re-creates a ``dc:subject`` we deleted and makes
  array edits fail ("Indexing applied to non-array"). A sidecar has no real IPTC/Exif, so the
  derived copies are cleared before editing; the XMP is then written as parsed and edited.
- pyexiv2 writes Python lists as ``rdf:Seq``. ``dc:subject`` and ``lr:hierarchicalSubject`` are
  ``rdf:Bag`` by specification, so bags are written as exiv2's ``type=Bag`` array node plus
  indexed items; ``digiKam:TagsList`` is a ``Seq`` as digiKam writes it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import pyexiv2

from clipdesk.sidecars.xmp import safexml

XMP_MIME = "application/rdf+xml"

#: The keys of the managed fields, and whether each is a Bag (else a Seq).
DC_SUBJECT = "Xmp.dc.subject"
LR_HIERARCHICAL = "Xmp.lr.hierarchicalSubject"
DIGIKAM_TAGS = "Xmp.digiKam.TagsList"
IPTC_KEYWORDS = "Iptc.Application2.Keywords"
#: A simple text property export may set: -1 is "rejected" (XMP Part 1; darktable, Bridge).
XMP_RATING = "Xmp.xmp.Rating"
BAGS = {DC_SUBJECT: True, LR_HIERARCHICAL: True, DIGIKAM_TAGS: False}

#: What exiv2 is handed to create a brand-new sidecar. pyexiv2 exposes no way to create an
#: empty XMP file (exiv2's ImageFactory::create is not wrapped), and exiv2 only opens bytes it
#: recognises as XMP, so it gets this empty packet: the standard wrapper with no properties.
#: It is exiv2's *input*; the file written is exiv2's own serialisation, except when the
#: last property of a sidecar is removed: exiv2 then serialises nothing, and this is written.
EMPTY_PACKET = (
    b'<?xpacket begin="\xef\xbb\xbf" id="W5M0MpCehiHzreSzNTczkc9d"?>'
    b'<x:xmpmeta xmlns:x="adobe:ns:meta/"/><?xpacket end="w"?>'
)

#: How a parse failure of exiv2's begins: its word for XML it cannot take, right or wrong.
INVALID = "not valid XMP"

_LOCK = threading.Lock()
_muted = False


class Exiv2Failure(Exception):
    """exiv2 could not parse or write the data; the message is a one-line reason."""


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return text or type(exc).__name__


def _mute() -> None:
    global _muted
    if not _muted:
        pyexiv2.set_log_level(3)  # errors only: they still raise, warnings stay off stdout
        _muted = True


def _as_list(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [value] if value and not value.startswith("type=") else []
    if isinstance(value, dict):  # a LangAlt where an array was expected
        return [str(v) for v in value.values()]
    return [str(v) for v in value]


def fields_of(xmp: Mapping[str, Any]) -> dict[str, list[str]]:
    """The managed fields of a ``read_xmp()`` dict, each as a list of strings.

    Also accepts the exploded form exiv2 uses for arrays whose items carry qualifiers
    (``Xmp.dc.subject`` = ``type="Bag"`` plus ``Xmp.dc.subject[1]`` ...).
    """
    out: dict[str, list[str]] = {}
    for key in BAGS:
        items = _as_list(xmp.get(key))
        indexed = sorted(
            (int(k[len(key) + 1 : -1]), v)
            for k, v in xmp.items()
            if k.startswith(key + "[") and k.endswith("]") and k[len(key) + 1 : -1].isdigit()
        )
        out[key] = items + [str(v) for _, v in indexed]
    return out


def read_sidecar_bytes(data: bytes) -> dict[str, list[str]]:
    """Parse a sidecar and return its managed fields; raise :class:`Exiv2Failure`."""
    with _LOCK:
        _mute()
        try:
            image = pyexiv2.ImageData(data)
        except Exception as exc:  # pyexiv2 raises RuntimeError, and bare C++ errors
            raise Exiv2Failure(f"{INVALID} ({_one_line(exc)})") from exc
        try:
            if image.get_mime_type() != XMP_MIME:
                raise Exiv2Failure(f"not an XMP file (exiv2 sees {image.get_mime_type()})")
            return fields_of(image.read_xmp())
        except Exiv2Failure:
            raise
        except Exception as exc:
            raise Exiv2Failure(f"cannot read XMP ({_one_line(exc)})") from exc
        finally:
            image.close()


def read_text(data: bytes, key: str) -> str | None:
    """One simple text property of a sidecar (``Xmp.xmp.Rating``), None when it has none;
    raise :class:`Exiv2Failure`."""
    with _LOCK:
        _mute()
        try:
            image = pyexiv2.ImageData(data)
        except Exception as exc:
            raise Exiv2Failure(f"{INVALID} ({_one_line(exc)})") from exc
        try:
            value = image.read_xmp().get(key)
        except Exception as exc:
            raise Exiv2Failure(f"cannot read XMP ({_one_line(exc)})") from exc
        finally:
            image.close()
    if value is not None and not isinstance(value, str):
        raise Exiv2Failure(f"{key} is not a simple value")
    return value


def rewrite_sidecar(data: bytes | None, fields: Mapping[str, Sequence[str]]) -> bytes:
    """Return ``data`` (or a new sidecar) re-serialised by exiv2 with ``fields`` replaced.

    Every other property is carried over by exiv2's XMP toolkit. An empty list deletes the
    field; a ``str`` value is written as a simple text property. Raises :class:`Exiv2Failure`.
    """
    with _LOCK:
        _mute()
        try:
            image = pyexiv2.ImageData(data if data is not None else EMPTY_PACKET)
        except Exception as exc:
            raise Exiv2Failure(f"{INVALID} ({_one_line(exc)})") from exc
        try:
            if image.get_mime_type() != XMP_MIME:
                raise Exiv2Failure(f"not an XMP file (exiv2 sees {image.get_mime_type()})")
            image.clear_iptc()
            image.clear_exif()
            existing = image.read_xmp()
            deletions: dict[str, Any] = {}
            additions: dict[str, Any] = {}
            for key, items in fields.items():
                deletions.update({k: None for k in existing if k == key or k.startswith(key + "[")})
                deletions[key] = None
                if items and BAGS.get(key, False):
                    additions[key] = "type=Bag"
                    additions.update({f"{key}[{i}]": v for i, v in enumerate(items, 1)})
                elif isinstance(items, str):  # a text property (photoshop:SidecarForExtension)
                    additions[key] = items
                elif items:
                    additions[key] = list(items)
            image.modify_xmp(deletions)
            if additions:
                image.modify_xmp(additions)
            if not image.read_xmp():
                # exiv2 writes nothing for an empty XmpData (the old bytes would stay), so a
                # sidecar whose last property was removed becomes the empty packet.
                return EMPTY_PACKET
            return image.get_bytes()
        except Exiv2Failure:
            raise
        except Exception as exc:
            raise Exiv2Failure(f"exiv2 could not write the XMP ({_one_line(exc)})") from exc
        finally:
            image.close()


def _iptc_text(value: str) -> str:
    # IPTC has no fixed charset and files mix them (1:90 may claim UTF-8 over old Latin-1
    # values), so each value is decoded on its own: UTF-8 when its bytes are valid UTF-8,
    # otherwise the legacy cp1252 / Latin-1 that most writers (exiftool's default) use.
    raw = value.encode("latin-1")  # undo pyexiv2's lossless latin-1 decoding: the raw bytes
    for encoding in ("utf-8", "cp1252"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    return value


def read_photo(path: Path) -> tuple[dict[str, list[str]], list[str], bytes]:
    """Read the embedded XMP fields, IPTC Keywords and XMP packet (b"" when it has none; for
    its face regions) of a photo, never writing it.

    The file is opened read-only by exiv2 (``pyexiv2.Image`` writes only when a ``modify_*``
    method is called, which this function never does). Raises :class:`Exiv2Failure`.
    """
    with _LOCK:
        _mute()
        try:
            try:
                image = pyexiv2.Image(str(path))
            except UnicodeEncodeError:  # a filename that is not valid UTF-8
                image = pyexiv2.ImageData(path.read_bytes())
        except OSError:
            raise
        except Exception as exc:
            raise Exiv2Failure(f"cannot read metadata ({_one_line(exc)})") from exc
        try:
            try:
                xmp = fields_of(image.read_xmp())
            except UnicodeDecodeError as exc:
                raise Exiv2Failure("embedded XMP is not valid UTF-8") from exc
            raw = _as_list(image.read_iptc(encoding="latin-1").get(IPTC_KEYWORDS))
            keywords = [_iptc_text(k) for k in raw]
            packet = image.read_raw_xmp(encoding="latin-1").encode("latin-1")  # the bytes as read
            return xmp, keywords, packet
        except Exiv2Failure:
            raise
        except Exception as exc:
            raise Exiv2Failure(f"cannot read metadata ({_one_line(exc)})") from exc
        finally:
            image.close()


def read_values(data: bytes, keys: Sequence[str]) -> dict[str, Any]:
    """Some properties of an XMP document as exiv2 reads them: text, or a list for an array
    (a key it does not hold is left out). Raises :class:`Exiv2Failure`."""
    with _LOCK:
        _mute()
        try:
            image = pyexiv2.ImageData(data)
        except Exception as exc:
            raise Exiv2Failure(f"{INVALID} ({_one_line(exc)})") from exc
        try:
            xmp = image.read_xmp()
        except Exception as exc:
            raise Exiv2Failure(f"cannot read XMP ({_one_line(exc)})") from exc
        finally:
            image.close()
    return {k: xmp[k] for k in keys if k in xmp}


def read_fields(
    data: bytes | None,
    read_xml: Callable[[bytes], dict],
    keys: Sequence[str],
    convert: Callable[[dict[str, Any]], dict],
) -> dict:
    """Some fields of an XMP document (a sidecar, or a photo's embedded packet): as
    ``read_xml`` reads them (the safe XML reader, ``safexml``), else, for a form it does not
    read, exiv2's values of ``keys`` through ``convert``; {} for None, for a document
    refused on purpose (exiv2 never gets it either) and for one neither reader takes."""
    if not data:
        return {}
    try:
        return read_xml(data)
    except safexml.XmlLimit:
        return {}
    except safexml.XmlRefused:
        pass
    try:
        values = read_values(data, keys)
    except Exiv2Failure:
        return {}
    return convert(values)
