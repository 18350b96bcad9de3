"""Vocabularies: a tree of tags, each with prompts, a threshold and an enabled flag.

On disk a vocabulary is YAML (or JSON, which YAML reads too)::

    version: 1
    tags:
      - name: Animals
        children:
          - name: Dog
            prompts: [a photo of a dog, a dog]
            threshold: 0.5
          - name: Cat

A tag without prompts gets CLIP-style templates around its name. A bad file is
refused with a message naming the line and the tag; nothing is imported from it.

A file may be hostile: ``vocab_reader`` reads it within limits (size, nesting, no YAML
aliases); here each tag is checked (types, name and prompt lengths, the number of tags)
and names are normalised (NFC; siblings differing only in case are one tag).
"""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

from clipdesk.tagging.tagpath import CONTROL, SEPARATOR
from clipdesk.tagging.vocab_reader import (
    MAX_FILE_BYTES,
    Node,
    VocabularyError,
    kind,
    read,
    show,
    where,
)

DEFAULT_THRESHOLD = 0.5
TEMPLATES = ("a photo of a {}.", "a photo of the {}.", "a picture of a {}.", "{}")
# Package data: resources/vocabularies/ in the repository, installed as the package
# clipdesk.resources (pyproject.toml's package-dir). Asked for by that name, it is found the
# same way in an editable install, an installed wheel and a PyInstaller bundle.
VOCABULARIES = resources.files("clipdesk.resources") / "vocabularies"
DEFAULT_VOCABULARY = VOCABULARIES / "default.yaml"
TEST_MODEL_VOCABULARY = VOCABULARIES / "test-model.yaml"  # colours and shapes

MAX_TAGS = 200_000
MAX_NAME_CHARS = 200
MAX_PROMPTS = 100
MAX_PROMPT_CHARS = 500  # the text encoder reads 77 tokens, about 300 characters
FIELDS = ("name", "prompts", "threshold", "enabled", "children")
_FIELD_SET = frozenset(FIELDS)


@dataclass
class TagSpec:
    path: str  # "Animals|Dog"
    prompts: list[str] = field(default_factory=list)
    threshold: float = DEFAULT_THRESHOLD
    enabled: bool = True

    @property
    def name(self) -> str:
        return self.path.rsplit(SEPARATOR, 1)[-1]

    def effective_prompts(self) -> list[str]:
        return self.prompts or default_prompts(self.name)


def default_prompts(name: str) -> list[str]:
    return [t.format(name.lower()) for t in TEMPLATES]


# --- names: one rule for a file's tags and for a tag typed in the window or the CLI --------


def normal_name(name: str) -> str:
    """A tag name as stored: Unicode NFC (a composed and a decomposed "Café" are one
    name), no surrounding space."""
    return unicodedata.normalize("NFC", name).strip()


def name_key(name: str) -> str:
    """What makes two names (or paths) the same tag: equal ignoring case and Unicode form
    ("Dog", "dog" and "DOG" are one tag; the first spelling is the one kept)."""
    return unicodedata.normalize("NFC", unicodedata.normalize("NFC", name).casefold())


def check_name(name: str, *, flat: bool = False) -> str:
    """``name`` as stored, or a VocabularyError saying what is wrong with it. ``flat``: a
    flat keyword read from a sidecar, one name whatever it holds (``|`` is text there)."""
    name = normal_name(name)
    if not name:
        raise VocabularyError("a tag name is empty")
    if SEPARATOR in name and not flat:
        raise VocabularyError(f"a tag name may not contain '{SEPARATOR}'; use children")
    if len(name) > MAX_NAME_CHARS:
        raise VocabularyError(
            f"a tag name is longer than {MAX_NAME_CHARS} characters (the limit): '{show(name)}'"
        )
    if CONTROL.search(name):
        raise VocabularyError(
            "a tag name may not contain control characters (line breaks, tabs, direction "
            f"overrides): '{show(name)}'"
        )
    return name


def check_prompts(prompts: list[str]) -> list[str]:
    """Prompts as stored (NFC, stripped, empty ones dropped), or a VocabularyError."""
    out = [unicodedata.normalize("NFC", p).strip() for p in prompts]
    out = [p for p in out if p]
    if len(out) > MAX_PROMPTS:
        raise VocabularyError(f"more than {MAX_PROMPTS} prompts (the limit)")
    for i, p in enumerate(out, 1):
        if len(p) > MAX_PROMPT_CHARS:
            raise VocabularyError(
                f"prompt {i} is longer than {MAX_PROMPT_CHARS} characters (the limit)"
            )
    return out


# --- reading a file ---------------------------------------------------------------


class _Bad(Exception):
    """A problem with one tag: the message, and the line (None: the tag's own)."""

    def __init__(self, message: str, line: int | None = None, labelled: bool = False):
        super().__init__(message)
        self.line = line
        self.labelled = labelled  # the message starts with the tag's place ('A > B: ...')


def _label(parent: str, name: str) -> str:
    """Where a tag is, as a person reads it: 'Animals > Dog'."""
    levels = [*parent.split(SEPARATOR), name] if parent else [name]
    return " > ".join(show(level) for level in levels)


def _text_hint(value) -> str:
    return " (put it in quotes to use it as text)" if isinstance(value, (int, float)) else ""


def _tag_spec(node: Node, parent: str, index: int) -> tuple[TagSpec, Node | None]:
    """One tag's spec and its children node; raises _Bad."""
    if not isinstance(node.value, dict):
        raise _Bad(f"each tag must be a mapping with at least a 'name', not {kind(node.value)}")
    fields: dict[str, Node] = node.value
    unknown = [] if fields.keys() <= _FIELD_SET else sorted(fields.keys() - _FIELD_SET)
    if unknown:
        raise _Bad(
            f"unknown field '{show(unknown[0])}' (expected {', '.join(FIELDS)})",
            fields[unknown[0]].line,
        )
    if "name" not in fields:
        raise _Bad("a tag has no 'name'")
    raw = fields["name"]
    if not isinstance(raw.value, str):
        raise _Bad(f"'name' is {kind(raw.value)}, not text{_text_hint(raw.value)}", raw.line)
    try:
        name = check_name(raw.value)
    except VocabularyError as exc:
        raise _Bad(str(exc), raw.line) from None
    spec = TagSpec(f"{parent}{SEPARATOR}{name}" if parent else name)

    def bad(message: str, at: Node) -> _Bad:
        return _Bad(f"{_label(parent, name)}: {message}", at.line, labelled=True)

    p = fields.get("prompts")
    if p is not None and p.value is not None:
        items = [p] if isinstance(p.value, str) else p.value
        if not isinstance(items, list):
            raise bad(f"'prompts' must be a list of text, not {kind(p.value)}", p)
        for i, item in enumerate(items, 1):
            if not isinstance(item.value, str):
                raise bad(
                    f"prompt {i} is {kind(item.value)}, not text{_text_hint(item.value)}", item
                )
            if not item.value.strip():
                raise bad(f"prompt {i} is empty", item)
        try:
            spec.prompts = check_prompts([item.value for item in items])
        except VocabularyError as exc:
            raise bad(str(exc), p) from None
    if "threshold" in fields:
        t = fields["threshold"]
        if isinstance(t.value, bool) or not isinstance(t.value, (int, float)):
            raise bad(f"'threshold' is {kind(t.value)}, not a number between 0 and 1", t)
        if not 0.0 < t.value < 1.0:
            raise bad(f"'threshold' must be a number between 0 and 1, not {t.value}", t)
        spec.threshold = float(t.value)
    if "enabled" in fields:
        e = fields["enabled"]
        if not isinstance(e.value, bool):
            raise bad(f"'enabled' must be true or false, not {kind(e.value)}", e)
        spec.enabled = e.value
    children = fields.get("children")
    if children is not None and children.value is None:
        children = None  # `children:` with nothing under it
    if children is not None and not isinstance(children.value, list):
        raise bad(f"'children' must be a list of tags, not {kind(children.value)}", children)
    return spec, children


def parse(text: str, source: str = "vocabulary") -> list[TagSpec]:
    """Parse a YAML or JSON vocabulary into tags, parents before children.

    The whole file is checked before anything is returned: one bad entry refuses the file
    (a VocabularyError naming the file, the line and the tag), so an import is all or
    nothing. Linear in the size of the file."""
    root = read(text, source)
    tags_node = root
    if isinstance(root.value, dict):
        if "tags" not in root.value:
            raise VocabularyError(f"{where(source, root.line)}: expected a top-level 'tags:' list")
        version = root.value.get("version")
        if version is not None and version.value not in (1, "1"):
            raise VocabularyError(
                f"{where(source, version.line)}: unsupported vocabulary version "
                "(this ClipDesk reads 1)"
            )
        tags_node = root.value["tags"]
    if not isinstance(tags_node.value, list):
        raise VocabularyError(f"{where(source, tags_node.line)}: 'tags' must be a list")
    out: list[TagSpec] = []
    seen: dict[str, tuple[str, int | None]] = {}  # name_key(path) -> (path, line)
    todo = [(n, "", i) for i, n in reversed(list(enumerate(tags_node.value, 1)))]
    while todo:  # a loop, not recursion: depth is bounded by the reader, but why rely on it
        node, parent, index = todo.pop()
        try:
            spec, children = _tag_spec(node, parent, index)
        except _Bad as exc:
            message = str(exc)
            if not exc.labelled:  # the tag has no usable name yet: say which one it is
                here = _label(parent, f"tag {index}") if parent else f"tag {index}"
                message = f"{here}: {message}"
            raise VocabularyError(f"{where(source, exc.line or node.line)}: {message}") from None
        key = name_key(spec.path)
        if key in seen:
            first, line = seen[key]
            same = "" if first == spec.path else f" (as '{show(first)}'; case does not count)"
            raise VocabularyError(
                f"{where(source, node.line)}: tag '{show(spec.path)}' is defined twice"
                + (f", first on line {line}" if line else "")
                + same
            )
        seen[key] = (spec.path, node.line)
        out.append(spec)
        if len(out) > MAX_TAGS:
            raise VocabularyError(
                f"{where(source, node.line)}: more than {MAX_TAGS} tags (the limit)"
            )
        if children is not None:
            todo.extend((c, spec.path, i) for i, c in reversed(list(enumerate(children.value, 1))))
    return out


def default_vocabulary_for(model_name: str):
    """The packaged vocabulary that suits ``model_name``: the test model knows coloured shapes
    only, so it gets colours and shapes; every other model gets the default one."""
    return TEST_MODEL_VOCABULARY if model_name == "test" else DEFAULT_VOCABULARY


def load(path) -> list[TagSpec]:
    """Read a vocabulary file (a path, or a package resource such as DEFAULT_VOCABULARY)."""
    if not hasattr(path, "read_text"):
        path = Path(path)
    try:
        with path.open("rb") as f:
            data = f.read(MAX_FILE_BYTES + 1)  # never more than the limit, whatever the file
        if len(data) > MAX_FILE_BYTES:
            raise VocabularyError(f"{path}: larger than {MAX_FILE_BYTES // 2**20} MB (the limit)")
        text = data.decode("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise VocabularyError(f"{path}: cannot read: {exc}") from None
    return parse(text, str(path))


def to_tree(specs: list[TagSpec]) -> dict:
    """The nested document form, for export."""
    nodes: dict[str, dict] = {}
    roots: list[dict] = []
    for spec in sorted(specs, key=lambda s: s.path.count(SEPARATOR)):
        node: dict = {"name": spec.name}
        if spec.prompts:
            node["prompts"] = list(spec.prompts)
        if spec.threshold != DEFAULT_THRESHOLD:
            node["threshold"] = spec.threshold  # as stored: repr-exact, so it reads back equal
        if not spec.enabled:
            node["enabled"] = False
        nodes[spec.path] = node
        parent = spec.path.rpartition(SEPARATOR)[0]
        siblings = nodes[parent].setdefault("children", []) if parent in nodes else roots
        siblings.append(node)
    return {"version": 1, "tags": roots}


def dump(specs: list[TagSpec], fmt: str = "yaml") -> str:
    doc = to_tree(specs)
    if fmt == "json":
        return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"
    import yaml

    # libyaml's emitter writes the same text 10-20x faster, except that it escapes
    # characters beyond the Basic Multilingual Plane ("\U0001F415" for an emoji): the
    # Python one keeps those readable.
    dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
    if _ASTRAL.search(json.dumps(doc, ensure_ascii=False)):
        dumper = yaml.SafeDumper
    return yaml.dump(doc, Dumper=dumper, sort_keys=False, allow_unicode=True, width=100)


_ASTRAL = re.compile("[\U00010000-\U0010ffff]")
