"""Hugging Face tokenizers (XLM-RoBERTa, mT5, ...) without torch or transformers.

open_clip's multilingual text towers tokenize with ``transformers.AutoTokenizer``
(``open_clip.tokenizer.HFTokenizer``), which pulls in torch. Every such "fast" tokenizer
is a ``tokenizers`` pipeline (normaliser, pre-tokeniser, model, post-processor) saved as
one ``tokenizer.json``; the export copies that file beside the graphs, and this class
runs it with the small Rust ``tokenizers`` library, doing what HFTokenizer does around
it: open_clip's text cleaning, truncation to the context length (special tokens
included), padding with the pad id, and optionally the separator token turned to 0.
The export checks the ids against open_clip's on probe strings before trusting it, and
tests/test_multilingual.py compares them on 1,000+ strings.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from clipdesk.embedding.tokenizer import clean_text


class HfTokenizer:
    def __init__(
        self,
        tokenizer_json: str,
        context_length: int,
        clean: str = "whitespace",
        pad_id: int = 0,
        pad_token: str = "<pad>",
        sep_id: int | None = None,
    ):
        from tokenizers import Tokenizer

        self.context_length = int(context_length)
        self.clean = clean
        self.sep_id = sep_id
        self.pad_id = int(pad_id)
        self._tok = Tokenizer.from_str(tokenizer_json)
        self._tok.enable_truncation(max_length=self.context_length)
        self._tok.enable_padding(
            length=self.context_length, pad_id=self.pad_id, pad_token=pad_token
        )

    @classmethod
    def from_file(cls, path: str | Path, **kwargs) -> HfTokenizer:
        return cls(Path(path).read_text(encoding="utf-8"), **kwargs)

    def __call__(self, texts: str | Sequence[str], context_length: int | None = None) -> np.ndarray:
        if isinstance(texts, str):
            texts = [texts]
        if context_length and context_length != self.context_length:
            raise ValueError("this tokenizer pads to its own context length")
        cleaned = [clean_text(t, self.clean) for t in texts]
        ids = np.array([e.ids for e in self._tok.encode_batch(cleaned)], dtype=np.int64)
        ids = ids.reshape(len(texts), self.context_length)
        if self.sep_id is not None:  # open_clip's strip_sep_token
            ids[ids == self.sep_id] = 0
        return ids
