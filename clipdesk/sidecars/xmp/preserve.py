"""A read-only safety net: check that a rewrite kept every property other programs wrote.

exiv2's XMP toolkit carries unknown namespaces, structures and language alternatives over, but
a sidecar is the user's data, so before a rewrite replaces a file this module compares the old
and new XML: every property name, every value and every RDF link (``rdf:about``,
``rdf:resource``, a node shared by ``rdf:nodeID``) outside the keyword fields ClipDesk manages
must still be there. A list given by ``rdf:nodeID`` that only those fields point at (f-spot's
``dc:subject``) is their value, written apart: it is theirs, not another program's. The XML is
only *read* here (to inventory it), never built.
"""

from __future__ import annotations

from collections import Counter

from clipdesk.sidecars.xmp import safexml
from clipdesk.sidecars.xmp.nodeids import managed_lists

RDF = safexml.RDF
META = "adobe:ns:meta/"
XML = safexml.XML_NS
#: The fields ClipDesk rewrites, as (namespace URI, local name).
MANAGED = frozenset(
    {
        ("http://purl.org/dc/elements/1.1/", "subject"),
        ("http://ns.adobe.com/lightroom/1.0/", "hierarchicalSubject"),
        ("http://www.digikam.org/ns/1.0/", "TagsList"),
    }
)
_STRUCTURAL = (RDF, META)
#: RDF attributes that carry data: a subject URI, a link, a shared node, a datatype. A rewrite
#: that drops one (exiv2 writes every node inline and about "") changes the document's meaning.
_RDF_LINKS = frozenset((RDF, a) for a in ("about", "resource", "nodeID", "datatype", "ID"))


def _label(name: tuple[str, str]) -> str:
    return f"{{{name[0]}}}{name[1]}" if name[0] else name[1]


def inventory(
    xml: bytes, also: frozenset[tuple[str, str]] = frozenset()
) -> tuple[Counter[str], Counter[str]]:
    """Property names and values found in an XMP document, outside the managed fields (and
    outside ``also``: a simple property this write may change, such as ``xmp:Rating``).

    Raises :class:`clipdesk.sidecars.xmp.safexml.XmlRefused` for XML that is not well-formed, too
    big
    or too deep (the walk itself is iterative: no depth can exhaust Python's stack).
    """
    names: Counter[str] = Counter()
    values: Counter[str] = Counter()
    managed = MANAGED | also
    root = safexml.parse(xml)
    rdf = next((e for e in root.iter() if e.name == (RDF, "RDF")), None)
    theirs = managed_lists(rdf, MANAGED)  # the keyword fields' lists given by rdf:nodeID
    stack = [root]
    while stack:
        element = stack.pop()
        if element.name in managed or id(element) in theirs:
            continue
        if element.uri not in _STRUCTURAL:
            names[_label(element.name)] += 1
        for attr, value in element.attrs.items():
            if attr in managed:
                continue
            if attr[0] == XML:
                values[value] += 1
            elif attr in _RDF_LINKS and value:  # what the node is about, or links to
                values[f"rdf:{attr[1]}={value}"] += 1
            elif attr[0] not in _STRUCTURAL and attr[0]:
                names[_label(attr)] += 1
                values[value] += 1
        if element.text and element.text.strip():
            values[element.text.strip()] += 1
        stack.extend(element.children)
    return names, values


def lost_properties(
    old_xml: bytes, new_xml: bytes, also: frozenset[tuple[str, str]] = frozenset()
) -> list[str]:
    """What ``new_xml`` lacks that ``old_xml`` had (names and values), for a one-line report.

    Empty when nothing was lost. Counts matter: a value that occurred twice must still occur
    twice. ``also``: properties (``(uri, local)``) the write was asked to change.
    """
    old_names, old_values = inventory(old_xml, also)
    new_names, new_values = inventory(new_xml, also)
    lost = [f"property {n}" for n in sorted(old_names - new_names)]
    lost += [f"value {v[:40]!r}" for v in sorted(old_values - new_values)]
    return lost
