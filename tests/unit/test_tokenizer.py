"""The torch-free tokenizer gives open_clip's exact token ids."""

from __future__ import annotations

import random

import numpy as np
import pytest

from clipdesk.embedding.registry import TEST_MODEL_DIR
from clipdesk.embedding.tokenizer import ClipTokenizer

PIECES = [
    "a photo of a",
    "Red",
    "CIRCLE",
    "dog's",
    "they'll",
    "we've",
    "isn't",
    "I'm",
    "café",
    "naïve",
    "Ångström",
    "straße",
    "Ελληνικά",
    "русский",
    "עברית",
    "العربية",
    "हिन्दी",
    "東京タワー",
    "北京的秋天",
    "한국어",
    "🙂",
    "🐶🐱",
    "👩‍👩‍👧",
    "🇯🇵",
    "❤️",
    "&amp;",
    "&lt;b&gt;",
    "&amp;amp;",
    "&#39;",
    "&quot;quoted&quot;",
    "&nbsp;",
    "&eacute;",
    "Ã©",  # mojibake that ftfy repairs
    "â€™",
    "e\u0301",  # combining accent
    "ﬁne",  # ligature
    "1984",
    "3.14159",
    "1,000,000",
    "#hashtag",
    "@user",
    "http://example.com/a?b=c&d=e",
    "C++",
    "...",
    "!!!",
    "(x)",
    "[y]",
    "{z}",
    "--",
    "—",
    "«guillemets»",
    "“curly”",
    "\t",
    "\n",
    "  ",
    "\u3000",
    "\u200b",
    "<start_of_text>",
    "<end_of_text>",
    "<START_OF_TEXT>",
    "snake_case_name",
    "CamelCaseWord",
    "x" * 40,
    "supercalifragilisticexpialidocious",
]


def _strings(n: int, seed: int = 0) -> list[str]:
    rng = random.Random(seed)
    out = ["", " ", "   \t\n ", "\u3000", "a", "A", "&amp;", "🙂", "日本"]
    out.append(" ".join(rng.choice(PIECES) for _ in range(200)))  # far beyond 77 tokens
    out.append("word " * 100)
    while len(out) < n:
        k = rng.choice([1, 2, 3, 5, 8, 13, 30, 80])
        sep = rng.choice([" ", "", ", ", "\n", "  "])
        text = sep.join(rng.choice(PIECES) for _ in range(k))
        if rng.random() < 0.2:
            text = text.upper() if rng.random() < 0.5 else text.title()
        if rng.random() < 0.1:
            text = "".join(chr(rng.randint(0x20, 0x2FFF)) for _ in range(rng.randint(1, 30)))
        out.append(text)
    return out


@pytest.fixture(scope="module")
def texts() -> list[str]:
    return _strings(1200)


def test_ids_equal_open_clip_for_the_test_model(texts):
    import open_clip

    theirs = open_clip.get_tokenizer(f"local-dir:{TEST_MODEL_DIR}")
    ours = ClipTokenizer(context_length=theirs.context_length)
    expected = theirs(texts).numpy()
    got = ours(texts)
    assert got.dtype == np.int64 and got.shape == expected.shape == (len(texts), 16)
    mismatched = [t for t, a, b in zip(texts, got, expected, strict=True) if (a != b).any()]
    assert not mismatched, mismatched[:5]


def test_ids_equal_open_clip_at_77_tokens_and_untruncated(texts):
    import open_clip

    theirs = open_clip.get_tokenizer("ViT-B-32")
    ours = ClipTokenizer()
    np.testing.assert_array_equal(ours(texts), theirs(texts).numpy())
    long_ones = [t for t in texts if len(theirs.encode(t)) > 75]
    assert len(long_ones) >= 20  # truncation is exercised
    for text in texts:
        assert ours.encode(text) == theirs.encode(text), text


@pytest.mark.parametrize("clean", ["whitespace", "canonicalize"])
def test_other_clean_kinds_equal_open_clip(texts, clean):
    from open_clip.tokenizer import SimpleTokenizer

    theirs = SimpleTokenizer(context_length=32, clean=clean)
    ours = ClipTokenizer(context_length=32, clean=clean)
    np.testing.assert_array_equal(ours(texts[:300]), theirs(texts[:300]).numpy())
