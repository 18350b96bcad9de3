"""Face regions in XMP, read: MWG regions (``mwg-rs:Regions``, as Lightroom, digiKam and Picasa
write them) and Microsoft Photo regions (``MP:RegionInfo``, as Windows Photo Gallery writes
them), and the geometry between a region's frame and the photo as displayed.

ClipDesk keeps a face as a box ``(x, y, w, h)``: its top-left corner and size, 0 to 1 of the
photo *as displayed* (after its EXIF orientation). The files say it differently:

- An MWG area (``stArea:x``, ``stArea:y``, ``stArea:w``, ``stArea:h``, unit ``normalized``)
  gives the box's **centre** and size. The MWG guidelines (2.0, 5.9 "Image Region Metadata")
  make regions relative to the **stored** image: "When applying a rotation by applying Exif
  Orientation, the rotation must be applied to the regions as well"; digiKam writes them so,
  and Immich and PiGallery2 turn them with the orientation on reading.
  ``mwg-rs:AppliedToDimensions`` is the size of the image they were applied to. When a
  quarter-turn orientation makes the displayed photo's proportions differ from the stored
  image's, and those dimensions are the displayed ones, the program that wrote them used the
  displayed frame: then they are taken as they are.
- A Microsoft rectangle (``MPReg:Rectangle``, ``"x, y, w, h"``) gives the **top-left** corner
  and size, read in the stored frame like MWG's (exiftool's ``rotate_regions.config`` turns
  both kinds with the pixels; how Windows Photo Gallery wrote rotated photos was not checked).

Reading never raises for what a file holds: a region that cannot be used is skipped with a
one-line reason (:attr:`RegionsRead.problems`); the parse itself is
:mod:`clipdesk.sidecars.xmp.safexml`'s (size and depth limits, no DTD). The export, which edits
MWG regions in a sidecar's bytes, is :mod:`clipdesk.sidecars.xmp.region_edit`; the geometry,
:mod:`clipdesk.sidecars.xmp.region_geometry`.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from clipdesk.people.imports import overlaps  # the one rule for "the same face"
from clipdesk.sidecars.xmp import safexml
from clipdesk.sidecars.xmp.region_geometry import (
    Box,
    checked,
    corner_box,
    in_shown_frame,
    shown_box,
)
from clipdesk.sidecars.xmp.safexml import RDF, XML_NS, Element, XmlRefused
from clipdesk.wording import plural

MWG_RS = "http://www.metadataworkinggroup.com/schemas/regions/"
ST_AREA = "http://ns.adobe.com/xmp/sType/Area#"
ST_DIM = "http://ns.adobe.com/xap/1.0/sType/Dimensions#"
MP = "http://ns.microsoft.com/photo/1.2/"
MPRI = "http://ns.microsoft.com/photo/1.2/t/RegionInfo#"
MPREG = "http://ns.microsoft.com/photo/1.2/t/Region#"

FACE = "Face"


class Unreadable(Exception):
    """The regions are in a form ClipDesk does not read or edit (one-line reason)."""


# ---------------------------------------------------------------- RDF structures


def _rdf_root(doc: Element) -> Element:
    for el in doc.iter():
        if el.name == (RDF, "RDF"):
            return el
    raise XmlRefused("no rdf:RDF in it (not XMP)")


def struct_body(el: Element) -> Element | None:
    """The element whose attributes and children are the fields of the structure ``el``
    holds: ``el`` itself (``rdf:parseType="Resource"``, or fields as attributes of an empty
    element), or its one inner ``rdf:Description``; None when ``el`` holds no structure."""
    if el.attrs.get((RDF, "parseType")) == "Resource":
        return el
    if (RDF, "resource") in el.attrs or (RDF, "nodeID") in el.attrs:
        return None
    if not el.children:
        return el if not el.text.strip() else None
    if len(el.children) == 1 and el.children[0].name == (RDF, "Description"):
        return el.children[0]
    return None


def fields(el: Element) -> dict[tuple[str, str], str | Element]:
    """The fields of the structure ``el`` holds: a simple value as its text, a structure or an
    array as its element. Raises Unreadable when ``el`` holds no structure."""
    body = struct_body(el)
    if body is None:
        raise Unreadable("a structure in a form ClipDesk does not read")
    out: dict[tuple[str, str], str | Element] = {}
    for name, value in body.attrs.items():
        if name[0] not in (RDF, XML_NS, ""):
            out[name] = value
    for child in body.children:
        if child.children or child.attrs.get((RDF, "parseType")) is not None:
            out[child.name] = child
        elif any(a[0] not in (RDF, XML_NS, "") for a in child.attrs):
            out[child.name] = child  # a structure given by its attributes
        else:
            out[child.name] = child.text.strip()
    return out


def array_items(el: Element) -> tuple[Element, list[Element]]:
    """The array (``rdf:Bag`` / ``rdf:Seq``) the property ``el`` holds and its items."""
    arrays = [c for c in el.children if c.uri == RDF and c.local in ("Bag", "Seq", "Alt")]
    if len(arrays) != 1 or len(el.children) != 1:
        raise Unreadable("a region list that is not one array")
    return arrays[0], [c for c in arrays[0].children if c.name == (RDF, "li")]


def _number(value: str | Element | None) -> float:
    if not isinstance(value, str):
        raise ValueError
    return float(value.strip())


def _text(value: str | Element | None) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise ValueError
    return value


# ---------------------------------------------------------------- the regions of a document


@dataclass
class MwgRegion:
    """One item of an MWG region list, as found: its element, name, type, and its area
    (centre x, centre y, w, h as written) when that reads as numbers; ``problem`` says why it
    is not a face ClipDesk can use ("" when it is)."""

    li: Element
    name: str | None = None
    kind: str | None = None
    area: Box | None = None
    problem: str = ""

    @property
    def is_face(self) -> bool:
        """A face region: of type Face, or of no type but named."""
        return (self.kind or "").casefold() == FACE.casefold() or (
            self.kind is None and bool(self.name)
        )


@dataclass
class MwgRegions:
    """A document's ``mwg-rs:Regions``: the element, the element holding its fields, the
    dimensions it applies to, and its region list (None when it has none)."""

    element: Element
    body: Element
    node: Element  # the top-level node it is a property of
    dims: tuple[float, float] | None = None
    region_list: Element | None = None
    bag: Element | None = None
    regions: list[MwgRegion] = field(default_factory=list)
    other_fields: bool = False  # fields besides AppliedToDimensions and RegionList


def _mwg_region(li: Element) -> MwgRegion:
    region = MwgRegion(li)
    try:
        f = fields(li)
    except Unreadable:
        region.problem = "it is not a structure ClipDesk reads"
        return region
    try:
        region.name = _text(f.get((MWG_RS, "Name")))
    except ValueError:
        region.problem = "its name is not text"
    try:
        region.kind = _text(f.get((MWG_RS, "Type")))
    except ValueError:
        region.problem = region.problem or "its type is not text"
    area = f.get((MWG_RS, "Area"))
    if area is None:
        region.problem = region.problem or "it has no area"
        return region
    try:
        a = fields(area) if isinstance(area, Element) else None
        if a is None:
            raise ValueError
        values = tuple(_number(a.get((ST_AREA, k))) for k in ("x", "y", "w", "h"))
    except (Unreadable, ValueError):
        region.problem = region.problem or "its area is not four numbers"
        return region
    unit = a.get((ST_AREA, "unit"))
    if isinstance(unit, str) and unit.strip() and unit.strip() != "normalized":
        region.problem = region.problem or f"its area's unit is {unit.strip()!r}, not 'normalized'"
    region.area = values  # type: ignore[assignment]
    return region


def _dims(value: str | Element | None) -> tuple[float, float] | None:
    if not isinstance(value, Element):
        return None
    try:
        f = fields(value)
        w, h = _number(f.get((ST_DIM, "w"))), _number(f.get((ST_DIM, "h")))
    except (Unreadable, ValueError):
        return None
    return (w, h) if w > 0 and h > 0 and math.isfinite(w * h) else None


def _properties(nodes: Sequence[Element], uri: str, local: str) -> list[tuple[Element, Element]]:
    """(node, property element) of every top-level node's property ``uri:local``; raises
    Unreadable for one given as an attribute (a structure cannot be)."""
    found = []
    for node in nodes:
        if (uri, local) in node.attrs:
            raise Unreadable(f"{local} is an attribute, not a structure")
        found += [(node, c) for c in node.children if c.name == (uri, local)]
    return found


def find_mwg(nodes: Sequence[Element]) -> MwgRegions | None:
    """The document's MWG regions (its top-level ``nodes``), None when it has none. Raises
    Unreadable for a form ClipDesk does not read (twice, by reference, not a structure)."""
    found = _properties(nodes, MWG_RS, "Regions")
    if not found:
        return None
    if len(found) > 1:
        raise Unreadable("mwg-rs:Regions is there twice")
    node, element = found[0]
    body = struct_body(element)
    if body is None:
        raise Unreadable("mwg-rs:Regions is not a structure ClipDesk reads")
    f = fields(element)
    out = MwgRegions(element, body, node, _dims(f.get((MWG_RS, "AppliedToDimensions"))))
    out.other_fields = any(
        k not in {(MWG_RS, "AppliedToDimensions"), (MWG_RS, "RegionList")} for k in f
    )
    listed = f.get((MWG_RS, "RegionList"))
    if listed is None:
        return out
    if not isinstance(listed, Element):
        if listed:  # a text value where the list should be
            raise Unreadable("mwg-rs:RegionList is not a list")
        listed = next(c for c in body.children if c.name == (MWG_RS, "RegionList"))
        out.region_list = listed
        return out  # <mwg-rs:RegionList/>: empty
    out.region_list = listed
    out.bag, items = array_items(listed)
    out.regions = [_mwg_region(li) for li in items]
    return out


@dataclass(frozen=True)
class MpRegion:
    """One Microsoft region: its person's name and its rectangle (top-left, as written);
    ``problem`` says why it is not usable ("" when it is; no rectangle is no problem: Windows
    writes a person with no place on the photo so)."""

    name: str | None
    rect: Box | None
    problem: str = ""


def find_mp(nodes: Sequence[Element]) -> list[MpRegion]:
    """The document's Microsoft Photo regions. Raises Unreadable for a form it does not read."""
    out: list[MpRegion] = []
    for _node, info in _properties(nodes, MP, "RegionInfo"):
        regions = fields(info).get((MPRI, "Regions"))
        if regions is None:
            continue
        if not isinstance(regions, Element):
            raise Unreadable("MPRI:Regions is not a list")
        for li in array_items(regions)[1]:
            try:
                f = fields(li)
                name = _text(f.get((MPREG, "PersonDisplayName")))
                rect = _text(f.get((MPREG, "Rectangle")))
            except (Unreadable, ValueError):
                out.append(MpRegion(None, None, "it is not a structure ClipDesk reads"))
                continue
            if rect is None or not rect.strip():
                out.append(MpRegion(name, None))
                continue
            try:
                values = tuple(float(v) for v in rect.split(","))
                if len(values) != 4:
                    raise ValueError
            except ValueError:
                out.append(MpRegion(name, None, "its rectangle is not four numbers"))
                continue
            out.append(MpRegion(name, values))  # type: ignore[arg-type]
    return out


def top_nodes(data: bytes) -> list[Element]:
    """The top-level nodes of an XMP document (its ``rdf:Description`` blocks and typed nodes).
    Raises XmlRefused."""
    return list(_rdf_root(safexml.parse(data)).children)


# ---------------------------------------------------------------- import


@dataclass(frozen=True)
class FoundRegion:
    """A face region as a file gives it: the name (None: a face not named yet), the box
    (top-left, 0-1) in the region's frame, and where it came from ("MWG" or "Microsoft")."""

    name: str | None
    box: Box
    source: str
    area: Box | None = None  # an MWG area as written (centre, size): to know ClipDesk's own


@dataclass(frozen=True)
class RegionsRead:
    """The face regions of one XMP document, and the one-line problems of those skipped."""

    mwg: tuple[FoundRegion, ...] = ()
    mp: tuple[FoundRegion, ...] = ()
    dims: tuple[float, float] | None = None  # MWG's AppliedToDimensions
    problems: tuple[str, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.mwg or self.mp or self.problems)


#: Byte strings whose absence means a document has no regions: the parse is skipped.
_MARKS = (b"Regions", b"RegionInfo")


def read_regions(data: bytes | None) -> RegionsRead:
    """The face regions in an XMP document (a sidecar, or a photo's embedded packet). Never
    raises: what cannot be read is a problem, and the keywords are read apart."""
    if not data or not any(m in data for m in _MARKS):
        return RegionsRead()
    try:
        nodes = top_nodes(data)
    except XmlRefused as exc:
        return RegionsRead(problems=(f"face regions not read: {exc}",))
    problems: list[str] = []
    mwg: list[FoundRegion] = []
    dims = None
    try:
        regions = find_mwg(nodes)
    except Unreadable as exc:
        regions = None
        problems.append(f"MWG face regions not read: {exc}")
    if regions is not None:
        dims = regions.dims
        for n, r in enumerate(regions.regions, 1):
            if r.kind is not None and r.kind.casefold() != FACE.casefold():
                continue  # a pet, a focus point, a barcode: not a face, not a problem
            if not r.problem and not r.is_face:
                continue
            try:
                if r.problem:
                    raise ValueError(r.problem)
                assert r.area is not None
                box = checked(corner_box(r.area))
            except ValueError as exc:
                problems.append(f"MWG region {n}: {exc}")
                continue
            mwg.append(FoundRegion(r.name or None, box, "MWG", r.area))
    mp: list[FoundRegion] = []
    try:
        found = find_mp(nodes)
    except Unreadable as exc:
        found = []
        problems.append(f"Microsoft face regions not read: {exc}")
    for n, m in enumerate(found, 1):
        if m.problem:
            problems.append(f"Microsoft region {n}: {m.problem}")
            continue
        if m.rect is None:
            continue
        try:
            mp.append(FoundRegion(m.name or None, checked(m.rect), "Microsoft"))
        except ValueError as exc:
            problems.append(f"Microsoft region {n}: {exc}")
    return RegionsRead(tuple(mwg), tuple(mp), dims, tuple(problems))


def shown_faces(
    reads: Sequence[RegionsRead],
    orientation: int,
    width: int | None,
    height: int | None,
    skip: Callable[[FoundRegion], bool] = lambda r: False,
) -> list[FoundRegion]:
    """The face regions of several documents (the sidecar's first) on the photo as displayed,
    each face once: a region over one already taken (the same name, or either unnamed) is that
    face (digiKam writes MWG and Microsoft regions of the same faces). ``skip``: regions not
    to take (those ClipDesk itself wrote)."""
    out: list[FoundRegion] = []
    for read in reads:
        shown = in_shown_frame(read.dims, orientation, width, height)
        for r in (*read.mwg, *read.mp):
            if skip(r):
                continue
            frame = shown if r.source == "MWG" else orientation == 1
            box = r.box if frame else shown_box(r.box, orientation)
            same = (
                a
                for a in out
                if overlaps(a.box, box)
                and (a.name is None or r.name is None or a.name.casefold() == r.name.casefold())
            )
            if next(same, None) is None:
                out.append(FoundRegion(r.name, box, r.source, r.area))
    return out


def summary(problems: Sequence[str]) -> str:
    """One line for a photo's region problems (empty when there are none)."""
    if not problems:
        return ""
    more = f" (and {len(problems) - 1:,} more)" if len(problems) > 1 else ""
    return f"{plural(len(problems), 'face region')} not imported: {problems[0]}{more}"
