"""Hostile and odd vocabulary files: refused with one line and nothing imported, or read
exactly as meant. Through the real CLI (`clipdesk --home H --model test vocab import F`)
where a user would meet them, against a real SQLite catalog."""

from __future__ import annotations

import json
import re
import sqlite3
import unicodedata
from contextlib import closing

import pytest

from clipdesk.catalog import Catalog
from clipdesk.home import app_paths
from clipdesk.tagging import vocabulary
from clipdesk.tagging.store import TagStore
from clipdesk.tagging.vocabulary import VocabularyError
from tests.support.cli import run
from tests.support.vocabularies import deep_block_yaml


def vocab(home, *args, check=True):
    return run("--home", str(home), "--model", "test", "vocab", *args, check=check)


def catalog_rows(home) -> list[tuple]:
    """Every tag row as stored (timestamps aside): what 'unchanged' is checked against."""
    with closing(sqlite3.connect(app_paths(home).catalog)) as conn:
        return conn.execute(
            "SELECT id, name, parent_id, prompts, threshold, enabled FROM tags ORDER BY id"
        ).fetchall()


def catalog_prompts(home) -> dict[str, str]:
    return {r[1]: r[3] for r in catalog_rows(home)}


def alias_bomb() -> str:
    # 951 bytes of this kind became 11,110 tags before; nine levels would be 10^9 tags.
    lines = ['a0: &a0 [{name: "lol"}]']
    for i in range(1, 10):
        lines.append(f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]")
    return "\n".join(lines) + "\ntags: *a9\n"


HOSTILE = {
    "alias-bomb.yaml": (alias_bomb(), "line 2: YAML aliases (*a0) are not allowed"),
    "recursive-alias.yaml": (
        "tags: &t\n  - name: x\n    children: *t\n",
        "line 3: YAML aliases (*t) are not allowed",
    ),
    "deep-flow.yaml": ("tags: " + "[" * 3000 + "]" * 3000 + "\n", "nested deeper than 64"),
    "deep-block.yaml": (deep_block_yaml(3000), "nested deeper than 64 levels (the limit)"),
    "deep.json": ('{"tags": ' + "[" * 3000 + "]" * 3000 + "}", "nested deeper than 64"),
    "deep-objects.json": ('{"tags": [' + '{"a": ' * 100_000 + "1" + "}" * 100_000 + "]}", "64"),
    "prompt-number.yaml": (
        "tags:\n  - name: Animals\n    children:\n      - name: dog\n"
        "        prompts: [a dog, 1, true, null]\n",
        "line 5: Animals > dog: prompt 2 is a number, not text",
    ),
    "prompt-bool.json": (
        '{"tags": [{"name": "Animals", "children": [{"name": "dog", "prompts": ["a", true]}]}]}',
        "Animals > dog: prompt 2 is true/false, not text",
    ),
    "prompt-null.yaml": ("tags:\n  - name: Dog\n    prompts: [a dog, null]\n", "prompt 2 is empty"),
    "name-null.yaml": ("tags:\n  - name: Cat\n  - name: null\n", "line 3: tag 2: 'name' is empty"),
    "name-number.yaml": ("tags:\n  - name: 2024\n", "'name' is a number, not text (put it in"),
    "threshold-text.yaml": ("tags:\n  - name: Dog\n    threshold: high\n", "is text, not a number"),
    "threshold-bool.json": ('{"tags": [{"name": "Dog", "threshold": true}]}', "true/false"),
    "threshold-range.yaml": ("tags:\n  - name: Dog\n    threshold: 1.5\n", "between 0 and 1"),
    "enabled-text.yaml": ("tags:\n  - name: Dog\n    enabled: maybe\n", "'enabled' must be true"),
    "case-twice.yaml": (
        "tags:\n  - name: Dog\n  - name: dog\n  - name: DOG\n",
        "line 3: tag 'dog' is defined twice, first on line 2 (as 'Dog'",
    ),
    "nfc-twice.yaml": (
        "tags:\n  - name: Caf\u00e9\n  - name: Cafe\u0301\n",
        "line 3: tag 'Café' is defined twice",
    ),
    "long-name.yaml": (f"tags:\n  - name: {'x' * 201}\n", "longer than 200 characters"),
    "long-prompt.yaml": (
        f"tags:\n  - name: Dog\n    prompts: [{'a' * 501}]\n",
        "Dog: prompt 1 is longer than 500 characters (the limit)",
    ),
    "many-prompts.yaml": (
        "tags:\n  - name: Dog\n    prompts: [" + ", ".join(f"p{i}" for i in range(101)) + "]\n",
        "more than 100 prompts",
    ),
    "control-name.yaml": ('tags:\n  - name: "a\\nb"\n', "control characters"),
    "python-tag.yaml": (
        "tags:\n  - !!python/object/apply:os.system [ls]\n",
        "unsupported YAML tag",
    ),
    "two-documents.yaml": ("tags: []\n---\ntags: []\n", "more than one YAML document"),
    "huge-int.json": ('{"tags": [{"name": "Dog", "threshold": ' + "9" * 5000 + "}]}", "too long"),
    "huge-int.yaml": ("tags:\n  - name: Dog\n    threshold: " + "9" * 5000 + "\n", "too long"),
}


REPLACE_TOO = {"alias-bomb.yaml", "deep.json", "case-twice.yaml", "prompt-number.yaml"}


def seeded_library(home) -> None:
    """The library a first command makes: a catalog with the test model's vocabulary."""
    store = TagStore(Catalog(app_paths(home).ensure().catalog))
    store.seed_default(vocabulary.TEST_MODEL_VOCABULARY)
    store.catalog.close()


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_hostile_vocabulary_is_one_line_exit_1_and_changes_nothing(home, tmp_path, name):
    text, words = HOSTILE[name]
    bad = tmp_path / name
    bad.write_text(text, encoding="utf-8")
    seeded_library(home)
    before = catalog_rows(home)
    assert before
    for extra in ([], ["--replace"]) if name in REPLACE_TOO else ([],):
        proc = vocab(home, "import", str(bad), *extra, check=False)
        assert proc.returncode == 1, proc.stdout
        assert proc.stderr.count("\n") == 1 and "Traceback" not in proc.stderr, proc.stderr
        assert proc.stderr.startswith("clipdesk: error: vocabulary not imported: ")
        assert words in proc.stderr
        assert catalog_rows(home) == before


def test_case_and_unicode_variants_find_the_existing_tag(home, tmp_path):
    seeded_library(home)
    rows = {r[1]: r for r in catalog_rows(home)}
    assert "Colours" in rows and "Red" in rows  # the test model's vocabulary
    # Composed and decomposed "Café": one tag, stored composed.
    f = tmp_path / "merge.yaml"
    f.write_text(
        "tags:\n  - name: COLOURS\n    enabled: false\n    children:\n"
        "      - name: red\n        prompts: [a scarlet thing]\n"
        "  - name: Cafe\u0301\n",
        encoding="utf-8",
    )
    assert "1 tag added, 2 updated" in vocab(home, "import", str(f)).stdout
    after = {r[1]: r for r in catalog_rows(home)}
    assert len(after) == len(rows) + 1
    assert after["Red"][0] == rows["Red"][0] and json.loads(after["Red"][3]) == ["a scarlet thing"]
    assert "red" not in after and "COLOURS" not in after  # the catalog's spelling is kept
    assert "Caf\u00e9" in after and unicodedata.is_normalized("NFC", "".join(after))
    g = tmp_path / "again.yaml"
    g.write_text("tags:\n  - name: CAF\u00c9\n", encoding="utf-8")
    assert "0 tags added, 1 updated" in vocab(home, "import", str(g)).stdout

    # The window's and the CLI's "add tag" go through the same rule.
    store = TagStore(Catalog(app_paths(home).catalog))
    assert store.ensure("colours|RED") == rows["Red"][0]
    assert store.get("colours|red").id == rows["Red"][0]
    with pytest.raises(VocabularyError, match=re.escape("already a tag 'Colours|Red'")):
        store.rename(store.ensure("Colours|Scarlet"), "Colours|rED")
    store.rename(rows["Red"][0], "Colours|RED")  # a tag's own spelling may change
    assert store.paths()[rows["Red"][0]] == "Colours|RED"


def test_thresholds_round_trip_exactly(home, tmp_path):
    tiny = tmp_path / "tiny.yaml"
    tiny.write_text(
        "tags:\n  - name: A\n    threshold: 0.00001\n  - name: B\n    threshold: 1e-7\n"
        "  - name: C\n    threshold: 0.30000000000000004\n  - name: D\n    threshold: 0.9999999\n"
        "  - name: Dog \U0001f415\n    prompts: ['yes', '2024']\n",
        encoding="utf-8",
    )
    vocab(home, "import", str(tiny))
    for fmt in ("yaml", "json"):
        first = tmp_path / f"first.{fmt}"
        vocab(home, "export", str(first))
        assert "0 tags added" in vocab(home, "import", str(first)).stdout  # it imports
        second = tmp_path / f"second.{fmt}"
        vocab(home, "export", str(second))
        assert second.read_text() == first.read_text()
        assert "Dog \U0001f415" in first.read_text(encoding="utf-8")  # readable, not escaped
        values = {r[1]: r[4] for r in catalog_rows(home)}
        assert (values["A"], values["B"], values["C"], values["D"]) == (
            0.00001,
            1e-7,
            0.1 + 0.2,
            0.9999999,
        )
        assert json.loads(catalog_prompts(home)["Dog \U0001f415"]) == ["yes", "2024"]


def test_a_big_flat_vocabulary_imports_in_one_go(home, tmp_path):
    n = 30_000
    flat = tmp_path / "big.yaml"
    flat.write_text(
        "tags:\n" + "".join(f"  - name: tag {i}\n    prompts: [a photo of {i}]\n" for i in range(n))
    )
    seeded_library(home)
    seeded = len(catalog_rows(home))
    assert f"{n:,} tags added, 0 updated" in vocab(home, "import", str(flat)).stdout
    assert len(catalog_rows(home)) == seeded + n
    # Again, in other case: every tag is found, none added.
    flat.write_text(flat.read_text().replace("name: tag", "name: TAG"))
    assert f"0 tags added, {n:,} updated" in vocab(home, "import", str(flat)).stdout
    exported = tmp_path / "all.json"
    vocab(home, "export", str(exported))
    assert len(json.loads(exported.read_text())["tags"]) >= n
