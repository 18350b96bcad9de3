"""The test model's packaged vocabulary tags its photos right."""

from __future__ import annotations

from pathlib import Path

from clipdesk.catalog import Catalog
from clipdesk.pipeline.indexer import Indexer
from clipdesk.tagging.corrections import tags_of
from clipdesk.tagging.store import TagStore
from clipdesk.tagging.tagger import Tagger
from clipdesk.tagging.vocabulary import (
    default_vocabulary_for,
)


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
