"""The packaged vocabularies: each model gets one, and seeding takes the one it is given."""

from __future__ import annotations

from clipdesk.catalog import Catalog
from clipdesk.tagging.store import TagStore
from clipdesk.tagging.vocabulary import (
    DEFAULT_VOCABULARY,
    TEST_MODEL_VOCABULARY,
    default_vocabulary_for,
    load,
)
from clipdesk.testing.synthetic import COLOURS, SHAPES


def test_each_model_gets_a_packaged_vocabulary():
    assert default_vocabulary_for("test") == TEST_MODEL_VOCABULARY
    assert default_vocabulary_for("ViT-B-32-256:datacomp_s34b_b86k") == DEFAULT_VOCABULARY
    specs = load(TEST_MODEL_VOCABULARY)
    paths = {s.path for s in specs}
    assert {f"Colours|{c.title()}" for c in COLOURS} <= paths
    assert {f"Shapes|{s.title()}" for s in SHAPES} <= paths
    assert all(s.effective_prompts() for s in specs)


def test_seeding_takes_the_vocabulary_it_is_given(tmp_path):
    store = TagStore(Catalog(tmp_path / "c.sqlite3"))
    assert store.seed_default(default_vocabulary_for("test"))
    assert {t.path for t in store.all()} == {s.path for s in load(TEST_MODEL_VOCABULARY)}
    assert not store.seed_default()  # once only, as with the default vocabulary
