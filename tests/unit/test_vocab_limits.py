"""Vocabulary limits read exactly as meant: size and tag-count limits named, a deep but
allowed tree, keyword names taken as they are. (Hostile files through the CLI:
tests/integration/test_vocab_limits_cli.py.)"""

from __future__ import annotations

import json

import pytest

from clipdesk.catalog import Catalog
from clipdesk.tagging import vocab_reader, vocabulary
from clipdesk.tagging.store import TagStore
from clipdesk.tagging.vocabulary import VocabularyError, dump, parse
from tests.support.vocabularies import deep_block_yaml


def test_file_size_and_tag_count_limits_name_the_limit(tmp_path, monkeypatch):
    monkeypatch.setattr(vocabulary, "MAX_TAGS", 50)
    many = "tags:\n" + "".join(f"  - name: t{i}\n" for i in range(51))
    with pytest.raises(VocabularyError, match=r"line 52: more than 50 tags \(the limit\)"):
        parse(many, "many.yaml")
    monkeypatch.setattr(vocabulary, "MAX_FILE_BYTES", 1000)
    big = tmp_path / "big.yaml"
    big.write_text("tags:\n" + "  - name: x\n" * 200)
    with pytest.raises(VocabularyError, match=r"larger than .* \(the limit\)"):
        vocabulary.load(big)
    monkeypatch.setattr(vocab_reader, "MAX_NODES", 100)
    with pytest.raises(VocabularyError, match="more than 100 values"):
        parse("tags:\n" + "  - name: x\n" * 60)
    with pytest.raises(VocabularyError, match="more than 100 values"):
        parse(json.dumps({"tags": [{"name": f"t{i}"} for i in range(60)]}), "v.json")


def test_a_deep_but_allowed_tree_and_json_read_like_yaml():
    depth = 31  # 63 document levels: inside the limit (the last `children:` is empty)
    specs = parse(deep_block_yaml(depth))
    assert len(specs) == depth and specs[-1].path.count("|") == depth - 1
    for fmt in ("yaml", "json"):
        assert parse(dump(specs, fmt), f"v.{fmt}") == specs


def test_a_keyword_name_is_taken_as_it_is_but_typed_names_are_checked(tmp_path):
    # A keyword read from a sidecar goes through `ensure`: an odd one never stops a run.
    store = TagStore(Catalog(tmp_path / "c.sqlite3"))
    long = "x" * 300
    tag_id = store.ensure(f"Keywords|{long}")
    assert store.paths()[tag_id] == f"Keywords|{long}"
    assert store.ensure(f"keywords|{long.upper()}") == store.ensure(f"Keywords|{long}")
    # A name a person types (rename) follows the vocabulary file's rule.
    with pytest.raises(VocabularyError, match="longer than 200 characters"):
        store.rename(store.ensure("Dog"), "y" * 201)
