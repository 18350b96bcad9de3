"""What the terminal says to a new user (issue 31, item 7): counts in words, a decision
made twice, a mistyped file, suggestions that wait for the model, what to do with the
review list, and the long first load of a model said before it happens."""

from __future__ import annotations

import shutil
from pathlib import Path

from PIL import Image

from tests.support.cli import one_line_error, run

REPO = Path(__file__).resolve().parents[2]
VOCAB = REPO / "tests" / "data" / "shapes_vocabulary.yaml"


def test_a_tag_confirmed_again_says_it_was_already(home, shapes):
    run("--model", "test", "add", str(shapes))
    red = [str(p) for p in sorted(shapes.glob("*red_circle.jpg"))[:2]]
    first = run("tag", red[0], "--confirm", "Colours|Red").stdout
    assert first.strip() == "Colours|Red: confirmed on 1 photo"
    again = run("tag", red[0], "--confirm", "Colours|Red").stdout
    assert again.strip() == "Colours|Red: already confirmed on 1 photo; no change"
    both = run("tag", *red, "--confirm", "Colours|Red").stdout
    assert both.strip() == "Colours|Red: confirmed on 1 photo (already on 1 other)"
    added = run("tag", red[0], "--add", "Trips|Rome").stdout
    assert added.strip() == "Trips|Rome: confirmed on 1 photo"
    assert "already confirmed" in run("tag", red[0], "--add", "Trips|Rome").stdout
    assert "(s)" not in first + again + both + added


def test_a_mistyped_file_in_a_known_folder_is_said_not_to_exist(home, shapes):
    run("--model", "test", "add", str(shapes))
    typo = shapes / "0000_red_circel.jpg"
    one_line_error(run("tags", str(typo), check=False), str(typo), "does not exist")
    one_line_error(run("tag", str(typo), "--confirm", "Colours|Red", check=False), "does not exist")
    elsewhere = shapes.parent / "elsewhere.jpg"  # a real file outside the library: as before
    shutil.copy(sorted(shapes.glob("*.jpg"))[0], elsewhere)
    one_line_error(run("tags", str(elsewhere), check=False), "not in the library")


def test_vocabulary_counts_are_words_and_replaced_tags_say_when_they_are_scored(
    home, shapes, tmp_path
):
    run("--model", "test", "add", str(shapes))
    one = tmp_path / "one.yaml"
    one.write_text("version: 1\ntags:\n- name: Lighthouse\n")
    merged = run("vocab", "import", str(one)).stdout
    assert merged.startswith("1 tag added, 0 updated"), merged
    assert "next `clipdesk index`" in merged  # the new tag's prompts need the model
    replaced = run("vocab", "import", str(VOCAB), "--replace").stdout
    assert "added 30 tags" in replaced
    # until then the photos have no suggestions of the new tags: said, not left to find out
    assert "their suggestions come with the next `clipdesk index`" in replaced, replaced
    assert "1 tags" not in merged + replaced


def test_review_says_how_to_act_on_its_list(home, shapes):
    run("--model", "test", "add", str(shapes))
    proc = run("review", "--limit", "3")
    assert len(proc.stdout.splitlines()) == 3  # the list alone on stdout, for pipes
    assert "clipdesk tag PHOTO --confirm TAG" in proc.stderr and "--reject TAG" in proc.stderr
    assert proc.stderr.count("\n") == 1


def test_the_first_export_of_a_model_is_said_before_the_wait(tmp_path, shapes):
    """A model folder of the user's own has no export yet: ``add`` says it is exporting it
    (the ~8 s a first run sat on "scanning folders...") before it does; the next run, with
    the export cached, says nothing of it."""
    own = tmp_path / "my-model"
    shutil.copytree(REPO / "models" / "test", own)
    home = tmp_path / "fresh-home"  # no shared ONNX cache: the export happens here
    cli = ("--home", str(home), "--model", str(own))
    first = run(*cli, "add", str(shapes), cwd=REPO)
    assert f"loading {own} (first run: exporting it to ONNX" in first.stderr, first.stderr
    assert "36 embedded" in first.stdout
    Image.new("RGB", (320, 240), (20, 180, 40)).save(shapes / "extra.jpg")  # to embed
    later = run(*cli, "index", cwd=REPO)
    assert "1 embedded" in later.stdout
    assert "exporting" not in later.stderr, later.stderr
