"""Vocabularies, zero-shot suggestions, corrections, the learned head and the review queue,
with the real test model over a real catalog."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from clipdesk.catalog import Catalog
from clipdesk.pipeline.indexer import Indexer
from clipdesk.tagging.corrections import decide, tags_of, undo
from clipdesk.tagging.review import review_queue
from clipdesk.tagging.store import TagStore
from clipdesk.tagging.tagger import Tagger
from clipdesk.tagging.vocabulary import (
    VocabularyError,
    dump,
)
from clipdesk.testing.synthetic import COLOURS, SHAPES

SHAPES_VOCAB = Path(__file__).parents[1] / "data" / "shapes_vocabulary.yaml"


def _label(path: str) -> tuple[str, str]:
    _, colour, shape = Path(path).stem.split("_")
    return colour, shape


@pytest.fixture
def tagged(tmp_path, embedder, shapes):
    cat = Catalog(tmp_path / "cat.sqlite3")
    cat.add_folder(shapes)
    Indexer(cat, embedder).run()
    store = TagStore(cat)
    store.import_file(SHAPES_VOCAB)
    tagger = Tagger(cat, embedder)
    tagger.rescore()
    return cat, store, tagger


def _photos(cat, colour=None, shape=None):
    rows = cat.conn.execute("SELECT id, path FROM photos ORDER BY id").fetchall()
    return [
        i for i, p in rows if (colour in (None, _label(p)[0])) and (shape in (None, _label(p)[1]))
    ]


def _suggested(cat, tag_id):
    return {
        r[0]
        for r in cat.conn.execute(
            "SELECT photo_id FROM photo_tags WHERE tag_id = ? AND state = 'suggested'", (tag_id,)
        )
    }


def test_zero_shot_suggestions_appear_on_indexed_photos(tagged):
    cat, store, _ = tagged
    red_circle = store.get("Object|red circle")
    suggested = _suggested(cat, red_circle.id)
    assert set(_photos(cat, "red", "circle")) <= suggested
    assert len(suggested) <= 6  # and not on everything
    rows = tags_of(cat, _photos(cat, "blue", "square")[0])
    assert any(t.tag == "Object|blue square" and t.state == "suggested" for t in rows)
    assert all(0.0 <= t.score <= 1.0 for t in rows)


def test_disabled_group_tags_get_no_suggestions(tagged):
    cat, store, _ = tagged
    assert _suggested(cat, store.get("Colour").id) == set()


def test_rejected_tag_never_comes_back(tagged):
    cat, store, tagger = tagged
    tag = store.get("Object|red circle")
    photo = _photos(cat, "red", "circle")[0]
    decide(cat, [photo], tag.id, "rejected")
    tagger.retrain([tag.id])
    tagger.rescore()
    store.update(tag.id, prompts=["a photo of a red circle", "a red round thing"])
    tagger.rescore()
    tagger.retrain()
    tagger.rescore()
    states = {t.tag: (t.state, t.source) for t in tags_of(cat, photo)}
    assert states["Object|red circle"] == ("rejected", "user")


def test_confirmed_tag_stays_confirmed_even_when_the_model_disagrees(tagged):
    cat, store, tagger = tagged
    tag = store.get("Object|green square")
    photo = _photos(cat, "yellow", "triangle")[0]
    decide(cat, [photo], tag.id, "confirmed")
    tagger.rescore()
    store.update(tag.id, threshold=0.99)
    tagger.rescore()
    assert {t.tag: t.state for t in tags_of(cat, photo)}["Object|green square"] == "confirmed"


def test_editing_a_prompt_removes_stale_suggestions_and_adds_new_ones(tagged):
    cat, store, tagger = tagged
    tag = store.get("Shape|circle")
    assert set(_photos(cat, shape="circle")) & _suggested(cat, tag.id)
    store.update(tag.id, prompts=["a photo of a square"])
    result = tagger.rescore(tag_ids=[tag.id])
    now = _suggested(cat, tag.id)
    assert result.removed > 0 and result.added > 0
    assert len(now & set(_photos(cat, shape="square"))) > len(
        now & set(_photos(cat, shape="circle"))
    )


def test_undo_restores_the_suggestion(tagged):
    cat, store, _ = tagged
    tag = store.get("Object|red circle")
    photos = _photos(cat, "red", "circle")
    before = [{t.tag: t.state for t in tags_of(cat, p)} for p in photos]
    assert decide(cat, photos, tag.id, "rejected") == len(photos)  # a selection at once
    assert undo(cat).photos == len(photos)
    assert [{t.tag: t.state for t in tags_of(cat, p)} for p in photos] == before
    assert undo(cat).photos == 0


def test_a_badly_prompted_tag_improves_with_corrections(tagged, embedder, tmp_path):
    """'warm' says nothing useful; corrections teach it red and yellow."""
    cat, store, tagger = tagged
    with cat.transaction():
        warm = store.ensure("warm")
    store.update(warm, prompts=["a photo of something warm"])
    tag = store.get("warm")

    def f1() -> float:  # what the user sees tagged: suggested or confirmed
        got = {
            r[0]
            for r in cat.conn.execute(
                "SELECT photo_id FROM photo_tags WHERE tag_id = ? AND state != 'rejected'",
                (tag.id,),
            )
        }
        truth = set(_photos(cat, "red")) | set(_photos(cat, "yellow"))
        tp = len(got & truth)
        return 2 * tp / max(len(got) + len(truth), 1)

    tagger.rescore(tag_ids=[tag.id])
    before = f1()
    ids = _photos(cat)
    rng = np.random.default_rng(0)
    teach = rng.choice(ids, 16, replace=False).tolist()
    pos = [i for i in teach if i in set(_photos(cat, "red")) | set(_photos(cat, "yellow"))]
    decide(cat, pos, tag.id, "confirmed")
    decide(cat, [i for i in teach if i not in pos], tag.id, "rejected")
    report = tagger.retrain([tag.id])[0]
    tagger.rescore(tag_ids=[tag.id])
    assert report["n_pos"] == len(pos) and report["n_neg"] == 16 - len(pos)
    assert f1() > before + 0.2, (before, f1())


def test_head_without_corrections_equals_zero_shot(tagged):
    cat, store, tagger = tagged
    tag = store.get("Object|blue circle")
    ids, x = cat.embedding_matrix(tagger.model_id)
    prior = tagger.probabilities(x, [tag])
    tagger.retrain([tag.id])  # no corrections: no head
    np.testing.assert_allclose(tagger.probabilities(x, [tag]), prior)


def test_review_queue_offers_undecided_uncertain_pairs(tagged):
    cat, store, tagger = tagged
    queue = review_queue(tagger, limit=10)
    assert len(queue) == 10
    scores = [abs(np.log(i.score / (1 - i.score))) for i in queue]
    assert scores == sorted(scores)  # least sure first (all thresholds are 0.5 here)
    first = queue[0]
    decide(cat, [first.photo_id], store.get(first.tag).id, "confirmed")
    assert (first.photo_id, first.tag) not in {
        (i.photo_id, i.tag) for i in review_queue(tagger, limit=50)
    }
    only = review_queue(tagger, store.get("Shape|triangle").id, limit=5)
    assert {i.tag for i in only} == {"Shape|triangle"}


def test_rename_and_reparent_keep_assignments(tagged):
    cat, store, tagger = tagged
    tag = store.get("Object|red circle")
    photo = _photos(cat, "red", "circle")[0]
    decide(cat, [photo], tag.id, "confirmed")
    store.rename(tag.id, "Things|Round|Red ball")
    states = {t.tag: t.state for t in tags_of(cat, photo)}
    assert states["Things|Round|Red ball"] == "confirmed"
    with pytest.raises(VocabularyError):
        store.rename(store.get("Things").id, "Things|Round|Inside")


def test_malformed_vocabulary_changes_nothing(tagged, tmp_path):
    cat, store, _ = tagged
    before = dump(store.export_specs())
    bad = tmp_path / "bad.yaml"
    bad.write_text("tags:\n  - name: New tag\n  - name: Other\n    threshold: high\n")
    with pytest.raises(VocabularyError, match="line 4"):
        store.import_file(bad)
    assert dump(store.export_specs()) == before


def test_colour_and_shape_tags_are_mostly_right(tagged):
    cat, store, _ = tagged
    hits = total = 0
    for c in COLOURS:
        got = _suggested(cat, store.get(f"Colour|{c}").id)
        truth = set(_photos(cat, c))
        hits += len(got & truth)
        total += len(truth)
    for s in SHAPES:
        got = _suggested(cat, store.get(f"Shape|{s}").id)
        truth = set(_photos(cat, shape=s))
        hits += len(got & truth)
        total += len(truth)
    assert hits / total >= 0.7
