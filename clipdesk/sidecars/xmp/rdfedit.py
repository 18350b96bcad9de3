"""Read and edit only the keyword properties of an XMP document, keeping every other byte.

The second engine, for sidecars exiv2 cannot round-trip (documents its XMP toolkit rejects,
such as top-level typed nodes, or values it would rewrite, such as ``exif:FlashpixVersion``
``0.1.0.0``). The document is parsed by :mod:`clipdesk.sidecars.xmp.safexml` (no DTD, size and depth
limits); the new keyword properties are spliced into the original bytes at the offsets the
parser reports, so everything outside them stays byte-for-byte as it was. Nothing else of the
document is ever built here.

Handled RDF forms: properties as elements or as attributes (``dc:subject="x"``), arrays
(``rdf:Bag`` / ``rdf:Seq`` / ``rdf:Alt`` of ``rdf:li``, an item's ``rdf:value``), a property
pointing at an array described elsewhere by ``rdf:nodeID`` (f-spot's form), several
``rdf:Description`` blocks (with or without ``rdf:about``) and top-level typed nodes, any
namespace prefixes (a prefix not in scope is declared on the new element itself). A field found
in several blocks is read as one list and written back into the first of them. A new field goes
into the first ``rdf:Description``. A keyword field holding a structure is refused
(:class:`XmlRefused`), never guessed at.

A list given by ``rdf:nodeID`` (:mod:`clipdesk.sidecars.xmp.nodeids`) that only this field points
at is edited where it is, its items replaced, the reference left as it was (emptied: both go).
A list another property points at too keeps its items for that property: the field gets a list
of its own in place of the reference. A list the field holds itself that another property points
at cannot change without changing that property too, so it is refused, saying so.

Simple text properties (:data:`SIMPLE`: the marks, ``xmp:Rating``, ``xmp:Label``, digiKam's
``ColorLabel`` and ``PickLabel``) are read and edited too, as an attribute or an element:
removed wherever they are, or added as a new element in the first ``rdf:Description`` (a new
value replaces the old one so). Whether another program's value may be replaced is the
caller's decision (:mod:`clipdesk.sidecars.xmp.marks_plan`), not this module's.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from clipdesk.sidecars.xmp import safexml
from clipdesk.sidecars.xmp.nodeids import NodeIds
from clipdesk.sidecars.xmp.preserve import lost_properties
from clipdesk.sidecars.xmp.safexml import RDF, Element, XmlRefused

#: exiv2 key -> (namespace URI, local name, usual prefix, array type for a new field)
FIELDS: dict[str, tuple[str, str, str, str]] = {
    "Xmp.dc.subject": ("http://purl.org/dc/elements/1.1/", "subject", "dc", "Bag"),
    "Xmp.lr.hierarchicalSubject": (
        "http://ns.adobe.com/lightroom/1.0/",
        "hierarchicalSubject",
        "lr",
        "Bag",
    ),
    "Xmp.digiKam.TagsList": ("http://www.digikam.org/ns/1.0/", "TagsList", "digiKam", "Seq"),
}
#: exiv2 key -> (namespace URI, local name, usual prefix) of a simple text property
SIMPLE: dict[str, tuple[str, str, str]] = {
    "Xmp.xmp.Rating": ("http://ns.adobe.com/xap/1.0/", "Rating", "xmp"),
    "Xmp.xmp.Label": ("http://ns.adobe.com/xap/1.0/", "Label", "xmp"),
    "Xmp.digiKam.ColorLabel": ("http://www.digikam.org/ns/1.0/", "ColorLabel", "digiKam"),
    "Xmp.digiKam.PickLabel": ("http://www.digikam.org/ns/1.0/", "PickLabel", "digiKam"),
}
_ARRAYS = {"Bag", "Seq", "Alt"}
_REF_ATTR = re.compile(r"\s+[\w.-]+:(nodeID|resource)\s*=\s*(\"[^\"]*\"|'[^']*')")
_BAD_CHARS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _rdf_root(doc: Element) -> Element:
    for el in doc.iter():
        if el.name == (RDF, "RDF"):
            return el
    raise XmlRefused("no rdf:RDF in it (not XMP)")


def _array(el: Element) -> Element | None:
    return next((c for c in el.children if c.uri == RDF and c.local in _ARRAYS), None)


def _item_text(li: Element) -> str:
    if not li.children:
        return li.attrs.get((RDF, "value"), li.text)
    value = next((c for c in li.children if c.name == (RDF, "value")), None)
    if value is None or value.children:
        raise XmlRefused("a keyword is a structure, not text")
    return value.text


def _written_name(el: Element) -> str:
    """An element's name as the file writes it (``dc:subject``), for a refusal."""
    return f"{el.prefix}:{el.local}" if el.prefix else el.local


def _by_reference(el: Element) -> bool:
    """True for ``<p rdf:nodeID=".."/>``: the value is a node described elsewhere."""
    return (RDF, "nodeID") in el.attrs and not el.children


def _element_items(el: Element, ids: NodeIds) -> list[str]:
    if _by_reference(el):
        target = ids.list_of(el, _written_name(el))
        return [_item_text(li) for li in target.children if li.name == (RDF, "li")]
    if (RDF, "resource") in el.attrs:
        return [el.attrs[(RDF, "resource")]]
    if el.attrs.get((RDF, "parseType")) is not None:
        raise XmlRefused("a keyword field is a structure, not a list")
    array = _array(el)
    if array is not None:
        return [_item_text(li) for li in array.children if li.name == (RDF, "li")]
    if el.children:
        raise XmlRefused("a keyword field is a structure, not a list")
    return [el.text] if el.text.strip() else []


class _Doc:
    """A parsed document and where each keyword field occurs in it."""

    def __init__(self, data: bytes):
        self.data = data
        self.root = safexml.parse(data)
        self.rdf = _rdf_root(self.root)
        self.nodes = list(self.rdf.children)
        self.ids = NodeIds.of(self.rdf)
        # key -> [(node, element or None, attribute name or None)]
        self.found = {key: self._hits(uri, local) for key, (uri, local, _, _) in FIELDS.items()}
        self.simple = {key: self._hits(uri, local) for key, (uri, local, _) in SIMPLE.items()}

    def _hits(self, uri: str, local: str):
        hits: list[tuple[Element, Element | None, tuple[str, str] | None]] = []
        for node in self.nodes:
            if (uri, local) in node.attrs:
                hits.append((node, None, (uri, local)))
            hits += [(node, c, None) for c in node.children if c.name == (uri, local)]
        return hits

    def simple_value(self, key: str) -> str | None:
        values = []
        for node, el, attr in self.simple[key]:
            if el is None and attr is not None:
                values.append(node.attrs[attr])
            elif el is not None:
                if el.children or {(RDF, "parseType"), (RDF, "resource")} & set(el.attrs):
                    raise XmlRefused(f"{SIMPLE[key][1]} is a structure, not a value")
                values.append(el.text.strip())
        if len(set(values)) > 1:
            raise XmlRefused(f"it holds {SIMPLE[key][1]} twice, with different values")
        return values[0] if values else None

    def fields(self) -> dict[str, list[str]]:
        out: dict[str, list[str]] = {}
        for key, hits in self.found.items():
            items: list[str] = []
            for node, el, attr in hits:
                items += [node.attrs[attr]] if el is None and attr else []
                items += _element_items(el, self.ids) if el is not None else []
            out[key] = items
        return out


def read_fields(data: bytes) -> dict[str, list[str]]:
    """The keyword fields of an XMP document, keyed like
    :func:`clipdesk.sidecars.xmp._exiv2.fields_of`.

    Raises :class:`XmlRefused` (one-line reason).
    """
    return _Doc(data).fields()


def read_simple(data: bytes, key: str) -> str | None:
    """One simple property (a :data:`SIMPLE` key) of an XMP document, None when absent.

    Raises :class:`XmlRefused` (one-line reason).
    """
    return _Doc(data).simple_value(key)


# ---------------------------------------------------------------- writing


def _escape(text: str) -> str:
    if _BAD_CHARS.search(text):
        raise XmlRefused("a keyword holds a control character XML cannot carry")
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _attr_escape(text: str) -> str:
    return _escape(text).replace('"', "&quot;")


def _qname(uri: str, preferred: str, scope: Mapping[str, str]) -> tuple[str, str]:
    """A qualified-name prefix for ``uri`` in ``scope``, and the declaration it needs (if any)."""
    for prefix, bound in scope.items():
        if bound == uri and prefix and scope.get(prefix) == uri:
            return prefix, ""
    return preferred, f' xmlns:{preferred}="{_attr_escape(uri)}"'


def _line_indent(data: bytes, at: int) -> bytes | None:
    """The whitespace between the start of ``at``'s line and ``at``, None if other text."""
    line = data.rfind(b"\n", 0, at) + 1
    lead = data[line:at]
    return lead if not lead.strip() else None


def _inner(items: Sequence[str], rdf: str, kind: str, indent: str, nl: str) -> str:
    step = " " if nl else ""
    lis = "".join(f"{nl}{indent}{step}{step}<{rdf}:li>{_escape(i)}</{rdf}:li>" for i in items)
    return f"{nl}{indent}{step}<{rdf}:{kind}>{lis}{nl}{indent}{step}</{rdf}:{kind}>{nl}{indent}"


def _new_element(key: str, items: Sequence[str], scope: Mapping[str, str], indent: str, nl: str):
    uri, local, preferred, kind = FIELDS[key]
    prefix, decl = _qname(uri, preferred, scope)
    rdf, rdf_decl = _qname(RDF, "rdf", {**scope, prefix: uri} if decl else scope)
    inner = _inner(items, rdf, kind, indent, nl)
    return f"<{prefix}:{local}{decl}{rdf_decl}>{inner}</{prefix}:{local}>"


def _attr_span(data: bytes, node: Element, attr: tuple[str, str]) -> tuple[int, int]:
    prefix = node.attr_prefixes.get(attr, "")
    qname = (prefix + ":" if prefix else "") + attr[1]
    tag = data[node.start : node.open_end]
    pattern = rb"\s+" + re.escape(qname.encode()) + rb"\s*=\s*(\"[^\"]*\"|'[^']*')"
    match = re.search(pattern, tag)
    if match is None:
        raise XmlRefused("cannot locate a keyword attribute")
    return node.start + match.start(), node.start + match.end()


def _whole_lines(data: bytes, start: int, end: int) -> tuple[int, int]:
    """Widen ``[start, end)`` to its full lines when nothing else is on them."""
    lead = _line_indent(data, start)
    nl = data.find(b"\n", end)
    tail_end = nl if nl >= 0 else len(data)
    if lead is not None and not data[end:tail_end].strip() and nl >= 0:
        return start - len(lead), nl + 1
    return start, end


def _home(nodes: Sequence[Element]) -> Element | None:
    """The node new fields go into: the first ``rdf:Description`` about the photo (not an
    anonymous ``rdf:nodeID`` node another property points at), else the first such node."""
    about = [n for n in nodes if (RDF, "nodeID") not in n.attrs]
    for group in (about, nodes):
        for n in group:
            if n.name == (RDF, "Description"):
                return n
    return about[0] if about else None


def _list_in_place(ids: NodeIds, el: Element) -> Element | None:
    """The list node a field element ``el`` points at by ``rdf:nodeID`` when nothing else uses
    it: that node is edited, the reference kept (None: the field's own element is edited).

    Raises :class:`XmlRefused` for a list the field holds that another property points at."""
    name = _written_name(el)
    if _by_reference(el):
        node_id = el.attrs[(RDF, "nodeID")]
        return None if ids.shared(node_id) else ids.list_of(el, name)
    array = _array(el)
    node_id = array.attrs.get((RDF, "nodeID")) if array is not None else None
    if node_id is not None and ids.shared(node_id):
        raise XmlRefused(
            f"its {name} is a list shared by reference (rdf:nodeID {node_id!r}) with another "
            "property, which would change with it"
        )
    return None


def _refill(data: bytes, node: Element, items: Sequence[str], name: str, nl: str):
    """The edit that makes the list ``node`` hold ``items``, its own start tag kept."""
    if any(c.name != (RDF, "li") for c in node.children):
        raise XmlRefused(f"the list of its {name} holds more than keywords")
    li = f"{node.prefix}:li" if node.prefix else "li"
    own = (_line_indent(data, node.start) or b"").decode() if nl else ""
    first = node.children[0] if node.children else None
    step = _line_indent(data, first.start) if first is not None and nl else None
    ind = step.decode() if step is not None else (own + " " if nl else "")
    body = "".join(f"{nl}{ind}<{li}>{_escape(i)}</{li}>" for i in items) + f"{nl}{own}"
    if not node.self_closing:
        return node.open_end, node.close_start, body
    tag = re.sub(r"\s*/>$", ">", data[node.start : node.open_end].decode())
    return node.start, node.end, f"{tag}{body}</{_written_name(node)}>"


def _new_simple(key: str, value: str, scope: Mapping[str, str]) -> str:
    uri, local, preferred = SIMPLE[key]
    prefix, decl = _qname(uri, preferred, scope)
    return f"<{prefix}:{local}{decl}>{_escape(value)}</{prefix}:{local}>"


def edit_fields(
    data: bytes,
    fields: Mapping[str, Sequence[str]],
    simple: Mapping[str, str | None] | None = None,
) -> bytes:
    """Return ``data`` with the keyword ``fields`` (exiv2 keys) set, every other byte kept.

    An empty list removes the field. ``simple`` sets (a str) or removes (None) simple
    properties (:data:`SIMPLE`), the old value replaced wherever it was. Raises
    :class:`XmlRefused` when the document cannot be parsed or edited safely; the result is
    checked by reading it back (the fields as asked, every other property and value still
    there).
    """
    simple = dict(simple or {})
    if not safexml.encoding_is_utf8(data):
        raise XmlRefused("not UTF-8 (the keyword editor only edits UTF-8 XMP)")
    doc = _Doc(data)
    current = doc.fields()
    edits: list[tuple[int, int, str]] = []
    inserts: list[str] = []  # new fields for the first node
    first = _home(doc.nodes)
    ind = ""
    if first is not None:
        if first.children:
            ind = (_line_indent(data, first.children[0].start) or b"").decode()
        else:
            ind = ((_line_indent(data, first.start) or b"").decode()) + " "
    nl = "\n" if b"\n" in data[doc.rdf.start : doc.rdf.end] else ""

    for key, wanted in fields.items():
        wanted = list(wanted)
        if key not in FIELDS or current.get(key, []) == wanted:
            continue
        hits = doc.found[key]
        placed = not wanted
        for node, el, attr in hits:
            if el is None and attr is not None:
                edits.append((*_attr_span(data, node, attr), ""))
                if not placed and node is first:
                    inserts.append(_new_element(key, wanted, first.scope, ind, nl))
                    placed = True
                elif not placed:
                    raise XmlRefused("a keyword attribute outside the first description")
            elif placed:
                edits.append((*_whole_lines(data, el.start, el.end), ""))
                listed = _list_in_place(doc.ids, el)
                if listed is not None:  # the list only this reference used goes with it
                    edits.append((*_whole_lines(data, listed.start, listed.end), ""))
            elif (listed := _list_in_place(doc.ids, el)) is not None:
                placed = True
                edits.append(_refill(data, listed, wanted, _written_name(el), nl))
            else:
                placed = True
                own = (_line_indent(data, el.start) or b"").decode()
                array = _array(el)
                kind = array.local if array is not None else FIELDS[key][3]
                rdf, decl = _qname(RDF, "rdf", el.scope)
                inner = _inner(wanted, rdf, kind, own, "\n" if nl else "")
                if array is not None or (el.text.strip() and not el.attrs):
                    edits.append((el.open_end, el.close_start, inner))
                else:  # <p rdf:nodeID=".."/>, <p rdf:resource=".."/>, <p/>: a new start tag
                    tag = data[el.start : el.open_end].decode()
                    tag = _REF_ATTR.sub("", tag)
                    tag = re.sub(r"\s*/>$", ">", tag)
                    if decl:
                        tag = tag[:-1] + decl + ">"
                    qname = (el.prefix + ":" if el.prefix else "") + el.local
                    edits.append((el.start, el.end, f"{tag}{inner}</{qname}>"))
        if not placed:
            if first is None:
                raise XmlRefused("no rdf:Description to add the keywords to")
            inserts.append(_new_element(key, wanted, first.scope, ind, nl))

    for key, value in simple.items():
        have = doc.simple_value(key)
        if have == value:
            continue
        if value is not None:
            if first is None:
                raise XmlRefused("no rdf:Description to add the property to")
            inserts.append(_new_simple(key, value, first.scope))
        for node, el, attr in doc.simple[key]:  # the old value goes, wherever it is
            if el is None and attr is not None:
                edits.append((*_attr_span(data, node, attr), ""))
            elif el is not None:
                edits.append((*_whole_lines(data, el.start, el.end), ""))

    if inserts:
        assert first is not None
        if first.self_closing:
            qname = (first.prefix + ":" if first.prefix else "") + first.local
            closing = (_line_indent(data, first.start) or b"").decode()
            body = "".join(f"{nl}{ind}{e}" for e in inserts)
            edits.append((first.open_end - 2, first.open_end, f">{body}{nl}{closing}</{qname}>"))
        else:
            at = first.close_start
            lead = _line_indent(data, at)
            if nl and lead is not None and at - len(lead) > first.open_end:
                line = at - len(lead)
                edits.append((line, line, "".join(f"{ind}{e}\n" for e in inserts)))
            else:
                edits.append((at, at, "".join(inserts)))

    if not edits:
        return data
    out = data
    for start, end, text in sorted(edits, key=lambda e: (e[0], e[1]), reverse=True):
        out = out[:start] + text.encode("utf-8") + out[end:]
    written = _Doc(out)
    check = written.fields()
    for key in FIELDS:
        want = list(fields[key]) if key in fields else current[key]
        if check[key] != want:
            raise XmlRefused("the edited keywords did not read back as written")
    for key, value in simple.items():
        if written.simple_value(key) != value:
            raise XmlRefused(f"the edited {SIMPLE[key][1]} did not read back as written")
    lost = lost_properties(data, out, frozenset(SIMPLE[k][:2] for k in simple))
    if lost:
        raise XmlRefused("the edit would drop " + ", ".join(lost[:3]))
    return out
