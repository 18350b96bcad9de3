"""Blank nodes shared by ``rdf:nodeID``: where each is described, and which properties point at it.

f-spot writes a sidecar's ``dc:subject`` as ``<dc:subject rdf:nodeID="anon2"/>`` and the list
itself as a top-level ``<rdf:Bag rdf:nodeID="anon2">`` (exiftool's ``XMP2.xmp`` sample). In
RDF/XML an element carrying ``rdf:nodeID`` is either a *node* (it describes the blank node) or a
*property* (its value is that node), depending on where it stands: the children of ``rdf:RDF``
are nodes, a node's children are properties, and a property's children are nodes again, except
under ``rdf:parseType="Resource"``, whose children are properties. This module walks the tree
once (without recursion) and sorts them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from clipdesk.sidecars.xmp.safexml import RDF, Element, XmlRefused

#: The RDF containers a list-valued property holds.
LISTS = frozenset({"Bag", "Seq", "Alt"})


@dataclass(frozen=True)
class NodeIds:
    """Each ``rdf:nodeID`` of a document: the nodes that describe it, and the property
    elements that point at it (``<p rdf:nodeID="x"/>``), in document order."""

    described: dict[str, list[Element]] = field(default_factory=dict)
    pointers: dict[str, list[Element]] = field(default_factory=dict)

    @classmethod
    def of(cls, rdf: Element | None) -> NodeIds:
        """The blank nodes under ``rdf`` (the ``rdf:RDF`` element; None: none)."""
        out = cls()
        if rdf is None:
            return out
        stack = [(child, True) for child in reversed(rdf.children)]  # (element, is a node)
        while stack:
            el, is_node = stack.pop()
            node_id = el.attrs.get((RDF, "nodeID"))
            if node_id is not None:
                into = out.described if is_node else out.pointers
                into.setdefault(node_id, []).append(el)
            parse_type = el.attrs.get((RDF, "parseType"))
            if parse_type == "Literal":  # XML as a value: no RDF below
                continue
            below_is_node = not is_node and parse_type != "Resource"
            stack.extend((child, below_is_node) for child in reversed(el.children))
        return out

    def list_of(self, prop: Element, name: str) -> Element:
        """The list a property element points at by ``rdf:nodeID``. ``name`` is how the
        property is called in a refusal (``dc:subject``).

        Raises :class:`XmlRefused` (a one-line reason) when the
        node is not in the document, is described more than once, or is not a list.
        """
        node_id = prop.attrs[(RDF, "nodeID")]
        found = self.described.get(node_id, [])
        where = f"its {name} is given by reference (rdf:nodeID {node_id!r})"
        if not found:
            raise XmlRefused(f"{where}, and the file does not have that node")
        if len(found) > 1:
            raise XmlRefused(f"{where}, and the file describes that node {len(found)} times")
        target = found[0]
        if not (target.uri == RDF and target.local in LISTS):
            raise XmlRefused(f"{where} to a structure, not a list of keywords")
        if target.start <= prop.start < target.end:
            raise XmlRefused(f"{where} to a list that holds the property itself")
        return target

    def shared(self, node_id: str) -> bool:
        """True when more than one property points at the node (or one points at a node a
        property holds in place): changing the node would change another property."""
        pointers = self.pointers.get(node_id, [])
        held = [n for n in self.described.get(node_id, []) if _held_by_property(n)]
        return len(pointers) + len(held) > 1


def _held_by_property(node: Element) -> bool:
    """True for a node written inside a property element (not at the top of ``rdf:RDF``)."""
    return node.parent is not None and node.parent.name != (RDF, "RDF")


def managed_lists(rdf: Element | None, managed: frozenset[tuple[str, str]]) -> set[int]:
    """``id()`` of each list node that only ``managed`` properties point at (and that is
    described once): the value of a keyword field, written apart from it."""
    ids = NodeIds.of(rdf)
    out: set[int] = set()
    for node_id, pointers in ids.pointers.items():
        nodes = ids.described.get(node_id, [])
        if len(nodes) != 1 or not all(p.name in managed for p in pointers):
            continue
        node = nodes[0]
        if node.uri == RDF and node.local in LISTS and not _held_by_property(node):
            out.add(id(node))
    return out
