"""The new bytes of one sidecar: exiv2's rewrite, checked, else the keyword editor's edit.

exiv2 rewrites the whole file; what it wrote must read back exactly as asked and keep every
property it was not asked to change (:mod:`clipdesk.sidecars.xmp.preserve`). An existing sidecar
exiv2
cannot round-trip has only its keyword properties (and the reject rating) edited in place by
:mod:`clipdesk.sidecars.xmp.rdfedit`, every other byte kept. Nothing here touches the disk: planning
and writing are :mod:`clipdesk.sidecars.xmp.sidecar`'s.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from clipdesk.sidecars.xmp import _exiv2, location, rdfedit, safexml
from clipdesk.sidecars.xmp.errors import SidecarError
from clipdesk.sidecars.xmp.fields import Keywords
from clipdesk.sidecars.xmp.preserve import lost_properties
from clipdesk.sidecars.xmp.sidecar_read import neither_takes


def would_be_empty(
    target: Path,
    data: bytes | None,
    kw: Keywords,
    current: Keywords,
    rating: Mapping[str, str | None] | None = None,
) -> bool:
    """True when, without our keywords (and our rating), the sidecar would be exactly the
    empty document ClipDesk writes: nothing of anyone else's in it."""
    if data is None or kw.flat or kw.hierarchical or kw.digikam:
        return False
    try:
        new, dropped = new_bytes(target, data, kw, current, rating=rating)
        return not dropped and new == new_bytes(target, None, Keywords())[0]
    except SidecarError:
        return False


def _fields(kw: Keywords) -> dict[str, list[str]]:
    return {
        _exiv2.DC_SUBJECT: list(kw.flat),
        _exiv2.LR_HIERARCHICAL: list(kw.hierarchical),
        _exiv2.DIGIKAM_TAGS: list(kw.digikam),
    }


def new_bytes(
    target: Path,
    data: bytes | None,
    kw: Keywords,
    current: Keywords | None = None,
    extra: Mapping[str, str | list] | None = None,
    rating: Mapping[str, str | None] | None = None,
) -> tuple[bytes, str]:
    """The sidecar's new bytes: exiv2's rewrite, else (for an existing sidecar exiv2 cannot
    round-trip) the keyword editor's in-place edit, which writes the keywords and the rating
    (not ``extra``). Also returns why the rating could not be written ("" when it was, or
    none was asked): the keyword editor then writes the keywords alone. Raises SidecarError
    when neither engine can write the keywords."""
    fields = _fields(kw)
    rating = dict(rating or {})
    try:
        return exiv2_bytes(target, data, fields, extra, rating), ""
    except SidecarError as first:
        if data is None or current is None:
            raise
        try:
            if rdfedit.read_fields(data) != _fields(current):
                raise safexml.XmlRefused("it reads the keywords differently from exiv2")
            try:
                return rdfedit.edit_fields(data, fields, rating), ""
            except safexml.XmlRefused as exc:
                if not rating:
                    raise
                new = rdfedit.edit_fields(data, fields)
                return new, f"rating not written: {neither_takes(first.reason, exc)}"
        except safexml.XmlRefused as exc:
            raise SidecarError(target, neither_takes(first.reason, exc)) from exc


def exiv2_bytes(
    target: Path,
    data: bytes | None,
    fields: dict[str, list[str]],
    extra: Mapping[str, str | list] | None = None,
    rating: Mapping[str, str | None] | None = None,
) -> bytes:
    """exiv2's rewrite of ``data`` (None: a new sidecar) with ``fields``, ``extra`` (an empty
    list removes that property) and ``rating`` set, checked to read back as asked and to keep
    every other property. Raises SidecarError otherwise."""
    rating = dict(rating or {})
    asked: dict[str, object] = {**fields, **(extra or {})}
    asked.update({k: ([] if v is None else v) for k, v in rating.items()})
    try:
        new = _exiv2.rewrite_sidecar(data, asked)  # type: ignore[arg-type]
        try:  # what we wrote must read back exactly as asked, by the reader of record
            written = rdfedit.read_fields(new)
            ratings = {k: rdfedit.read_simple(new, k) for k in rating}
        except safexml.XmlRefused:
            written = _exiv2.read_sidecar_bytes(new)
            ratings = {k: _exiv2.read_text(new, k) for k in rating}
    except _exiv2.Exiv2Failure as exc:
        raise SidecarError(target, str(exc)) from exc
    if written != fields:
        raise SidecarError(target, "exiv2 did not write the keywords as asked")
    if ratings != rating:
        raise SidecarError(target, "exiv2 did not write the rating as asked")
    if data is not None:
        changing = frozenset(rdfedit.SIMPLE[k][:2] for k in rating) | frozenset(
            location.PROPERTIES[k]
            for k, v in (extra or {}).items()
            if v == [] and k in location.PROPERTIES
        )  # a removed property is not lost: the reject rating, ClipDesk's location fields
        try:
            lost = lost_properties(data, new, changing)
        except safexml.XmlRefused as exc:
            raise SidecarError(target, str(exc)) from exc
        if lost:
            raise SidecarError(target, "exiv2 would drop " + ", ".join(lost[:3]))
    return new
