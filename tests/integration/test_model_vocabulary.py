"""The model and the vocabulary fit together: a first run on the test model starts with its
colours and shapes; switching to the test model on a vocabulary of everyday subjects says
so (and changes nothing) until the user asks for its own vocabulary, which then tags the
photos at once and keeps every tag the user decided on."""

from __future__ import annotations

import json

import pytest

from clipdesk.catalog import Catalog
from clipdesk.ops import OpError
from clipdesk.ops import model_vocabulary as ops
from clipdesk.pipeline.library import Library
from clipdesk.tagging.store import TagStore
from clipdesk.tagging.vocabulary import DEFAULT_VOCABULARY, TEST_MODEL_VOCABULARY, load
from tests.support.cli import run

HINT = "The test model knows colours and shapes only; your vocabulary has 118 tags it cannot see."
REAL_MODEL = "ViT-B-32-256:datacomp_s34b_b86k"  # never loaded here: the checks need no model


def paths(vocabulary) -> set[str]:
    return {s.path for s in load(vocabulary)}


def stored(home) -> set[str]:
    """Every tag path in the catalog's vocabulary."""
    with Catalog(home / "data" / "catalog.sqlite3", readonly=True) as cat:
        return set(TagStore(cat).names())


def suggested(shapes, name_end: str) -> set[str]:
    """The tags `clipdesk tags` shows as suggested on the first photo named ``*name_end``."""
    photo = sorted(shapes.glob(f"*{name_end}"))[0]
    tags = json.loads(run("tags", str(photo), "--json").stdout)
    return {t["tag"] for t in tags if t["state"] == "suggested"}


def everyday_catalog(home) -> None:
    """A catalog that holds the default vocabulary, as a real model's first run left it."""
    with Catalog(home / "data" / "catalog.sqlite3") as cat:
        TagStore(cat).seed_default(DEFAULT_VOCABULARY)


def test_a_first_run_on_the_test_model_starts_with_its_vocabulary(home, shapes):
    (home / "config").mkdir(parents=True, exist_ok=True)
    (home / "config" / "settings.json").write_text(json.dumps({"model": "test"}))  # the bundle's
    added = run("add", str(shapes))
    assert "--model-vocabulary" not in added.stderr
    assert stored(home) == paths(TEST_MODEL_VOCABULARY)
    assert {"Colours|Red", "Shapes|Circle"} <= suggested(shapes, "_red_circle.jpg")


def test_the_test_model_on_everyday_tags_says_so_and_the_flag_switches(home, shapes):
    everyday_catalog(home)
    added = run("--model", "test", "add", str(shapes))
    hint = [line for line in added.stderr.splitlines() if "--model-vocabulary" in line]
    assert len(hint) == 1 and HINT in hint[0], added.stderr
    assert stored(home) == paths(DEFAULT_VOCABULARY)  # nothing replaced unasked
    assert not {"Colours|Red", "Shapes|Circle"} & suggested(shapes, "_red_circle.jpg")

    switched = run("index", "--model", "test", "--model-vocabulary")
    assert "switched to the vocabulary for test" in switched.stdout and "118" not in switched.stderr
    assert stored(home) == paths(TEST_MODEL_VOCABULARY)
    # Re-scored at once: the photos, embedded before, now carry their colour and shape.
    assert {"Colours|Red", "Shapes|Circle"} <= suggested(shapes, "_red_circle.jpg")
    assert {"Colours|Blue", "Shapes|Square"} <= suggested(shapes, "_blue_square.jpg")
    again = run("--model", "test", "index")
    assert "--model-vocabulary" not in again.stderr  # it suits now: no more hint


def test_switching_keeps_the_tags_you_decided_on(home, shapes):
    everyday_catalog(home)
    run("--model", "test", "add", str(shapes))
    photo = str(sorted(shapes.glob("*_red_circle.jpg"))[0])
    run("tag", photo, "--confirm", "Animals|Dog")
    run("tag", photo, "--add", "Holiday|Beach")

    switched = run("index", "--model-vocabulary")  # the model the settings remember: test
    assert "2 tags with your decisions kept" in switched.stdout
    now = stored(home)
    assert {"Animals|Dog", "Holiday|Beach"} <= now and "Animals|Cat" not in now
    assert paths(TEST_MODEL_VOCABULARY) <= now
    tags = {t["tag"]: t["state"] for t in json.loads(run("tags", photo, "--json").stdout)}
    assert tags["Animals|Dog"] == "confirmed" and tags["Holiday|Beach"] == "confirmed"
    assert tags["Colours|Red"] == "suggested"
    (backup,) = (home / "data" / "vocabulary-backups").iterdir()
    assert backup.name in switched.stdout and "name: Cat" in backup.read_text()


def test_what_is_offered_and_when(home):
    """A real model sees any vocabulary; it is offered its own only when the catalog holds
    no more than the test model's. The test model is offered its own until it has it."""
    lib = Library(home, model=REAL_MODEL)
    lib.allow_model = False
    try:
        assert ops.vocabulary_fit(lib).suits  # a new catalog: the default vocabulary
        with lib.catalog.transaction():
            TagStore(lib.catalog).ensure("Family|Grandma")
        assert ops.vocabulary_fit(lib).suits  # your own tags: never questioned
    finally:
        lib.close()

    lib = Library(home, model="test")
    lib.allow_model = False
    try:
        fit = ops.vocabulary_fit(lib)
        assert not fit.suits and "119 tags it cannot see" in fit.message
        assert "Family|Grandma" in fit.unseen
        assert stored(home) == paths(DEFAULT_VOCABULARY) | {"Family", "Family|Grandma"}
        with pytest.raises(OpError, match="the model is now test"):
            ops.use_model_vocabulary(lib, model=REAL_MODEL)  # offered for another model
        assert "Animals|Dog" in stored(home)
        done = ops.use_model_vocabulary(lib, model="test")
        assert done.replacement is not None and "Family|Grandma" in done.replacement.removed
        assert ops.vocabulary_fit(lib).suits
        assert ops.use_model_vocabulary(lib).replacement is None  # nothing left to change
    finally:
        lib.close()

    lib = Library(home, model=REAL_MODEL)
    lib.allow_model = False
    try:
        fit = ops.vocabulary_fit(lib)
        assert not fit.suits and "only the test model's colours and shapes" in fit.message
        ops.use_model_vocabulary(lib)
        assert stored(home) == paths(DEFAULT_VOCABULARY)
    finally:
        lib.close()
