"""The photographer's marks in XMP: stars, a colour label and a pick or reject flag, as
Lightroom, darktable and digiKam write them, read from a sidecar or a photo's embedded XMP.

The fields (exiv2 keys; read with the hardened parser, exiv2 for what it refuses):

- ``xmp:Rating`` (the XMP specification's, Part 1): 0 to 5 stars, -1 rejected (Adobe Bridge;
  darktable's ``dt_image_get_xmp_rating_from_flags``). A -1 says nothing of the stars.
- ``xmp:Label`` (Lightroom): the colour's name, ``Red``, ``Yellow``, ``Green``, ``Blue``,
  ``Purple`` (read in any case; another text, a label set of the user's own, is a label
  ClipDesk has not: none).
- ``digiKam:ColorLabel``: digiKam's number (``digikam_globals.h``'s ``ColorLabel``): 0 none,
  1 red, 2 orange, 3 yellow, 4 green, 5 blue, 6 magenta (purple), 7 gray, 8 black, 9 white;
  orange, gray, black and white are labels ClipDesk has not: none.
- ``digiKam:PickLabel``: 0 none, 1 rejected, 2 pending (none here), 3 accepted (a pick).
- ``darktable:colorlabels`` (read only): a list of darktable's numbers, 0 red, 1 yellow,
  2 green, 3 blue, 4 purple; darktable allows several, ClipDesk takes the first.
- ``photoshop:Urgency`` (read only, for export): digiKam writes the colour's number there
  too and reads it when ``ColorLabel`` is missing.

Which field says what when they disagree (:func:`resolve`): the fields that changed since the
sidecar was last read first (a program that edits one of them leaves the others stale: digiKam
sets ``ColorLabel`` and leaves ``xmp:Label``, darktable rates over its -1 and leaves
``PickLabel``), then this order: for the flag, ``xmp:Rating`` -1 (the field most programs read)
before ``PickLabel``; for the label, ``ColorLabel``, then ``xmp:Label``, then darktable's list
(digiKam's own order). Fields that did not change since they were read say what they said
then, so a stale field never flips a mark back.

Read-only: this module never writes; the edits are :mod:`clipdesk.sidecars.xmp.marks_plan`'s.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from clipdesk.catalog.marks import LABELS
from clipdesk.sidecars.xmp import _exiv2, safexml
from clipdesk.sidecars.xmp.safexml import RDF

RATING = "Xmp.xmp.Rating"
LABEL = "Xmp.xmp.Label"
COLOR_LABEL = "Xmp.digiKam.ColorLabel"
PICK_LABEL = "Xmp.digiKam.PickLabel"
DT_LABELS = "Xmp.darktable.colorlabels"
URGENCY = "Xmp.photoshop.Urgency"

#: exiv2 key -> (namespace URI, local name) of every field read
PROPERTIES: dict[str, tuple[str, str]] = {
    RATING: ("http://ns.adobe.com/xap/1.0/", "Rating"),
    LABEL: ("http://ns.adobe.com/xap/1.0/", "Label"),
    COLOR_LABEL: ("http://www.digikam.org/ns/1.0/", "ColorLabel"),
    PICK_LABEL: ("http://www.digikam.org/ns/1.0/", "PickLabel"),
    DT_LABELS: ("http://darktable.sf.net/", "colorlabels"),
    URGENCY: ("http://ns.adobe.com/photoshop/1.0/", "Urgency"),
}
#: The fields export writes (simple text properties, edited by either engine).
WRITTEN = (RATING, LABEL, COLOR_LABEL, PICK_LABEL)

#: Lightroom's names of ClipDesk's labels (``xmp:Label``).
LIGHTROOM = {label: label.capitalize() for label in LABELS}
#: digiKam's ``ColorLabel`` numbers of ClipDesk's labels.
DIGIKAM = {"red": 1, "yellow": 3, "green": 4, "blue": 5, "purple": 6}
_DIGIKAM_LABELS = {str(n): label for label, n in DIGIKAM.items()}
_DIGIKAM_OTHER = {"0", "2", "7", "8", "9"}  # none, orange, gray, black, white
#: darktable's label numbers, in order.
DARKTABLE = ("red", "yellow", "green", "blue", "purple")
#: digiKam's ``PickLabel`` numbers of ClipDesk's flags.
PICKS = {"reject": "1", "pick": "3"}

#: The fields that say each mark, in the order they are believed (module docstring).
MARK_FIELDS: dict[str, tuple[str, ...]] = {
    "stars": (RATING,),
    "flag": (RATING, PICK_LABEL),
    "label": (COLOR_LABEL, LABEL, DT_LABELS),
}
MARKS = tuple(MARK_FIELDS)

#: A field's raw value as read: text, or darktable's list. A key absent: not in the file.
Fields = dict[str, "str | tuple[str, ...]"]
#: What a file says of each mark (``stars`` 0-5, ``label`` a label or None, ``flag`` 'pick',
#: 'reject' or None); a mark left out: the file does not say (no field, or only a -1 for stars).
Stated = dict[str, "int | str | None"]

_NO = object()  # a field that gives no opinion on a mark
_NOT_REJECTED = object()  # a rating over a -1: not rejected (a pick label may still say pick)


def read_fields(data: bytes | None) -> Fields:
    """The marks fields of an XMP document (a sidecar, or a photo's embedded packet); {} for
    None or a document neither reader takes (the keywords' reading says why)."""
    return _exiv2.read_fields(data, _read_xml, list(PROPERTIES), _from_exiv2)


def _from_exiv2(values: dict) -> Fields:
    out: Fields = {}
    for key, value in values.items():
        if key == DT_LABELS:
            out[key] = tuple(str(v).strip() for v in ([value] if isinstance(value, str) else value))
        elif isinstance(value, str):
            out[key] = value.strip()
    return out


def _read_xml(data: bytes) -> Fields:
    root = safexml.parse(data)
    rdf = next((e for e in root.iter() if e.name == (RDF, "RDF")), None)
    if rdf is None:
        raise safexml.XmlRefused("no rdf:RDF in it (not XMP)")
    out: Fields = {}
    for node in rdf.children:
        for key, name in PROPERTIES.items():
            if key in out:
                continue  # the first block that has it
            if name in node.attrs:
                out[key] = node.attrs[name].strip()
                continue
            el = next((c for c in node.children if c.name == name), None)
            if el is None:
                continue
            if key == DT_LABELS:
                array = next((c for c in el.children if c.uri == RDF), None)
                items = array.children if array is not None else []
                out[key] = tuple(li.text.strip() for li in items if li.name == (RDF, "li"))
            elif not el.children:
                out[key] = el.text.strip()
    return out


def normal(fields: Mapping) -> Fields:
    """Fields as kept in the catalog (JSON: lists) made comparable with fields as read."""
    return {k: tuple(v) if isinstance(v, list) else v for k, v in fields.items()}


# ---------------------------------------------------------------- what each field says


def _rating(value) -> float | None:
    try:
        return float(value) if isinstance(value, str) else None
    except ValueError:
        return None


def _opinion(mark: str, key: str, now: Fields, then: Fields | None):
    """What field ``key`` says of ``mark`` now (``_NO``: nothing)."""
    value = now.get(key)
    if value is None:
        return _NO
    if key == RATING:
        r = _rating(value)
        if r is None or not (r == -1 or 0 <= r <= 5):
            return _NO
        if mark == "stars":
            return _NO if r == -1 else int(r)
        if r == -1:
            return "reject"
        # a rating given over a -1 takes the reject back (darktable's way); else no word on it
        was = _rating(then.get(RATING)) if then is not None else None
        return _NOT_REJECTED if was == -1 else _NO
    if key == PICK_LABEL:
        return {"1": "reject", "3": "pick", "0": None, "2": None}.get(str(value), _NO)
    if key == LABEL:
        text = str(value).strip()
        return next(
            (lb for lb, name in LIGHTROOM.items() if name.casefold() == text.casefold()), None
        )
    if key == COLOR_LABEL:
        if value in _DIGIKAM_LABELS:
            return _DIGIKAM_LABELS[value]
        return None if value in _DIGIKAM_OTHER else _NO
    if key == DT_LABELS:
        for item in value:
            if item.isdigit() and int(item) < len(DARKTABLE):
                return DARKTABLE[int(item)]
        return None
    return _NO


@dataclass(frozen=True)
class Seen:
    """A file's marks as ClipDesk last read (or wrote) them: the raw fields and what they were
    taken to say then."""

    fields: Fields = field(default_factory=dict)
    stated: Stated = field(default_factory=dict)

    def to_json(self) -> dict:
        return {
            "fields": {k: list(v) if isinstance(v, tuple) else v for k, v in self.fields.items()},
            "file": dict(self.stated),
        }

    @classmethod
    def from_json(cls, value: Mapping | None) -> Seen | None:
        if not value or "fields" not in value:
            return None
        return cls(normal(value["fields"]), dict(value.get("file") or {}))


def resolve(now: Fields, seen: Seen | None = None) -> Stated:
    """What ``now``'s fields say of each mark (module docstring), given how they were last
    seen (None: never): a mark whose fields did not change says what it said then."""
    out: Stated = {}
    then = seen.fields if seen is not None else None
    for mark, keys in MARK_FIELDS.items():
        if then is not None and all(now.get(k) == then.get(k) for k in keys):
            if mark in seen.stated:  # type: ignore[union-attr]
                out[mark] = seen.stated[mark]  # type: ignore[union-attr]
            continue
        changed = [k for k in keys if then is None or now.get(k) != then.get(k)]
        order = changed + [k for k in keys if k not in changed]
        value = _NO
        for key in order:
            value = _opinion(mark, key, now, then)
            if value is _NOT_REJECTED:
                value = "pick" if _opinion("flag", PICK_LABEL, now, then) == "pick" else None
            if value is not _NO:
                break
        if value is _NO and then is not None and not any(k in now for k in keys):
            value = _gone(mark, then)  # the fields that said it were taken away
        if value is not _NO:
            out[mark] = value  # type: ignore[assignment]
    return out


def _gone(mark: str, then: Fields):
    """A mark whose every field was removed: unrated, unlabelled, unflagged; except the stars
    of a file whose -1 went (the -1 said nothing of them)."""
    if mark == "stars":
        return 0 if _rating(then.get(RATING)) not in (None, -1.0) else _NO
    return None
