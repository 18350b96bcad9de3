"""Words in photos (issue 30) through the real commands and the real OCR engine: signs
rendered in several fonts, sizes, colours and small rotations on photo-like backgrounds
are read after tagging and found by `text:` (any case, part of a word, a phrase, with a
description, left out); a library of shapes never runs the OCR; `--no-text` and the
setting turn it off. The test model knows no "sign" or "document" (its prompts lie among
their nonsense twins), so its photos are judged by the thumbnail's lines of letters."""

from __future__ import annotations

import json

import pytest

from clipdesk.testing.synthetic import write_folder
from tests.support.catalog_reads import query
from tests.support.cli import run
from tests.support.text_photos import write_signs

pytest.importorskip("rapidocr", reason="the OCR engine: pip install 'clipdesk[text]'")


def _found(*args: str) -> set[str]:
    hits = json.loads(run("search", *args, "--json", "--all").stdout)
    return {h["path"].rsplit("/", 1)[-1] for h in hits}


def _folded(text: str) -> str:
    return " ".join(text.casefold().split())


@pytest.fixture
def signs_library(home, tmp_path):
    root = tmp_path / "photos"
    signs = write_signs(root)
    write_folder(root / "shapes", 8, seed=3)
    out = run("--model", "test", "add", str(root)).stdout
    return root, signs, out


def test_the_words_of_each_sign_are_read_and_shapes_are_skipped(home, signs_library):
    root, signs, out = signs_library
    assert f"words read in {len(signs)} photos" in out, out
    for name, sign in signs.items():
        shown = json.loads(run("text", str(root / name), "--json").stdout)
        assert shown["state"] == "read", (name, shown)
        read = _folded(shown["text"])
        for line in sign.lines:  # every line, in order, whatever the case or spacing
            assert _folded(line) in read, (name, sign, shown["text"])
    plain = run("text", str(root / "sign_1.jpg")).stdout  # the lines read, one a line
    assert [_folded(line) for line in plain.splitlines()] == [
        _folded(line) for line in signs["sign_1.jpg"].lines
    ], plain
    shapes = sorted((root / "shapes").iterdir())
    out = run("text", str(shapes[0])).stdout
    assert "does not look like it holds text" in out, out
    states = query(home, "SELECT text_read, COUNT(*) FROM photos GROUP BY 1")
    assert dict(states) == {1: len(signs), 2: len(shapes)}, states


def test_text_search_finds_words_in_any_case_part_of_a_word_and_phrases(signs_library):
    _, signs, _ = signs_library
    by_words = {" ".join(s.lines): n for n, s in signs.items()}
    croissants = by_words["Fresh croissants every morning"]
    assert _found('text:"open 24"') == {by_words["OPEN 24 HOURS"]}
    assert _found("text:croissant") == {croissants}  # part of a word
    assert _found("text:CROISSANTS") == {croissants}  # any case
    assert _found('text:"croissants every"') == {croissants}  # a phrase across two lines
    assert _found("text:menu text:jour") == {by_words["MENU du jour"]}  # both words
    assert _found("text:nowhere") == set()
    assert 'no photo\'s words hold "nowhere"' in run("search", "text:nowhere").stderr
    # with a description: the photos holding the words, ranked by what the model sees
    assert _found("text:lemonade red circle") == {by_words["Lemonade 2 EUR"]}
    # left out: every photo but the one holding the words
    left = _found("red circle -text:lemonade")
    assert by_words["Lemonade 2 EUR"] not in left and left, left


def test_a_library_of_shapes_never_runs_the_ocr(home, shapes):
    """36 shapes on plain, gradient, noise and striped or chequered backgrounds: each is
    judged and skipped, and the OCR engine is never even loaded."""
    from clipdesk.pipeline import steps
    from clipdesk.pipeline.library import Library

    lib = Library(home, model="test", backend="onnx")
    try:
        lib.catalog.add_folder(shapes)
        result, after = steps.index(lib)
        assert result.embedded == 36
        assert after.text == 0
        assert "text_reader" not in lib.__dict__  # the engine was never loaded
    finally:
        lib.close()
    assert query(home, "SELECT text_read, COUNT(*) FROM photos GROUP BY 1") == [(2, 36)]
    assert query(home, "SELECT COUNT(*) FROM photo_text") == [(0,)]


def test_no_text_flag_and_setting_read_nothing(home, tmp_path):
    root = tmp_path / "photos"
    write_signs(root)
    run("--model", "test", "--no-text", "add", str(root))
    assert query(home, "SELECT DISTINCT text_read FROM photos") == [(0,)]
    assert "off" in run("text", "--off").stdout
    run("--model", "test", "index")
    assert query(home, "SELECT DISTINCT text_read FROM photos") == [(0,)]
    sign = sorted(root.iterdir())[0]
    out = run("text", str(sign)).stdout
    assert "not looked at yet" in out and "clipdesk text --on" in out, out
    run("text", "--on")
    run("--model", "test", "index")
    assert query(home, "SELECT DISTINCT text_read FROM photos") == [(1,)]
    assert "OPEN 24 HOURS" in run("text", str(sign)).stdout


def test_the_worker_reads_words_after_the_tags_and_the_window_search_finds_them(
    home, start, tmp_path
):
    """Behind the window: new photos are judged and read by the worker's own low-priority
    job, and the window's search (``rank_query``) lists the photos a text: term finds."""
    from clipdesk.ops import search as search_ops
    from clipdesk.search.index import SearchCache
    from clipdesk.search.query import parse
    from tests.support.polling import wait_until

    root = tmp_path / "photos"
    signs = write_signs(root)
    write_folder(root / "shapes", 4, seed=5)
    w, _ = start(root)
    total = len(signs) + 4
    wait_until(
        lambda: query(home, "SELECT COUNT(*) FROM photos WHERE text_read != 0") == [(total,)],
        timeout=120,
    )
    assert query(home, "SELECT COUNT(*) FROM photo_text") == [(len(signs),)]

    def window_search(lib):
        ranking = search_ops.rank_query(lib, SearchCache(), parse("text:croissant"), None)
        return [lib.catalog.photo(int(i)).path for i in ranking.ids]

    (path,) = w.submit(window_search).result(60)
    assert path.endswith("sign_1.jpg")


def test_a_photo_whose_picture_changes_is_read_again(home, signs_library):
    """The file of a sign is replaced by another sign (edited in another program): the next
    index reads the new words, and the old ones no longer find it."""
    root, signs, _ = signs_library
    first, second = root / "sign_0.jpg", root / "sign_1.jpg"
    old_word = signs["sign_0.jpg"].lines[0].split()[0]
    new_word = signs["sign_1.jpg"].lines[0].split()[0]
    assert "sign_0.jpg" in _found(f"text:{old_word}")
    first.write_bytes(second.read_bytes() + b"\0")  # new content, the same name
    run("index")
    shown = json.loads(run("text", str(first), "--json").stdout)
    assert _folded(new_word) in _folded(shown["text"]), shown
    assert "sign_0.jpg" not in _found(f"text:{old_word}")
