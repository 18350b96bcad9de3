"""A read-only safety net: check that a rewrite kept every property other programs wrote.

exiv2's XMP toolkit carries unknown namespaces, structures and language alternatives over, but
a sidecar is the user's data, so before a rewrite replaces a file this module compares the old
and new XML: every property name and every value outside the keyword fields ClipDesk manages
must still be there. The XML is only *read* here (to inventory it), never built.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections import Counter

RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
META = "adobe:ns:meta/"
XML = "http://www.w3.org/XML/1998/namespace"
#: The fields ClipDesk rewrites, as ElementTree names.
MANAGED = frozenset(
    {
        "{http://purl.org/dc/elements/1.1/}subject",
        "{http://ns.adobe.com/lightroom/1.0/}hierarchicalSubject",
        "{http://www.digikam.org/ns/1.0/}TagsList",
    }
)
_STRUCTURAL = (RDF, META)


def _ns(name: str) -> str:
    return name[1:].split("}", 1)[0] if name.startswith("{") else ""


def inventory(xml: bytes) -> tuple[Counter[str], Counter[str]]:
    """Property names and values found in an XMP document, outside the managed fields.

    Raises ``xml.etree.ElementTree.ParseError`` for XML that is not well-formed.
    """
    root = ET.fromstring(xml)
    names: Counter[str] = Counter()
    values: Counter[str] = Counter()

    def walk(element: ET.Element) -> None:
        if element.tag in MANAGED:
            return
        if _ns(element.tag) not in _STRUCTURAL:
            names[element.tag] += 1
        for attr, value in element.attrib.items():
            if attr in MANAGED:
                continue
            if _ns(attr) == XML:
                values[value] += 1
            elif _ns(attr) not in _STRUCTURAL and _ns(attr):
                names[attr] += 1
                values[value] += 1
        if element.text and element.text.strip():
            values[element.text.strip()] += 1
        for child in element:
            walk(child)

    walk(root)
    return names, values


def lost_properties(old_xml: bytes, new_xml: bytes) -> list[str]:
    """What ``new_xml`` lacks that ``old_xml`` had (names and values), for a one-line report.

    Empty when nothing was lost. Counts matter: a value that occurred twice must still occur
    twice.
    """
    old_names, old_values = inventory(old_xml)
    new_names, new_values = inventory(new_xml)
    lost = [f"property {n}" for n in sorted(old_names - new_names)]
    lost += [f"value {v[:40]!r}" for v in sorted(old_values - new_values)]
    return lost
