"""The tagging commands as a user runs them."""

from __future__ import annotations

import json
from pathlib import Path

from tests.support.cli import run

VOCAB = Path(__file__).parents[1] / "data" / "shapes_vocabulary.yaml"


def test_tagging_workflow(home, shapes, tmp_path):
    run("--model", "test", "add", str(shapes))
    # A new library on the test model gets its colours-and-shapes vocabulary; ours merges.
    imported = run("vocab", "import", str(VOCAB))
    assert "30 tags added" in imported.stdout
    # `vocab` never loads the model: the new tags' prompts are encoded by the next index.
    assert "next `clipdesk index`" in imported.stdout
    run("index")

    red = sorted(shapes.glob("*red_circle.jpg"))[0]
    tags = {t["tag"]: t for t in json.loads(run("tags", str(red), "--json").stdout)}
    assert tags["Object|red circle"]["state"] == "suggested"
    assert (
        tags["Object|red circle"]["source"] == "model" and tags["Object|red circle"]["score"] > 0.5
    )

    run("tag", str(red), "--reject", "Object|red circle")
    run("tag", str(red), "--add", "Holiday|Beach")
    tags = {t["tag"]: t for t in json.loads(run("tags", str(red), "--json").stdout)}
    assert (tags["Object|red circle"]["state"], tags["Object|red circle"]["source"]) == (
        "rejected",
        "user",
    )
    assert tags["Holiday|Beach"]["state"] == "confirmed"
    run("retrain")
    tags = {t["tag"]: t for t in json.loads(run("tags", str(red), "--json").stdout)}
    assert tags["Object|red circle"]["state"] == "rejected"

    run("undo")
    tags = {t["tag"]: t for t in json.loads(run("tags", str(red), "--json").stdout)}
    assert "Holiday|Beach" not in tags

    red = {
        h["path"]
        for h in json.loads(
            run(
                "search", "circle", "--tag", "Colour|red", "--json", "--limit", "50", "--all"
            ).stdout
        )
    }
    not_red = {
        h["path"]
        for h in json.loads(
            run(
                "search", "circle", "--no-tag", "Colour|red", "--json", "--limit", "50", "--all"
            ).stdout
        )
    }
    assert len(red) >= 5 and all("_red_" in Path(p).name for p in red)
    assert not red & not_red and len(red | not_red) == 36

    queue = json.loads(run("review", "--tag", "Shape|triangle", "--limit", "3", "--json").stdout)
    assert len(queue) == 3 and {q["tag"] for q in queue} == {"Shape|triangle"}

    out = tmp_path / "vocab.yaml"
    run("vocab", "export", str(out))
    assert "red circle" in out.read_text() and "Triangle" in out.read_text()


def test_bad_vocabulary_is_refused_with_its_line(home, tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("tags:\n  - name: Dog\n    threshold: lots\n")
    proc = run("vocab", "import", str(bad), check=False)
    assert proc.returncode == 1 and "line 3" in proc.stderr and "Traceback" not in proc.stderr
    exported = run("vocab", "export").stdout
    assert "lots" not in exported


def test_unknown_tag_and_photo_are_clear_errors(home, shapes):
    run("--model", "test", "add", str(shapes))
    photo = str(sorted(shapes.glob("*.jpg"))[0])
    proc = run("tag", photo, "--confirm", "No such tag", check=False)
    assert proc.returncode == 1 and "no tag 'No such tag'" in proc.stderr
    proc = run("tags", "/elsewhere/x.jpg", check=False)  # no such file: said so (issue 31)
    assert proc.returncode == 1 and "/elsewhere/x.jpg does not exist" in proc.stderr


def test_a_typed_tag_name_is_checked_like_a_vocabulary_name(home, shapes):
    """`tag --add` takes what a person types: a control character or a 500-character name is
    one line and exit 1, and no tag (nor a parent of one) is created (issue 13, item 6)."""
    run("--model", "test", "add", str(shapes))
    photo = str(sorted(shapes.glob("*.jpg"))[0])
    before = run("vocab", "export").stdout
    for typed, words in [
        ("Trips|Ro\x07me", "control characters"),
        ("Trips|Rome\nParis", "control characters"),
        ("Trips|" + "x" * 500, "longer than"),
    ]:
        proc = run("tag", photo, "--add", typed, check=False)
        assert proc.returncode == 1, proc.stdout
        assert words in proc.stderr and "Traceback" not in proc.stderr, proc.stderr
        assert len(proc.stderr.strip().splitlines()) == 1, proc.stderr
    assert run("vocab", "export").stdout == before  # not even the parent "Trips"
    tags = json.loads(run("tags", photo, "--json").stdout)
    assert not any(t["tag"].startswith("Trips") for t in tags)
    run("tag", photo, "--add", "Trips|Rome")  # a good name still works
    assert "Trips|Rome" in {t["tag"] for t in json.loads(run("tags", photo, "--json").stdout)}


def test_vocab_import_replace_says_first_and_never_drops_a_decision(home, shapes):
    run("--model", "test", "add", str(shapes))  # the test model's colours-and-shapes tags
    red = sorted(shapes.glob("*red_circle.jpg"))[0]
    run("tag", str(red), "--confirm", "Colours|Red")
    before = run("vocab", "export").stdout
    planned = run("vocab", "import", str(VOCAB), "--replace", "--dry-run").stdout
    assert "would remove" in planned and "Shapes|Circle" in planned
    assert "kept 1 tag with your decisions: Colours|Red" in planned
    assert run("vocab", "export").stdout == before  # a dry run changes nothing
    run("vocab", "import", str(VOCAB), "--replace")
    after = run("vocab", "export").stdout
    assert "Circle" not in after and "red circle" in after  # the file's tags, and only them
    tags = {t["tag"]: t["state"] for t in json.loads(run("tags", str(red), "--json").stdout)}
    assert tags["Colours|Red"] == "confirmed"  # ... but the user's decision stays
