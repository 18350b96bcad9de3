"""Reading a vocabulary file into a plain tree, safely: the file may be hostile.

A vocabulary comes from anywhere (a download, a colleague), so reading one is bounded in
every direction before a single tag is looked at:

- size: at most ``MAX_FILE_BYTES``;
- YAML aliases (``*name``) are refused outright, which makes "billion laughs" expansion
  and recursive aliases impossible: what is read is never larger than the file;
- nesting: at most ``MAX_DEPTH`` levels, checked while reading, without recursion, so
  a 3,000-deep document is one clear message (never a RecursionError or a stack overflow);
- nodes: at most ``MAX_NODES`` values in all;
- only plain data: text, numbers, true/false, null (no custom YAML tags).

YAML is read as an event stream from libyaml (pure-Python PyYAML where libyaml is
missing) and built into :class:`Node` objects with a loop and an explicit stack; the
composer and constructor (both recursive, and the composer in C) are never used. JSON
(a file whose text starts with ``{`` or ``[``) is read by :mod:`json` after a linear
scan has checked its nesting depth, so :mod:`json`'s recursion never goes deep.

Every problem is a :class:`VocabularyError` whose message names the file and the line.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

MAX_FILE_BYTES = 32 * 1024 * 1024
MAX_DEPTH = 64  # document levels; a tag level is two (the tag's mapping, its children list)
MAX_NODES = 2_000_000

SCALAR = (str, int, float, bool, type(None))


class VocabularyError(ValueError):
    """A vocabulary file that cannot be imported; the message names the line."""


@dataclass(slots=True)
class Node:
    """One value of the document: a scalar (str, int, float, bool, None, or a date),
    a list of nodes or a dict of nodes (keys are text); ``line`` is 1-based (None for
    JSON, which does not tell)."""

    value: object
    line: int | None = None


def where(source: str, line: int | None) -> str:
    return f"{source}, line {line}" if line else source


def read(text: str, source: str) -> Node:
    """The document in ``text`` as a tree of nodes, or a VocabularyError."""
    if len(text) > MAX_FILE_BYTES:
        raise VocabularyError(f"{source}: larger than {MAX_FILE_BYTES // 2**20} MB (the limit)")
    text = text.removeprefix("\ufeff")
    if not text.strip():
        raise VocabularyError(f"{source}: the file is empty")
    if text.lstrip()[:1] in ("{", "["):
        try:
            return _json_tree(text, source)
        except _NotJson:  # a YAML flow document (`{tags: [...]}`): read it as YAML
            pass
    return _yaml_tree(text, source)


# --- JSON ---------------------------------------------------------------------------

# A string (an unterminated one runs to the end, so no text is scanned twice) or a bracket.
_JSON_TOKENS = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"?|[\[\]{}]', re.S)


class _NotJson(Exception):
    pass


def _json_tree(text: str, source: str) -> Node:
    depth = 0  # checked first, linearly: json's own parser recurses once per level
    for m in _JSON_TOKENS.finditer(text):
        c = m.group()
        if c in "[{":
            depth += 1
            if depth > MAX_DEPTH:
                line = text.count("\n", 0, m.start()) + 1
                raise VocabularyError(
                    f"{source}, line {line}: nested deeper than {MAX_DEPTH} levels (the limit)"
                )
        elif c in "]}":
            depth -= 1

    def pairs(items):
        out = {}
        for k, v in items:
            if k in out:
                raise VocabularyError(f"{source}: '{show(k)}' appears twice in one object")
            out[k] = v
        return out

    def constant(name):
        raise VocabularyError(f"{source}: {name} is not a number a vocabulary can hold")

    try:
        doc = json.loads(text, object_pairs_hook=pairs, parse_constant=constant)
    except json.JSONDecodeError as exc:
        if not source.lower().endswith(".json"):
            raise _NotJson from None
        raise VocabularyError(f"{source}, line {exc.lineno}: {exc.msg}") from None
    except (ValueError, RecursionError) as exc:  # VocabularyError is a ValueError too
        if isinstance(exc, VocabularyError):
            raise
        problem = "a number too long to read" if "digits" in str(exc) else str(exc)
        raise VocabularyError(f"{source}: {problem}") from None
    return _wrap(doc, source)


def _wrap(doc, source: str) -> Node:
    """Plain JSON values as nodes, with a loop (no recursion) and a node count."""
    root = Node(doc)
    todo = [root]
    count = 0
    while todo:
        node = todo.pop()
        count += 1
        if count > MAX_NODES:
            raise VocabularyError(f"{source}: more than {MAX_NODES} values (the limit)")
        v = node.value
        if isinstance(v, list):
            node.value = [Node(x) for x in v]
            todo.extend(node.value)
        elif isinstance(v, dict):
            node.value = {k: Node(x) for k, x in v.items()}
            todo.extend(node.value.values())
    return root


# --- YAML ---------------------------------------------------------------------------

_SCALAR_TAGS = {
    "tag:yaml.org,2002:str",
    "tag:yaml.org,2002:int",
    "tag:yaml.org,2002:float",
    "tag:yaml.org,2002:bool",
    "tag:yaml.org,2002:null",
    "tag:yaml.org,2002:timestamp",
}
# A number YAML 1.1 reads as text (no dot: 1e-7); YAML 1.2 and JSON read it as a number.
_FLOAT_12 = re.compile(r"[-+]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)[eE][-+]?[0-9]+")
_TEXT_TAGS = {"tag:yaml.org,2002:merge", "tag:yaml.org,2002:value"}
_COLLECTION_TAGS = {None, "!", "tag:yaml.org,2002:seq", "tag:yaml.org,2002:map"}


def _yaml_tree(text: str, source: str) -> Node:
    import yaml  # imported only by what reads a vocabulary (30-70 ms)

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)(text)
    try:
        return _build(loader, yaml, source)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        problem = exc.problem or str(exc)
        if "nesting depth" in problem:  # libyaml's own guard, met before ours in a flow `[[[`
            problem = f"nested deeper than {MAX_DEPTH} levels (the limit)"
        raise VocabularyError(f"{where(source, line)}: {problem}") from None
    except yaml.YAMLError as exc:
        raise VocabularyError(f"{source}: {exc}") from None
    finally:
        loader.dispose()


def _build(loader, yaml, source: str) -> Node:
    """Nodes from the parser's events: one loop, an explicit stack, limits checked as
    each event arrives (so nothing large is ever built)."""
    scalar, end = yaml.ScalarEvent, (yaml.SequenceEndEvent, yaml.MappingEndEvent)
    starts = {yaml.MappingStartEvent: dict, yaml.SequenceStartEvent: list}
    skip = (yaml.StreamStartEvent, yaml.DocumentEndEvent)
    stack: list[list] = []  # [container node, pending key] per open collection
    root: Node | None = None
    documents = nodes = 0
    while True:
        event = loader.get_event()
        kind_ = type(event)
        if kind_ is scalar:
            nodes += 1
            line = event.start_mark.line + 1
            node = Node(_scalar(loader, yaml, event, source, line), line)
        elif kind_ in end:
            node, pending = stack.pop()
        elif kind_ in starts:
            line = event.start_mark.line + 1
            nodes += 1
            if event.tag not in _COLLECTION_TAGS:
                raise VocabularyError(
                    f"{where(source, line)}: unsupported YAML tag {show(event.tag)}"
                )
            if len(stack) >= MAX_DEPTH:
                raise VocabularyError(
                    f"{where(source, line)}: nested deeper than {MAX_DEPTH} levels (the limit)"
                )
            stack.append([Node(starts[kind_](), line), None])
            continue
        elif kind_ is yaml.AliasEvent:
            raise VocabularyError(
                f"{where(source, event.start_mark.line + 1)}: YAML aliases "
                f"(*{show(event.anchor)}) are not allowed in a vocabulary; write the value "
                "out in full"
            )
        elif kind_ is yaml.DocumentStartEvent:
            documents += 1
            if documents > 1:
                raise VocabularyError(
                    f"{where(source, event.start_mark.line + 1)}: more than one YAML document"
                )
            continue
        elif kind_ is yaml.StreamEndEvent:
            break
        else:
            assert issubclass(kind_, skip), kind_
            continue
        if nodes > MAX_NODES:
            raise VocabularyError(
                f"{where(source, node.line)}: more than {MAX_NODES} values (the limit)"
            )
        # a finished node: the root, an item of a list, a key or a value of a mapping
        if not stack:
            root = node
            continue
        top = stack[-1]
        container = top[0].value
        if type(container) is list:
            container.append(node)
        elif top[1] is None:
            key = node.value.strip() if type(node.value) is str else None
            if not key:
                raise VocabularyError(
                    f"{where(source, node.line)}: a key is {kind(node.value)}, not text"
                )
            if key in container:
                raise VocabularyError(f"{where(source, node.line)}: '{show(key)}' appears twice")
            top[1] = key
        else:
            container[top[1]] = node
            top[1] = None
    if root is None:
        raise VocabularyError(f"{source}: the file is empty")
    return root


def _scalar(loader, yaml, event, source: str, line: int):
    value, tag = event.value, event.tag
    if tag is None or tag == "!":
        if not event.implicit[0]:  # quoted: text
            return value
        if value[:1] not in loader.yaml_implicit_resolvers:  # cannot be a number, bool, null
            return value
        tag = loader.resolve(yaml.ScalarNode, value, event.implicit)
    if tag in _TEXT_TAGS:  # a plain `<<` or `=`: YAML 1.1 gives them tags of their own
        return value
    if tag not in _SCALAR_TAGS:
        raise VocabularyError(f"{where(source, line)}: unsupported YAML tag {show(tag)}")
    if tag == "tag:yaml.org,2002:str":
        if event.implicit[0] and _FLOAT_12.fullmatch(value):
            return float(value)  # plain 1e-7: a number in YAML 1.2 and JSON, as meant
        return value
    node = yaml.ScalarNode(tag, value, event.start_mark, event.end_mark)
    try:
        return loader.yaml_constructors[tag](loader, node)
    except (ValueError, OverflowError):  # e.g. an integer of 5,000 digits
        raise VocabularyError(f"{where(source, line)}: a number too long to read") from None


# --- messages -----------------------------------------------------------------------


def show(text, limit: int = 40) -> str:
    """Text from the file, fit for a one-line message: control characters escaped,
    long text cut."""
    text = str(text)
    cut = text[:limit] + ("…" if len(text) > limit else "")
    return "".join(c if c.isprintable() else f"\\x{ord(c):02x}" for c in cut)


def kind(value) -> str:
    """What a value is, in words: 'a number', 'empty (null)', ..."""
    if value is None:
        return "empty (null)"
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "text"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return "a date" if hasattr(value, "year") else type(value).__name__
