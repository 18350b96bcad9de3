"""The packaged vocabularies: each loads, and the test model's one tags its photos right."""

from __future__ import annotations

from pathlib import Path

from clipdesk.catalog import Catalog
from clipdesk.indexer import Indexer
from clipdesk.synthetic import COLOURS, SHAPES
from clipdesk.tagging.corrections import tags_of
from clipdesk.tagging.store import TagStore
from clipdesk.tagging.tagger import Tagger
from clipdesk.tagging.vocabulary import (
    DEFAULT_VOCABULARY,
    TEST_MODEL_VOCABULARY,
    default_vocabulary_for,
    load,
)


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


def test_test_model_vocabulary_suggests_the_right_colour_and_shape(tmp_path, embedder, shapes):
    cat = Catalog(tmp_path / "cat.sqlite3")
    cat.add_folder(shapes)
    Indexer(cat, embedder).run()
    TagStore(cat).seed_default(default_vocabulary_for("test"))
    Tagger(cat, embedder).rescore()
    colour_hits = shape_hits = wrong = suggested = 0
    rows = cat.conn.execute("SELECT id, path FROM photos").fetchall()
    assert len(rows) == 36
    for photo_id, path in rows:
        _, colour, shape = Path(path).stem.split("_")
        got = {t.tag for t in tags_of(cat, photo_id) if t.state == "suggested"}
        colour_hits += f"Colours|{colour.title()}" in got
        shape_hits += f"Shapes|{shape.title()}" in got
        suggested += len(got)
        wrong += len(got - {f"Colours|{colour.title()}", f"Shapes|{shape.title()}"})
    # Measured: 35/36 colours, 31/36 shapes, 4 wrong suggestions of 70.
    assert colour_hits >= 32 and shape_hits >= 27, (colour_hits, shape_hits)
    assert wrong <= 0.1 * suggested, (wrong, suggested)
