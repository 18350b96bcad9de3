"""The torch-free tokenizer gives open_clip's ids for typed ASCII queries with the standard
library alone: a fresh process never imports the regex module."""

from __future__ import annotations

import random

import numpy as np

from clipdesk.embedding.tokenizer import ClipTokenizer


def test_typed_ascii_queries_equal_open_clip_without_the_regex_module():
    """Printable ASCII (a typed query) is split with the standard library; every printable
    character, contractions in any case and the special tokens give open_clip's ids."""
    import string
    import subprocess
    import sys

    import open_clip

    rng = random.Random(3)
    alphabet = string.printable[:95]  # the printable ASCII characters, space included
    words = ["'s", "'T", "'re", "'VE", "'m", "'ll", "'D", "<start_of_text>", "<END_OF_TEXT>"]
    texts = ["".join(rng.choice(alphabet) for _ in range(rng.randint(1, 60))) for _ in range(600)]
    texts += [
        " ".join(rng.choice(words + ["dog", "a1b2", "x'sy"]) for _ in range(6)) for _ in range(100)
    ]
    texts = [t.replace("&", "+") if rng.random() < 0.5 else t for t in texts]
    theirs = open_clip.get_tokenizer("ViT-B-32")
    np.testing.assert_array_equal(ClipTokenizer()(texts), theirs(texts).numpy())

    code = (
        "import sys; from clipdesk.embedding.tokenizer import ClipTokenizer; "
        "ClipTokenizer()(['a photo of a Red circle, 2 dogs!']); print('regex' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
