"""Export's face regions: ClipDesk's named faces as MWG regions in a sidecar, spliced into its
bytes next to every region another program wrote.

What is written, for each face confirmed as a named person (see ``docs/xmp.md``)::

    <mwg-rs:Regions rdf:parseType="Resource">
     <mwg-rs:AppliedToDimensions stDim:w="4000" stDim:h="3000" stDim:unit="pixel"/>
     <mwg-rs:RegionList>
      <rdf:Bag>
       <rdf:li>
        <rdf:Description mwg-rs:Name="Ada Lovelace" mwg-rs:Type="Face">
         <mwg-rs:Area stArea:x="0.5" stArea:y="0.4" stArea:w="0.1" stArea:h="0.12"
          stArea:unit="normalized"/>
        </rdf:Description>
       </rdf:li>
      </rdf:Bag>
     </mwg-rs:RegionList>
    </mwg-rs:Regions>

The area is the face's centre and size on the stored image (MWG's frame, see
:mod:`clipdesk.sidecars.xmp.regions`), rounded to six decimals; the dimensions are the stored
image's in pixels. Into a sidecar that has regions already, only ``rdf:li`` items are added to
its list, in its own frame (its ``AppliedToDimensions`` stay as they are).

The rules: a region is ClipDesk's only when the catalog's record of the sidecar says ClipDesk
wrote it (its name and its area, to the written decimals); every other region is another
program's and is never touched, so only ClipDesk's own items are ever taken out, each its
whole ``rdf:li`` (every other byte stays). A face another program's region already names, at
an overlapping place, is not written twice. Once ClipDesk's regions leave a list empty, the
list goes, and the ``mwg-rs:Regions`` with it when ClipDesk created that. The result is
checked by reading it back: the other programs' regions as they were, ClipDesk's as asked,
and every other property and value still there (:func:`clipdesk.sidecars.xmp.preserve.
lost_properties`). What cannot be edited so is not written, with a note; the keywords still
are.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from clipdesk.sidecars.xmp import safexml
from clipdesk.sidecars.xmp.preserve import lost_properties
from clipdesk.sidecars.xmp.rdfedit import _attr_escape, _home, _line_indent, _qname, _whole_lines
from clipdesk.sidecars.xmp.region_geometry import (
    Box,
    centre_area,
    corner_box,
    in_shown_frame,
    stored_box,
    stored_size,
)
from clipdesk.sidecars.xmp.regions import (
    FACE,
    MWG_RS,
    ST_AREA,
    ST_DIM,
    MwgRegion,
    MwgRegions,
    Unreadable,
    find_mwg,
    overlaps,
    top_nodes,
)
from clipdesk.sidecars.xmp.safexml import RDF, Element, XmlRefused

#: What a brand-new sidecar is, before its regions are put in it (exiv2 then writes the file,
#: with the keywords, in its own serialisation).
NEW_DOCUMENT = (
    b'<?xpacket begin="\xef\xbb\xbf" id="W5M0MpCehiHzreSzNTczkc9d"?>\n'
    b'<x:xmpmeta xmlns:x="adobe:ns:meta/">\n'
    b' <rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">\n'
    b'  <rdf:Description rdf:about=""/>\n'
    b" </rdf:RDF>\n"
    b"</x:xmpmeta>\n"
    b'<?xpacket end="w"?>'
)
DECIMALS = 6
_SAME = 10.0**-DECIMALS


@dataclass(frozen=True)
class Written:
    """A region ClipDesk wrote: the person's name and the MWG area as written (centre x,
    centre y, w, h, in the frame of the list it is in)."""

    name: str
    area: Box

    def same(self, other: Written) -> bool:
        return self.name == other.name and all(
            abs(a - b) < _SAME for a, b in zip(self.area, other.area, strict=True)
        )

    def to_json(self) -> dict:
        x, y, w, h = self.area
        return {"name": self.name, "x": x, "y": y, "w": w, "h": h}

    @classmethod
    def from_json(cls, row: Mapping) -> Written:
        return cls(str(row["name"]), tuple(float(row[k]) for k in "xywh"))  # type: ignore[arg-type]


@dataclass(frozen=True)
class RegionRequest:
    """What export asks of a sidecar's regions: ``faces`` (name, box on the photo as
    displayed) to be there, ``ours`` the regions ClipDesk wrote last time (the record) and
    ``created`` whether it created the ``mwg-rs:Regions``; the photo's EXIF orientation and
    displayed size (None: unknown) give the stored frame."""

    faces: tuple[tuple[str, Box], ...] = ()
    ours: tuple[Written, ...] = ()
    created: bool = False
    orientation: int = 1
    width: int | None = None
    height: int | None = None


@dataclass(frozen=True)
class RegionsPlan:
    """What a write does to the regions: ``data`` the document with them edited (None: no
    change), ``written`` ClipDesk's regions in it afterwards and ``created`` whether
    ClipDesk created its ``mwg-rs:Regions`` (the record), the names added and removed, and
    ``note`` why they were not written."""

    data: bytes | None = None
    written: tuple[Written, ...] = ()
    created: bool = False
    added: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()
    note: str = ""

    @property
    def changed(self) -> bool:
        return self.data is not None

    def without_data(self) -> RegionsPlan:
        return RegionsPlan(None, self.written, self.created, self.added, self.removed, self.note)


def plan_regions(data: bytes | None, request: RegionRequest | None) -> RegionsPlan:
    """What writing ``request`` does to the document ``data`` (None: no sidecar yet). Never
    raises: regions that cannot be edited safely are left as they are, with a note."""
    if request is None or not (request.faces or request.ours):
        return RegionsPlan()
    try:
        return _plan(data, request)
    except (XmlRefused, Unreadable) as exc:
        kept = request.ours if data is not None else ()
        return RegionsPlan(None, kept, request.created and bool(kept), note=_note(exc))


def _note(exc: Exception) -> str:
    return f"face regions not written: {exc}"


def _number(value: float) -> str:
    text = f"{round(value, DECIMALS) + 0.0:.{DECIMALS}f}".rstrip("0").rstrip(".")
    return "0" if text in ("", "-0") else text


def _is_ours(region: MwgRegion, w: Written) -> bool:
    return (
        region.area is not None
        and not region.problem
        and (region.kind or "") == FACE
        and w.same(Written(region.name or "", region.area))
    )


def _plan(data: bytes | None, req: RegionRequest) -> RegionsPlan:
    doc = data if data is not None else NEW_DOCUMENT
    if not safexml.encoding_is_utf8(doc):
        raise XmlRefused("not UTF-8 (ClipDesk only edits UTF-8 XMP)")
    nodes = top_nodes(doc)
    found = find_mwg(nodes)
    o = req.orientation
    shown = o == 1 or (found is not None and in_shown_frame(found.dims, o, req.width, req.height))
    want: list[Written] = []
    for name, box in req.faces:
        b = box if shown else stored_box(box, o)
        w = Written(name, tuple(round(v, DECIMALS) + 0.0 for v in centre_area(b)))  # type: ignore[arg-type]
        if not any(w.same(x) for x in want):
            want.append(w)

    pool, mine, foreign = list(req.ours), [], []
    for region in found.regions if found is not None else ():
        w = next((w for w in pool if _is_ours(region, w)), None)
        if w is not None:
            pool.remove(w)
            mine.append((region, w))
        else:
            foreign.append(region)
    # A face another program's region names at an overlapping place: not written twice.
    want = [
        w
        for w in want
        if not any(
            f.is_face
            and f.area is not None
            and (f.name or "").casefold() == w.name.casefold()
            and overlaps(corner_box(f.area), corner_box(w.area))
            for f in foreign
        )
    ]
    kept: list[Written] = []
    remove: list[MwgRegion] = []
    for region, w in mine:
        match = next((x for x in want if x.same(w)), None)
        if match is not None:
            want.remove(match)
            kept.append(w)
        else:
            remove.append(region)
    add = want
    created = found is not None and req.created
    if not add and not remove:
        return RegionsPlan(None, tuple(kept), created and bool(kept))

    edits: list[tuple[int, int, str]] = []
    nl = "\n" if b"\n" in doc else ""
    if found is None:
        home = _home(nodes)
        if home is None:
            raise XmlRefused("no rdf:Description to add the regions to")
        dims = stored_size(o, req.width, req.height) if not shown else _dims(req)
        edits.append(_insert(doc, home, lambda ns: _regions_lines(ns, dims, add), nl))
        created = True
    else:
        emptied = not add and len(remove) == len(found.regions)
        if emptied and req.created and not found.other_fields:
            edits.append((*_whole_lines(doc, found.element.start, found.element.end), ""))
            created = False
        elif emptied and found.region_list is not None:
            edits.append((*_whole_lines(doc, found.region_list.start, found.region_list.end), ""))
        else:
            edits += [(*_whole_lines(doc, r.li.start, r.li.end), "") for r in remove]
        if add:
            edits.append(_add_items(doc, found, add, nl))
    baseline = _apply(doc, [e for e in edits if not e[2]])
    out = _apply(doc, edits)
    _check(out, baseline, foreign, [*kept, *add])
    names = tuple(sorted(w.name for w in add))
    gone = tuple(sorted(r.name or "" for r in remove))
    return RegionsPlan(out, (*kept, *add), created, names, gone)


def _dims(req: RegionRequest) -> tuple[int, int] | None:
    return (req.width, req.height) if req.width and req.height else None


def _apply(data: bytes, edits: Sequence[tuple[int, int, str]]) -> bytes:
    out = data
    for start, end, text in sorted(edits, key=lambda e: (e[0], e[1]), reverse=True):
        out = out[:start] + text.encode("utf-8") + out[end:]
    return out


def _check(out: bytes, baseline: bytes, foreign: list[MwgRegion], ours: list[Written]) -> None:
    """The edit reads back as meant: the other programs' regions as they were (in order), ours
    as asked, and nothing else lost but the items taken out."""
    found = find_mwg(top_nodes(out))
    regions = found.regions if found is not None else []
    pool, theirs = list(ours), []
    for region in regions:
        w = next((w for w in pool if _is_ours(region, w)), None)
        if w is not None:
            pool.remove(w)
        else:
            theirs.append(region)
    seen = [(r.name, r.kind, r.area, r.problem) for r in theirs]
    if pool or seen != [(r.name, r.kind, r.area, r.problem) for r in foreign]:
        raise XmlRefused("the edited regions did not read back as written")
    lost = lost_properties(baseline, out)
    if lost:
        raise XmlRefused("the edit would drop " + ", ".join(lost[:3]))


# ---------------------------------------------------------------- building the new elements


class _Names:
    """Prefixes for the namespaces a new fragment uses, in the scope it goes into; the
    declarations missing there go on the fragment's outermost element."""

    def __init__(self, scope: Mapping[str, str]):
        self.scope = dict(scope)
        self.decls: list[str] = []

    def __call__(self, uri: str, preferred: str) -> str:
        prefix, decl = _qname(uri, preferred, self.scope)
        if decl:
            self.scope[prefix] = uri
            self.decls.append(decl)
        return prefix

    def declarations(self) -> str:
        return "".join(self.decls)


Lines = list[tuple[int, str]]  # (depth, text)


def _item_lines(ns: _Names, w: Written) -> Lines:
    rdf, mwg, area = ns(RDF, "rdf"), ns(MWG_RS, "mwg-rs"), ns(ST_AREA, "stArea")
    values = " ".join(f'{area}:{k}="{_number(v)}"' for k, v in zip("xywh", w.area, strict=True))
    return [
        (0, f"<{rdf}:li>"),
        (1, f'<{rdf}:Description {mwg}:Name="{_attr_escape(w.name)}" {mwg}:Type="{FACE}">'),
        (2, f'<{mwg}:Area {values} {area}:unit="normalized"/>'),
        (1, f"</{rdf}:Description>"),
        (0, f"</{rdf}:li>"),
    ]


def _list_lines(ns: _Names, items: Sequence[Written]) -> Lines:
    rdf, mwg = ns(RDF, "rdf"), ns(MWG_RS, "mwg-rs")
    inner = [(d + 2, t) for w in items for d, t in _item_lines(ns, w)]
    return [
        (0, f"<{mwg}:RegionList>"),
        (1, f"<{rdf}:Bag>"),
        *inner,
        (1, f"</{rdf}:Bag>"),
        (0, f"</{mwg}:RegionList>"),
    ]


def _regions_lines(ns: _Names, dims: tuple[int, int] | None, items: Sequence[Written]) -> Lines:
    rdf, mwg = ns(RDF, "rdf"), ns(MWG_RS, "mwg-rs")
    lines: Lines = [(0, f'<{mwg}:Regions {rdf}:parseType="Resource">')]
    if dims is not None:
        dim = ns(ST_DIM, "stDim")
        size = f'{dim}:w="{dims[0]}" {dim}:h="{dims[1]}" {dim}:unit="pixel"'
        lines.append((1, f"<{mwg}:AppliedToDimensions {size}/>"))
    lines += [(d + 1, t) for d, t in _list_lines(ns, items)]
    lines.append((0, f"</{mwg}:Regions>"))
    return lines


def _declared(lines: Lines, ns: _Names) -> Lines:
    """The fragment with the missing declarations on its outermost start tag."""
    depth, first = lines[0]
    decls = ns.declarations()
    if decls:
        name_end = first.find(" ") if " " in first else first.rfind(">")
        first = first[:name_end] + decls + first[name_end:]
    return [(depth, first), *lines[1:]]


def _text(lines: Lines, indent: str, nl: str, step: str = " ") -> str:
    if not nl:
        return "".join(t for _, t in lines)
    return "".join(f"{indent}{step * d}{t}\n" for d, t in lines)


def _in_place(lines: Lines, indent: str, nl: str, step: str = " ") -> str:
    """A fragment that replaces an element where it stands (its first line already indented)."""
    return lines[0][1] + "".join(f"{nl}{indent}{step * d if nl else ''}{t}" for d, t in lines[1:])


def _child_indent(data: bytes, parent: Element) -> str:
    if parent.children:
        lead = _line_indent(data, parent.children[0].start)
        if lead is not None:
            return lead.decode()
    return ((_line_indent(data, parent.start) or b"").decode()) + " "


def _insert(data: bytes, parent: Element, build, nl: str) -> tuple[int, int, str]:
    """The edit that puts a new fragment (``build(names)`` -> lines) last into ``parent``."""
    ns = _Names(parent.scope)
    lines = _declared(build(ns), ns)
    indent = _child_indent(data, parent)
    if parent.self_closing:
        qname = (parent.prefix + ":" if parent.prefix else "") + parent.local
        closing = (_line_indent(data, parent.start) or b"").decode()
        body = _text(lines, indent, nl) + (closing if nl else "")
        return (parent.open_end - 2, parent.open_end, f">{nl}{body}</{qname}>")
    at = parent.close_start
    lead = _line_indent(data, at)
    if nl and lead is not None and at - len(lead) > parent.open_end:
        line = at - len(lead)
        return (line, line, _text(lines, indent, nl))
    return (at, at, _text(lines, "", ""))


def _add_items(data: bytes, found: MwgRegions, items: Sequence[Written], nl: str):
    """The edit that adds ``items`` to an existing ``mwg-rs:Regions``: into its list, or a new
    list into it."""
    if found.bag is not None:
        return _insert(
            data, found.bag, lambda ns: [i for w in items for i in _item_lines(ns, w)], nl
        )
    body = found.body
    if body is found.element and body.attrs.get((RDF, "parseType")) != "Resource":
        raise Unreadable("mwg-rs:Regions is written in a form ClipDesk does not edit")
    if found.region_list is not None:  # <mwg-rs:RegionList/>: replaced by one with the items
        el = found.region_list
        ns = _Names(el.parent.scope if el.parent is not None else el.scope)
        lines = _declared(_list_lines(ns, items), ns)
        indent = (_line_indent(data, el.start) or b"").decode()
        return (el.start, el.end, _in_place(lines, indent, nl))
    return _insert(data, body, lambda ns: _list_lines(ns, items), nl)
