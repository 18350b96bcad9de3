"""Suggestions that mean something: zero-shot tagging calibrated against nonsense prompts
and the library (clipdesk/tagging/calibration.py), in the four regimes of a model and a
vocabulary, with the real test model and a random-weights open_clip model built offline,
over real catalogs. (The statistics alone: tests/unit/test_calibration_statistics.py.)"""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

from clipdesk.catalog import Catalog
from clipdesk.tagging import calibration
from clipdesk.tagging.corrections import decide
from clipdesk.tagging.store import TagStore
from clipdesk.tagging.tagger import Tagger
from clipdesk.tagging.vocabulary import DEFAULT_VOCABULARY, TEST_MODEL_VOCABULARY
from clipdesk.testing.synthetic import CLASSES, COLOURS, SHAPES, random_size, render

KNOWN = set(COLOURS) | set(SHAPES)


def _catalog(path, embedder, n: int, seed: int) -> tuple[Catalog, dict[int, set[str]]]:
    """A catalog of ``n`` fresh shape photos embedded by ``embedder``; their true labels."""
    rng = np.random.default_rng(seed)
    samples = [render(*CLASSES[i % 18], random_size(rng, 64, 320), rng) for i in range(n)]
    x = embedder.encode_images(np.stack([embedder.preprocess(s.image) for s in samples]))
    cat = Catalog(path)
    folder = cat.add_folder(str(path.parent))
    model_id = cat.model_id(embedder.name, embedder.dim)
    truth = {}
    with cat.transaction():
        for i, (s, v) in enumerate(zip(samples, x, strict=True)):
            pid = cat.insert_photo(folder, f"{path.parent}/{i}.jpg", 1, 1, f"h{i}")
            cat.set_decoded(pid, 1, 1, 1, None)
            cat.put_embedding(pid, model_id, v)
            truth[pid] = {s.colour, s.shape}
    return cat, truth


def _suggested(cat: Catalog) -> list[tuple[int, str]]:
    rows = cat.conn.execute(
        "SELECT pt.photo_id, t.name FROM photo_tags pt JOIN tags t ON t.id = pt.tag_id "
        "WHERE pt.state = 'suggested'"
    )
    return [(p, name.lower()) for p, name in rows]


def _figures(cat, truth) -> tuple[float, float]:
    """(spurious suggestions per photo, F1 on the colour and shape tags)."""
    said = _suggested(cat)
    ours = [(p, w) for p, w in said if w in KNOWN]
    tp = sum(w in truth[p] for p, w in ours)
    return (len(said) - len(ours)) / len(truth), 2 * tp / (len(ours) + 2 * len(truth))


@pytest.fixture(scope="module")
def random_embedder(tmp_path_factory):
    """A small open_clip CLIP with random weights (a model that knows nothing), saved as a
    model folder and loaded like any other."""
    from clipdesk.embedding import load_embedder
    from clipdesk.testing.synthetic import random_clip_folder

    root = tmp_path_factory.mktemp("random-model")
    folder = random_clip_folder(
        root / "model",
        embed_dim=128,
        vision_cfg={"image_size": 64, "patch_size": 16, "width": 128, "layers": 3},
        text_cfg={"width": 128, "heads": 2, "layers": 3},
    )
    return load_embedder(folder, backend="cpu", weights_dir=root / "w", onnx_dir=root / "o")


@pytest.mark.parametrize("seed", [1, 2])
def test_a_model_that_knows_nothing_suggests_almost_nothing(tmp_path, random_embedder, seed):
    cat, truth = _catalog(tmp_path / "c.sqlite3", random_embedder, 72, seed)
    TagStore(cat).import_file(DEFAULT_VOCABULARY)
    before = len(_suggested(cat))
    Tagger(cat, random_embedder).rescore()
    per_photo = (len(_suggested(cat)) - before) / len(truth)
    assert per_photo <= 0.5, per_photo  # the sigmoid rule alone: about 46


def test_a_vocabulary_the_model_cannot_see_is_not_suggested(tmp_path, embedder):
    cat, truth = _catalog(tmp_path / "c.sqlite3", embedder, 90, 3)
    TagStore(cat).import_file(DEFAULT_VOCABULARY)
    Tagger(cat, embedder).rescore()
    spurious, _ = _figures(cat, truth)
    assert spurious <= 0.5, spurious  # the sigmoid rule alone: about 35


@pytest.mark.parametrize("mixed", [False, True], ids=["own", "own+default"])
def test_a_vocabulary_the_model_knows_is_suggested_well(tmp_path, embedder, mixed):
    cat, truth = _catalog(tmp_path / "c.sqlite3", embedder, 90, 4)
    store = TagStore(cat)
    store.import_file(TEST_MODEL_VOCABULARY)
    if mixed:
        store.import_file(DEFAULT_VOCABULARY)
    Tagger(cat, embedder).rescore()
    spurious, f1 = _figures(cat, truth)
    assert f1 >= 0.93 and spurious <= 0.5, (f1, spurious)


def test_one_new_photo_does_not_change_the_others_suggestions(tmp_path, embedder):
    cat, truth = _catalog(tmp_path / "c.sqlite3", embedder, 60, 5)
    store = TagStore(cat)
    store.import_file(TEST_MODEL_VOCABULARY)
    store.import_file(DEFAULT_VOCABULARY)
    tagger = Tagger(cat, embedder)
    tagger.rescore()
    before = set(_suggested(cat))
    sample = render("red", "circle", (200, 160), np.random.default_rng(9))
    vector = embedder.encode_images(embedder.preprocess(sample.image)[None])[0]
    folder = cat.conn.execute("SELECT id FROM folders").fetchone()[0]
    with cat.transaction():
        pid = cat.insert_photo(folder, f"{tmp_path}/new.jpg", 1, 1, "new")
        cat.set_decoded(pid, 1, 1, 1, None)
        cat.put_embedding(pid, tagger.model_id, vector)
    Tagger(cat, embedder).rescore()  # a new Tagger: what it knows comes from the catalog
    after = set(_suggested(cat))
    assert {s for s in after if s[0] != pid} == before
    assert {w for p, w in after if p == pid} >= {"red", "circle"}


def test_a_small_library_gets_a_few_strong_suggestions_a_photo(tmp_path, embedder):
    cat, truth = _catalog(tmp_path / "c.sqlite3", embedder, 6, 6)
    store = TagStore(cat)
    store.import_file(TEST_MODEL_VOCABULARY)
    store.import_file(DEFAULT_VOCABULARY)
    Tagger(cat, embedder).rescore()
    said = _suggested(cat)
    per_photo = {p: [w for q, w in said if q == p] for p in truth}
    assert all(len(w) <= calibration.SMALL_LIBRARY_CAP for w in per_photo.values())
    colours_right = sum(
        any(w in COLOURS and w in truth[p] for w in ws) for p, ws in per_photo.items()
    )
    assert colours_right >= 5, per_photo


def test_corrections_teach_a_tag_the_model_cannot_see(tmp_path, embedder):
    """The user's decisions are evidence: a tag the calibration holds back is suggested once
    its head has learned from a few, and a rejection is never undone."""
    cat, truth = _catalog(tmp_path / "c.sqlite3", embedder, 72, 7)
    store = TagStore(cat)
    with cat.transaction():  # "warm" is not a word the test model knows
        tag = store.ensure("Warm")
        store.update(tag, prompts=["a photo of something warm"])
    tagger = Tagger(cat, embedder)
    tagger.rescore()
    assert _suggested(cat) == []
    warm = [p for p, t in truth.items() if t & {"red", "yellow"}]
    cold = [p for p, t in truth.items() if not t & {"red", "yellow"}]
    decide(cat, warm[:4], tag, "confirmed")
    decide(cat, cold[:4], tag, "rejected")
    tagger.retrain([tag])
    tagger.rescore()
    said = {p for p, _ in _suggested(cat)}
    # A third of the photos are warm; 8 corrections already make most suggestions right.
    assert said and len(said & set(warm)) >= 0.6 * len(said), (len(said), len(said & set(warm)))
    assert not said & set(cold[:4]) and not said & set(warm[:4])  # decisions stay decisions


def test_vocab_check_names_the_tags_the_model_cannot_see(tmp_path, home, shapes):
    def run(*args):
        cmd = [sys.executable, "-m", "clipdesk", "--home", str(home), *args]
        return subprocess.run(cmd, capture_output=True, text=True, check=True, cwd=tmp_path)

    run("--model", "test", "add", str(shapes))
    run("vocab", "import", str(DEFAULT_VOCABULARY))
    run("index")  # the new tags' prompts are judged where the model loads
    text = run("vocab", "check").stdout
    assert "the model does not separate it from an ordinary photo" in text
    assert "Colours|Red  " in text or "Colours|Red " in text
    checks = {c["tag"]: c for c in json.loads(run("vocab", "check", "--json").stdout)}
    assert checks["Colours|Red"]["seen"] and checks["Colours|Red"]["suggested"] >= 1
    red = checks["Colours|Red"]
    assert red["rate"] == pytest.approx(red["suggested"] / 36, abs=1e-4)
    stadium = checks["Places|Stadium"]
    assert stadium["seen"] is False and stadium["suggested"] == 0
    assert "does not separate Stadium from an ordinary photo" in stadium["problem"]
