"""Hardened, read-only XML parsing of a sidecar, with the byte span of every element.

A sidecar is a file anyone can put next to a photo, so it is parsed with Python's expat
directly, under these rules (a violation raises :class:`XmlRefused` with a one-line reason):

- no DTD at all (XMP forbids one), hence no entity declarations, no external entities and no
  network access; parameter-entity parsing is off;
- at most :data:`MAX_BYTES` bytes and :data:`MAX_DEPTH` levels of elements, checked while
  parsing, and the tree is walked without recursion, so a hostile file costs one refusal,
  never a ``RecursionError`` or a blown C stack further on (exiv2 gets only files that pass).

One leniency, as exiftool has it: the ``<?xpacket ...?>`` wrapper is not part of the XMP data,
and a control character in it (exiftool's sample of f-spot's XMP, ``XMP2.xmp``, has
``begin="\\x1a"`` where the specification has U+FEFF or nothing) is read as a space, so such a
file is not refused as "not well-formed" (exiv2's toolkit refuses it). The bytes themselves are
never changed: offsets stay those of the file, and an edit keeps the wrapper exactly as it was.

Why expat and not lxml or ElementTree: expat reports the byte offset of every tag, so
:mod:`clipdesk.sidecars.xmp.rdfedit` can edit the keyword properties by splicing new bytes into the
file's own bytes, leaving every other byte (quotes, whitespace, comments, prefixes, character
references) exactly as the other program wrote it. lxml would re-serialise the whole document
(and is a 5 MB dependency); ElementTree loses prefixes and comments.
"""

from __future__ import annotations

import re
import xml.parsers.expat as expat
from dataclasses import dataclass, field

MAX_BYTES = 32 * 1024 * 1024
MAX_DEPTH = 64
_NS_SEP = "\x01"

RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
XML_NS = "http://www.w3.org/XML/1998/namespace"


class XmlRefused(Exception):
    """The document is not parsed (too big, too deep, a DTD, not well-formed XML...)."""


class XmlLimit(XmlRefused):
    """Refused on purpose, whatever else could read it: too big, too deep, or a DTD."""


class XmlMalformed(XmlRefused):
    """Not well-formed XML, or not XML at all: no XML reader reads it as it is."""


@dataclass(eq=False)
class Element:
    """One element: namespace URI, local name, the prefix it was written with, its
    attributes (``(uri, local)`` -> value), text, children and byte spans.

    ``start`` is the offset of its ``<``, ``open_end`` the offset just past its start tag,
    ``close_start`` the offset of its end tag (== ``open_end`` for ``<x/>``), ``end`` the offset
    just past the element. ``scope`` maps the prefixes in scope on it (its own included) to URIs.
    """

    uri: str
    local: str
    prefix: str
    attrs: dict[tuple[str, str], str]
    attr_prefixes: dict[tuple[str, str], str]
    scope: dict[str, str]
    start: int
    open_end: int = 0
    close_start: int = 0
    end: int = 0
    text: str = ""
    children: list[Element] = field(default_factory=list)
    parent: Element | None = None

    @property
    def name(self) -> tuple[str, str]:
        return (self.uri, self.local)

    @property
    def self_closing(self) -> bool:
        return self.close_start == self.open_end and self.end == self.open_end

    def iter(self):
        """This element and every element below it, depth-first, without recursion."""
        stack = [self]
        while stack:
            e = stack.pop()
            yield e
            stack.extend(reversed(e.children))


def too_big(limit: int | None = None) -> str:
    """The reason given for a file over the size limit."""
    limit = MAX_BYTES if limit is None else limit
    size = f"{limit // (1024 * 1024)} MB" if limit >= 1024 * 1024 else f"{limit} bytes"
    return f"too big to be a sidecar (over the {size} limit)"


def _split(name: str) -> tuple[str, str, str]:
    parts = name.split(_NS_SEP)
    if len(parts) == 3:
        return parts[0], parts[1], parts[2]
    if len(parts) == 2:
        return parts[0], parts[1], ""
    return "", parts[0], ""


#: The XMP packet wrapper's processing instructions, and the characters XML 1.0 forbids.
_XPACKET = re.compile(rb"<\?xpacket\b.*?\?>", re.DOTALL)
_CONTROL = re.compile(rb"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def _lenient_wrapper(data: bytes) -> bytes:
    """``data`` with each control character inside an ``<?xpacket ...?>`` wrapper replaced
    by a space (one byte for one: every offset stays the file's)."""
    if not _CONTROL.search(data):
        return data
    out = bytearray(data)
    for match in _XPACKET.finditer(data):
        for bad in _CONTROL.finditer(data, match.start(), match.end()):
            out[bad.start()] = 0x20
    return bytes(out)


_TAG_REST = re.compile(rb"""(?:[^"'>]+|"[^"]*"|'[^']*')*>""")


def _tag_end(data: bytes, lt: int) -> int:
    """The offset just past the ``>`` of the tag starting at ``lt`` (quotes respected)."""
    match = _TAG_REST.match(data, lt + 1)
    if match is None:
        raise XmlMalformed("not well-formed XML (an unterminated tag)")
    return match.end()


def parse(data: bytes, *, max_bytes: int | None = None, max_depth: int | None = None) -> Element:
    """Parse ``data`` into a tree of :class:`Element`; raise :class:`XmlRefused`.

    The limits default to :data:`MAX_BYTES` and :data:`MAX_DEPTH`."""
    max_bytes = MAX_BYTES if max_bytes is None else max_bytes
    max_depth = MAX_DEPTH if max_depth is None else max_depth
    if len(data) > max_bytes:
        raise XmlLimit(too_big(max_bytes))
    parser = expat.ParserCreate(namespace_separator=_NS_SEP)
    parser.namespace_prefixes = True
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    stack: list[Element] = []
    root: list[Element] = []
    pending: dict[str, str] = {}
    base_scope: dict[str, str] = {"xml": XML_NS}

    def refuse(*_args) -> None:
        raise XmlLimit("has a DTD or entity declarations (not allowed in XMP)")

    def ns_start(prefix: str | None, uri: str | None) -> None:
        pending[prefix or ""] = uri or ""

    def start(name: str, attrs: dict[str, str]) -> None:
        if len(stack) >= max_depth:
            raise XmlLimit(f"nested too deeply (more than {max_depth} levels)")
        uri, local, prefix = _split(name)
        scope = stack[-1].scope if stack else base_scope
        if pending:
            scope = {**scope, **pending}
            pending.clear()
        lt = parser.CurrentByteIndex
        a: dict[tuple[str, str], str] = {}
        ap: dict[tuple[str, str], str] = {}
        for key, value in attrs.items():
            au, al, apx = _split(key)
            a[(au, al)] = value
            ap[(au, al)] = apx
        el = Element(uri, local, prefix, a, ap, scope, lt, _tag_end(data, lt))
        if stack:
            el.parent = stack[-1]
            stack[-1].children.append(el)
        else:
            root.append(el)
        stack.append(el)

    def end(_name: str) -> None:
        el = stack.pop()
        at = parser.CurrentByteIndex
        if data.startswith(b"</", at):
            el.close_start, el.end = at, _tag_end(data, at)
        else:  # <x/>: the end event comes at the start tag
            el.close_start = el.end = el.open_end

    def chars(text: str) -> None:
        if stack:
            stack[-1].text += text

    parser.StartDoctypeDeclHandler = refuse
    parser.EntityDeclHandler = refuse
    parser.UnparsedEntityDeclHandler = refuse
    parser.NotationDeclHandler = refuse
    parser.ExternalEntityRefHandler = refuse
    parser.StartNamespaceDeclHandler = ns_start
    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = chars
    try:
        parser.Parse(_lenient_wrapper(data), True)
    except expat.ExpatError as exc:
        reason = f"not well-formed XML ({expat.ErrorString(exc.code)}, line {exc.lineno})"
        raise XmlMalformed(reason) from exc
    except RecursionError as exc:  # cannot happen with the depth limit; kept as a last guard
        raise XmlLimit("nested too deeply") from exc
    if not root:
        raise XmlMalformed("not XML")
    return root[0]


def encoding_is_utf8(data: bytes) -> bool:
    """True when the document's bytes are UTF-8 (no UTF-16/32 BOM, no other declared encoding)."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff", b"\x00\x00", b"\x00<", b"<\x00")):
        return False
    head = data[:200].lower()
    if head.startswith(b"\xef\xbb\xbf"):
        head = head[3:]
    if head.startswith(b"<?xml"):
        decl = head.split(b"?>", 1)[0]
        if b"encoding" in decl and b"utf-8" not in decl and b"utf8" not in decl:
            return False
    return True
