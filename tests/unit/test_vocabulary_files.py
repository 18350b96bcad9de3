"""Vocabulary files: the default one, seeding a new catalog once, YAML and JSON round trips,
and a malformed file refused naming its line. No model."""

from __future__ import annotations

from pathlib import Path

import pytest

from clipdesk.catalog import Catalog
from clipdesk.tagging.store import TagStore
from clipdesk.tagging.vocabulary import (
    DEFAULT_VOCABULARY,
    VocabularyError,
    dump,
    load,
    parse,
)

SHAPES_VOCAB = Path(__file__).parents[1] / "data" / "shapes_vocabulary.yaml"


def test_default_vocabulary_loads_with_a_hundred_tags_and_prompts():
    specs = load(DEFAULT_VOCABULARY)
    assert len(specs) >= 100
    paths = {s.path for s in specs}
    assert {"Animals|Dog", "Places|Beach", "Documents|Screenshot", "Events|Wedding"} <= paths
    assert all(s.effective_prompts() for s in specs)


def test_new_catalog_gets_the_default_vocabulary_once(tmp_path):
    cat = Catalog(tmp_path / "c.sqlite3")
    store = TagStore(cat)
    assert store.seed_default() and len(store.all()) >= 100
    for tag in store.all():
        store.delete(tag.id)
    assert not store.seed_default() and store.all() == []  # deleting them all is respected


def test_vocabulary_round_trips_through_yaml_and_json(tmp_path):
    specs = load(SHAPES_VOCAB)
    specs[3].threshold = 0.7
    specs[4].enabled = False
    for fmt in ("yaml", "json"):
        again = parse(dump(specs, fmt))
        assert [(s.path, s.prompts, s.threshold, s.enabled) for s in again] == [
            (s.path, s.prompts, s.threshold, s.enabled) for s in specs
        ]


@pytest.mark.parametrize(
    ("text", "line", "words"),
    [
        ("tags:\n  - name: Dog\n    prompts: [a dog\n", 4, ""),
        ("tags:\n  - name: Dog\n  - nmae: Cat\n", 3, "unknown field 'nmae'"),
        ("tags:\n  - name: Dog\n    threshold: 2\n", 3, "between 0 and 1"),
        ("tags:\n  - name: Dog\n  - name: Dog\n", 3, "defined twice"),
        ("tags:\n  - name: A|B\n", 2, "may not contain"),
        ("tags:\n  - name: Dog\n    children: nope\n", 3, "list of tags"),
    ],
)
def test_malformed_vocabulary_is_refused_naming_the_line(tmp_path, text, line, words):
    bad = tmp_path / "bad.yaml"
    bad.write_text(text)
    with pytest.raises(VocabularyError, match=rf"line {line}: .*{words}"):
        load(bad)
