"""Words in photos without a model (issue 30): `text:` terms as the query language reads
them, the catalog's matching of the words read (any case the Unicode way, part of a word,
a phrase across lines), the search filter they make, and the letter measure that judges
photos when the model cannot (no OCR here: tests/integration/test_text.py reads)."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont

from clipdesk.catalog import Catalog, photo_text
from clipdesk.catalog.photo_text import TextRead
from clipdesk.imaging import make_thumbnail
from clipdesk.ops import search as search_ops
from clipdesk.ops.errors import OpError
from clipdesk.search.query import Term, parse, require_something_to_find
from clipdesk.testing.synthetic import write_folder


@pytest.mark.parametrize(
    ("text", "terms", "words", "no_words"),
    [
        ("text:croissant", [], ["croissant"], []),
        ('text:"open 24"', [], ["open 24"], []),
        ('TEXT:"open   24" beach', [Term("beach")], ["open 24"], []),
        ("text:menu beach", [Term("beach")], ["menu"], []),
        ("beach -text:menu", [Term("beach")], [], ["menu"]),
        ('red car -text:"no parking" text:exit', [Term("red car")], ["exit"], ["no parking"]),
        ('"text:menu"', [Term("text:menu")], [], []),  # quoted: as written
    ],
)
def test_text_terms_are_read_apart_from_the_description(text, terms, words, no_words):
    query = parse(text)
    assert (list(query.terms), list(query.words), list(query.no_words)) == (
        terms,
        words,
        no_words,
    )


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("text:", "text: needs the words to find"),
        ('text:""', "text: needs the words to find"),
        ('text:"open"24', "put a space after the quote"),
        ("-text:menu", "only terms to leave out"),
    ],
)
def test_a_text_term_that_cannot_be_read_says_what_to_write(text, message):
    with pytest.raises(OpError, match=message):
        search_ops.read_query(text)


def test_text_terms_alone_are_something_to_find():
    require_something_to_find(parse("text:menu"))
    assert search_ops.read_query("text:menu").words == ("menu",)


@pytest.fixture
def catalog(tmp_path):
    cat = Catalog(tmp_path / "catalog.sqlite3")
    folder = cat.add_folder(tmp_path)
    texts = {
        "menu.jpg": "MENU du jour\nSoupe à l'oignon",
        "sign.jpg": "OPEN 24 HOURS",
        "street.jpg": "Große STRASSE 5",
        "beach.jpg": "",  # read: no words found
        "cat.jpg": None,  # never read
    }
    ids = {}
    with cat.transaction():
        for i, (name, text) in enumerate(texts.items()):
            ids[name] = cat.insert_photo(folder, str(tmp_path / name), 10 + i, 1, f"{i:032x}")
            if text is not None:
                photo_text.put(cat, ids[name], text, 0.9, "test")
    yield cat, ids
    cat.close()


def test_words_match_in_any_case_in_part_and_as_phrases(catalog):
    cat, ids = catalog

    def found(*words):
        return {n for n, i in ids.items() if i in photo_text.matching(cat, words)}

    assert found("open 24") == {"sign.jpg"}
    assert found("HOURS") == {"sign.jpg"}
    assert found("hou") == {"sign.jpg"}  # part of a word
    assert found("jour soupe") == {"menu.jpg"}  # a phrase across a line break
    assert found("OIGNON") == {"menu.jpg"}
    assert found("große straße") == {"street.jpg"}  # Unicode case folding (ß -> ss)
    assert found("menu", "oignon") == {"menu.jpg"}  # every one of the words
    assert found("menu", "hours") == set()
    assert found("nowhere") == set()


def test_where_a_photo_stands_and_its_words(catalog):
    cat, ids = catalog
    assert photo_text.text_of(cat, ids["sign.jpg"]) == (TextRead.READ, "OPEN 24 HOURS")
    assert photo_text.text_of(cat, ids["beach.jpg"]) == (TextRead.READ, "")
    assert photo_text.text_of(cat, ids["cat.jpg"]) == (TextRead.NOT_YET, None)
    with cat.transaction():
        photo_text.mark(cat, [ids["cat.jpg"]], TextRead.SKIPPED)
    assert photo_text.text_of(cat, ids["cat.jpg"]) == (TextRead.SKIPPED, None)
    with pytest.raises(LookupError):
        photo_text.text_of(cat, 999)


def _grey(image: Image.Image) -> np.ndarray:
    return np.asarray(make_thumbnail(image.convert("RGB"), 256).convert("L"))


def test_the_letter_measure_finds_words_and_not_shapes(tmp_path):
    from clipdesk.text.likeness import MIN_LETTERS, letters_in_a_row

    pytest.importorskip("cv2", reason="OpenCV comes with the OCR engine (clipdesk[text])")
    shapes = write_folder(tmp_path, 54, seed=1)  # every background: plain to chequered
    assert max(letters_in_a_row(_grey(s.image)) for s in shapes) < MIN_LETTERS
    for size, ink in ((28, (0, 0, 0)), (44, (255, 255, 255)), (60, (250, 220, 40))):
        im = Image.new("RGB", (640, 480), (70, 110, 160))
        font = ImageFont.load_default(size=size)
        ImageDraw.Draw(im).text((30, 200), "Fish market", font=font, fill=ink)
        assert letters_in_a_row(_grey(im)) >= MIN_LETTERS, (size, ink)


def _unit(v):
    v = np.asarray(v, np.float32)
    return v / np.linalg.norm(v)


def test_clip_judges_by_the_text_like_share_and_only_where_the_model_knows_the_words():
    from clipdesk.text import PromptVectors, clip_likeness
    from clipdesk.text.likeness import LIKELY, OTHER_PROMPTS, TEXT_PROMPTS

    rng = np.random.default_rng(0)
    text = np.stack([_unit(rng.normal(size=32)) for _ in TEXT_PROMPTS])
    other = np.stack([_unit(rng.normal(size=32)) for _ in OTHER_PROMPTS])
    prompts = PromptVectors(text, other, evidence=12.0, scale=100.0)
    assert prompts.model_sees_text
    assert clip_likeness(text[2], prompts) > LIKELY  # a photo like "a screenshot."
    assert clip_likeness(other[0], prompts) < LIKELY  # like "a photo of a landscape."
    between = _unit(text[0] + other[0])  # as like a sign as a landscape: an even split
    assert abs(clip_likeness(between, prompts) - 0.5) < 0.05
    # a model whose text-like prompts lie among their nonsense twins: its scores are noise
    assert not PromptVectors(text, other, evidence=1.2, scale=100.0).model_sees_text
    kept = PromptVectors.from_note(prompts.to_note())
    assert kept is not None and np.allclose(kept.text, text) and kept.evidence == 12.0
    stale = {**prompts.to_note(), "prompts": ["a photo of a sign."]}  # other prompts then
    assert PromptVectors.from_note(stale) is None
