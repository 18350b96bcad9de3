"""The adversarial case of issue 26, item 3, through the real commands: a tagged photo is
deleted and a different one of the same size, differing only between the scan's samples,
appears. It is a new photo, embedded on its own; the tag stays with the missing one."""

from __future__ import annotations

import json
import shutil

from tests.support.cli import run
from tests.support.lookalikes import lookalike


def test_a_lookalike_is_embedded_as_a_new_photo_and_a_real_move_keeps_its_tag(home, tmp_path):
    root = tmp_path / "photos"
    circle = lookalike(root / "circle.bmp", "circle")
    run("--model", "test", "add", str(root))
    run("tag", "--add", "People|Alice", str(circle))
    circle.unlink()
    ellipse = lookalike(root / "ellipse.bmp", "ellipse")
    out = run("index").stdout
    assert "1 new" in out and "1 embedded" in out, out
    tags = json.loads(run("tags", str(ellipse), "--json").stdout)
    assert "People|Alice" not in {t["tag"] for t in tags}, tags
    status = json.loads(run("status", "--json").stdout)
    assert status["counts"]["indexed"] == 1 and status["counts"]["missing"] == 1

    # The decode recorded the ellipse's whole content: a real move of it keeps its tag.
    run("tag", "--add", "People|Bob", str(ellipse))
    (root / "2024").mkdir()
    moved = shutil.move(ellipse, root / "2024" / "ellipse.bmp")
    out = run("index").stdout
    assert "0 new" in out and "0 embedded" in out, out
    tags = json.loads(run("tags", str(moved), "--json").stdout)
    assert "People|Bob" in {t["tag"] for t in tags}, tags
