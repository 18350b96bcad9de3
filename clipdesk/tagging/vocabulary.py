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
refused with a message naming the line; nothing is imported from it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

from clipdesk.tagging.tagpath import SEPARATOR

DEFAULT_THRESHOLD = 0.5
TEMPLATES = ("a photo of a {}.", "a photo of the {}.", "a picture of a {}.", "{}")
# Package data (clipdesk/resources/vocabularies/), found the same way in a checkout, an
# installed wheel and a PyInstaller bundle.
VOCABULARIES = resources.files("clipdesk") / "resources" / "vocabularies"
DEFAULT_VOCABULARY = VOCABULARIES / "default.yaml"
TEST_MODEL_VOCABULARY = VOCABULARIES / "test-model.yaml"  # colours and shapes


class VocabularyError(ValueError):
    """A vocabulary file that cannot be imported; the message names the line."""


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


def _fail(node, message: str, source: str) -> VocabularyError:
    line = node.start_mark.line + 1 if node is not None else "?"
    return VocabularyError(f"{source}, line {line}: {message}")


def _scalar(node, source: str, what: str) -> str:
    import yaml  # imported only by what reads a vocabulary (30-70 ms)

    if not isinstance(node, yaml.ScalarNode) or not str(node.value).strip():
        raise _fail(node, f"{what} must be non-empty text", source)
    return str(node.value).strip()


def _parse_tag(node, parent: str, source: str, out: list[TagSpec]) -> None:
    import yaml  # imported only by what reads a vocabulary (30-70 ms)

    if not isinstance(node, yaml.MappingNode):
        raise _fail(node, "each tag must be a mapping with at least a 'name'", source)
    fields = {}
    for key, value in node.value:
        k = _scalar(key, source, "a key")
        if k in fields:
            raise _fail(key, f"'{k}' appears twice", source)
        fields[k] = value
    unknown = set(fields) - {"name", "prompts", "threshold", "enabled", "children"}
    if unknown:
        bad = sorted(unknown)[0]
        raise _fail(
            fields[bad],
            f"unknown field '{bad}' (expected name, prompts, threshold, enabled, children)",
            source,
        )
    if "name" not in fields:
        raise _fail(node, "a tag has no 'name'", source)
    name = _scalar(fields["name"], source, "'name'")
    if SEPARATOR in name:
        raise _fail(
            fields["name"], f"a tag name may not contain '{SEPARATOR}'; use children", source
        )
    path = f"{parent}{SEPARATOR}{name}" if parent else name
    spec = TagSpec(path)
    if "prompts" in fields:
        p = fields["prompts"]
        if isinstance(p, yaml.ScalarNode):
            spec.prompts = [_scalar(p, source, "a prompt")]
        elif isinstance(p, yaml.SequenceNode):
            spec.prompts = [_scalar(x, source, "a prompt") for x in p.value]
        else:
            raise _fail(p, "'prompts' must be a list of text", source)
    if "threshold" in fields:
        t = fields["threshold"]
        try:
            spec.threshold = float(_scalar(t, source, "'threshold'"))
        except ValueError:
            raise _fail(t, "'threshold' must be a number between 0 and 1", source) from None
        if not 0.0 < spec.threshold < 1.0:
            raise _fail(t, "'threshold' must be a number between 0 and 1", source)
    if "enabled" in fields:
        e = _scalar(fields["enabled"], source, "'enabled'").lower()
        if e not in ("true", "false", "yes", "no", "on", "off"):
            raise _fail(fields["enabled"], "'enabled' must be true or false", source)
        spec.enabled = e in ("true", "yes", "on")
    if any(o.path == path for o in out):
        raise _fail(fields["name"], f"tag '{path}' is defined twice", source)
    out.append(spec)
    if "children" in fields:
        children = fields["children"]
        if not isinstance(children, yaml.SequenceNode):
            raise _fail(children, "'children' must be a list of tags", source)
        for child in children.value:
            _parse_tag(child, path, source, out)


def parse(text: str, source: str = "vocabulary") -> list[TagSpec]:
    """Parse a YAML or JSON vocabulary into tags, parents before children."""
    import yaml  # imported only by what reads a vocabulary (30-70 ms)

    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else "?"
        raise VocabularyError(f"{source}, line {line}: {exc.problem or exc}") from None
    except yaml.YAMLError as exc:
        raise VocabularyError(f"{source}: {exc}") from None
    if root is None:
        raise VocabularyError(f"{source}: the file is empty")
    tags_node = root
    if isinstance(root, yaml.MappingNode):
        keys = {_scalar(k, source, "a key"): v for k, v in root.value}
        if "tags" not in keys:
            raise _fail(root, "expected a top-level 'tags:' list", source)
        if "version" in keys and _scalar(keys["version"], source, "'version'") != "1":
            raise _fail(
                keys["version"], "unsupported vocabulary version (this ClipDesk reads 1)", source
            )
        tags_node = keys["tags"]
    if not isinstance(tags_node, yaml.SequenceNode):
        raise _fail(tags_node, "'tags' must be a list", source)
    out: list[TagSpec] = []
    for node in tags_node.value:
        _parse_tag(node, "", source, out)
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
        text = path.read_text(encoding="utf-8")
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
            node["threshold"] = round(spec.threshold, 4)
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

    return yaml.safe_dump(doc, sort_keys=False, allow_unicode=True, width=100)
