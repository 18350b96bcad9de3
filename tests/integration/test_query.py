"""The query language and the relevance cut-off, on a real catalog with the test model.

The test model knows colours firmly and shapes less so (tests/integration/test_search.py), so
the rankings below ask what it can tell apart.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from clipdesk.ops import search as search_ops
from clipdesk.ops.folders import add_folders
from clipdesk.pipeline import steps
from clipdesk.pipeline.library import Library
from clipdesk.search.index import SearchCache
from clipdesk.search.query import parse
from clipdesk.testing.synthetic import CLASSES, render

PER_CLASS = 4


def _write(folder: Path, classes, per_class: int, seed: int) -> None:
    folder.mkdir(parents=True)
    rng = np.random.default_rng(seed)
    for i in range(per_class):
        for colour, shape in classes:
            sample = render(colour, shape, (int(rng.integers(120, 260)),) * 2, rng, jpeg_quality=0)
            sample.image.save(folder / f"{i:02d}_{colour}_{shape}.jpg", quality=90)


def _library(root: Path, onnx_cache: Path, classes) -> Library:
    home = root / "home"
    (home / "cache").mkdir(parents=True)
    os.symlink(onnx_cache, home / "cache" / "onnx")
    _write(root / "photos", classes, PER_CLASS, seed=11)
    lib = Library(home, model="test", backend="onnx")
    add_folders(lib, [root / "photos"])
    steps.index(lib)
    return lib


@pytest.fixture(scope="module")
def lib(tmp_path_factory, onnx_cache):
    """72 photos, 4 of each colour-shape class."""
    library = _library(tmp_path_factory.mktemp("all"), onnx_cache, CLASSES)
    yield library
    library.close()


@pytest.fixture(scope="module")
def no_red(tmp_path_factory, onnx_cache):
    """60 photos of every class but the red ones."""
    classes = [c for c in CLASSES if c[0] != "red"]
    library = _library(tmp_path_factory.mktemp("nored"), onnx_cache, classes)
    yield library
    library.close()


def label(path: str) -> str:
    return " ".join(Path(path).stem.split("_")[1:])


def found(lib, text, limit=72, like=(), show_all=False, **kw):
    query = search_ops.read_query(text, list(like))
    return search_ops.find(lib, query, limit, show_all=show_all, **kw)


def labels(lib, text, limit=72, **kw) -> list[str]:
    return [label(h.path) for h in found(lib, text, limit, **kw).hits]


def test_a_minus_term_removes_what_it_names(lib):
    circles = 6 * PER_CLASS  # as many places as the library has circles
    plain = labels(lib, "circle", show_all=True)[:circles]
    minus = labels(lib, "circle -red", show_all=True)[:circles]
    assert "red circle" in plain
    assert not any(x.startswith("red") for x in minus), minus
    assert sum(x.endswith("circle") for x in minus[:10]) >= 8, minus


def test_weights_move_the_ranking_toward_the_heavier_term(lib):
    # After the 4 red squares: red things when "red" weighs more, squares when "square" does.
    red_heavy = labels(lib, "red:3 square", show_all=True)
    square_heavy = labels(lib, "red square:3", show_all=True)
    assert red_heavy[:4] == ["red square"] * 4
    assert sum(x.startswith("red") for x in red_heavy[4:12]) == 8, red_heavy[:12]
    assert sum(x.endswith("square") for x in square_heavy[:12]) > sum(
        x.endswith("square") for x in red_heavy[:12]
    ), (square_heavy[:12], red_heavy[:12])


def test_a_plus_term_is_required(lib):
    plain = labels(lib, "red circle")
    required = labels(lib, "red +circle")
    assert sorted(required) == ["red circle"] * PER_CLASS
    # Without '+', partial matches (other red photos, other circles) pass the cut-off too.
    assert set(plain) > {"red circle"}
    hidden = found(lib, "red +circle", limit=2).hidden
    assert hidden == 72 - PER_CLASS  # counted over the library, whatever the limit


def test_a_minus_term_is_judged_on_what_the_rest_of_the_query_asks_for(lib):
    # The blue circles and triangles match "blue" well, and "blue -square" ranks them
    # first; the squares, which "square" lifts on its own, are left out.
    wanted = ["blue circle"] * PER_CLASS + ["blue triangle"] * PER_CLASS
    assert sorted(labels(lib, "blue -square")) == wanted
    assert found(lib, "blue -square").hidden == 72 - len(wanted)
    every = labels(lib, "blue -square", show_all=True)  # ranked as before: by blue - square
    assert sorted(every[: len(wanted)]) == wanted
    # A word the model never learned leaves nothing out; a light weight only demotes.
    assert sorted(labels(lib, "blue -giraffe")) == sorted(labels(lib, "blue"))
    assert sorted(labels(lib, "blue -square:0.25")) == sorted(labels(lib, "blue"))


def test_an_example_photo_with_text_ranks_its_like_with_the_texts_attribute(lib):
    example = _first(lib, "green triangle")
    alone = labels(lib, None, like=[example], limit=3)
    assert alone == ["green triangle"] * 3  # the example itself is not among them
    red = labels(lib, "red", like=[example], limit=PER_CLASS, show_all=True)
    assert red[:3] == ["red triangle"] * 3, red  # then the example's own twins
    redder = labels(lib, "red:2", like=[example], limit=PER_CLASS, show_all=True)
    assert redder == ["red triangle"] * PER_CLASS, redder
    # The text alone finds red photos of every shape.
    assert {x.split()[1] for x in labels(lib, "red")} == {"circle", "square", "triangle"}


def _first(lib, wanted: str) -> str:
    rows = lib.catalog.conn.execute("SELECT path FROM photos ORDER BY path").fetchall()
    return next(r[0] for r in rows if label(r[0]) == wanted)


@pytest.mark.parametrize("query", ["red", "yellow", "blue square", "red circle"])
def test_the_cut_off_keeps_what_is_there(lib, query):
    shown = labels(lib, query)
    wanted = [x for x in shown if x.startswith(query) or x == query]
    assert len(wanted) == (PER_CLASS if " " in query else 3 * PER_CLASS), shown
    assert len(shown) <= 72 // 3, shown  # and hides most of the library


@pytest.mark.parametrize("query", ["giraffe", "sunset", "a dog on a beach", "people"])
def test_the_cut_off_hides_everything_for_what_the_model_does_not_know(lib, query):
    result = found(lib, query)
    assert result.hits == [] and result.hidden == 72


def test_the_cut_off_hides_the_library_for_an_absent_colour(no_red):
    result = found(no_red, "red")
    assert result.hits == [] and result.hidden == 60
    # Every photo is still there, ranked, for a user who asks.
    assert len(found(no_red, "red", show_all=True).hits) == 60


def test_min_score_replaces_the_cut_off(lib):
    everything = found(lib, "red", show_all=True).hits
    middle = everything[30].score
    chosen = found(lib, "red", min_score=middle)
    assert len(chosen.hits) >= 31 and all(h.score >= middle for h in chosen.hits)
    assert chosen.hidden == 72 - len(chosen.hits)


def clipdesk(lib, *args):
    return subprocess.run(
        [sys.executable, "-m", "clipdesk", "--home", str(lib.home), "--model", "test", *args],
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, "HF_HUB_OFFLINE": "1"},
    )


def test_cli_limit_all_and_the_hidden_count(lib):
    red = clipdesk(lib, "search", "red", "--limit", "30")
    assert red.returncode == 0 and len(red.stdout.splitlines()) == 3 * PER_CLASS
    hidden = f"{72 - 3 * PER_CLASS} weaker matches hidden; --all shows them"
    assert red.stderr.strip() == hidden
    every = clipdesk(lib, "search", "red", "--limit", "30", "--all")
    assert len(every.stdout.splitlines()) == 30 and every.stderr == ""
    few = clipdesk(lib, "search", "red", "--limit", "5")  # the best 5 matches, and the count
    assert len(few.stdout.splitlines()) == 5
    assert few.stderr.splitlines() == [f"{3 * PER_CLASS - 5} more matches past --limit 5", hidden]

    absent = clipdesk(lib, "search", "giraffe")
    assert absent.returncode == 0 and absent.stdout == ""
    assert absent.stderr.strip() == "no photo matches 'giraffe' well; closest shown with --all"

    example = _first(lib, "green triangle")
    like = clipdesk(lib, "search", "--like", example, "red", "--limit", "2")
    assert [label(line.split(None, 1)[1]) for line in like.stdout.splitlines()] == [
        "red triangle"
    ] * 2


@pytest.mark.parametrize("text", ["red circle", "blue -square", "red +circle"])
def test_the_terminal_and_the_window_hide_the_same_number(lib, text):
    window = search_ops.rank_query(lib, SearchCache(), parse(text), None)  # the window's op
    assert 0 < len(window.ids) and window.hidden == 72 - len(window.ids)  # every match listed
    said = clipdesk(lib, "search", text, "--limit", "3").stderr.splitlines()  # the best 3
    assert said[-1] == f"{window.hidden} weaker matches hidden; --all shows them", said


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("search", "dog:abc"), "clipdesk: error: 'dog:abc': the weight after ':' is a number"),
        (("search", "beach - people"), "clipdesk: error: a lone '-'"),
        (("search",), "clipdesk: error: nothing to search for"),
        (("search", "red", "--all", "--min-score", "0.3"), "not allowed with argument"),
        (("search", "red", "--min-score", "2"), "a score is between -1 and 1"),
        (("search", "--like", "/nowhere/x.jpg"), "clipdesk: error: no such photo"),
    ],
)
def test_cli_bad_queries_are_one_line(lib, args, message):
    proc = clipdesk(lib, *args)
    assert proc.returncode != 0 and proc.stdout == ""
    assert message in proc.stderr and "Traceback" not in proc.stderr, proc.stderr
