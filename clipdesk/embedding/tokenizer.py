"""CLIP's byte-level BPE tokenizer without torch or open_clip.

A port of open_clip's ``SimpleTokenizer`` (itself OpenAI CLIP's, MIT licence) giving
the same token ids: the same vocabulary file (``bpe_simple_vocab_16e6.txt.gz``, shipped
beside this module), the same cleaning (ftfy, HTML unescaped twice, whitespace
collapsed, lower case), the same pre-tokenising pattern, and the same layout:
``<start_of_text> ... <end_of_text>`` then zeros, truncated to the context length with
the last kept position replaced by ``<end_of_text>``. The parity test in
tests/test_tokenizer.py compares ids with ``open_clip.get_tokenizer`` on 1,000+ strings.
"""

from __future__ import annotations

import gzip
import html
import string
from collections.abc import Sequence
from functools import cached_property, lru_cache
from pathlib import Path

import numpy as np
import regex

VOCAB_FILE = Path(__file__).with_name("bpe_simple_vocab_16e6.txt.gz")
SOT, EOT = "<start_of_text>", "<end_of_text>"
CLEAN_KINDS = ("lower", "whitespace", "canonicalize")
_PUNCTUATION = str.maketrans("", "", string.punctuation)


@lru_cache
def bytes_to_unicode() -> dict[int, str]:
    """Each byte -> a printable character, so BPE never sees whitespace or control bytes."""
    bs = (
        list(range(ord("!"), ord("~") + 1))
        + list(range(ord("¡"), ord("¬") + 1))
        + list(range(ord("®"), ord("ÿ") + 1))
    )
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return dict(zip(bs, map(chr, cs), strict=True))


def _basic_clean(text: str) -> str:
    if text.isascii() and text.isprintable() and "&" not in text:
        # Printable ASCII without an entity is what ftfy and html.unescape leave as it is
        # (they change only non-ASCII, control characters, line breaks and entities): a
        # typed query does not pay the 0.1-0.25 s of importing ftfy.
        return text.strip()
    import ftfy  # 0.1 s to import: paid by the first text, not by loading a model

    text = ftfy.fix_text(text)
    return html.unescape(html.unescape(text)).strip()


def _whitespace_clean(text: str) -> str:
    return " ".join(text.split()).strip()


def _canonicalize(text: str) -> str:
    text = text.replace("_", " ").translate(_PUNCTUATION).lower()
    return " ".join(text.split()).strip()


def clean_text(text: str, kind: str = "lower") -> str:
    """open_clip's ``get_clean_fn(kind)`` applied to ``text``."""
    if kind == "lower":
        return _whitespace_clean(_basic_clean(text)).lower()
    if kind == "whitespace":
        return _whitespace_clean(_basic_clean(text))
    if kind == "canonicalize":
        return _canonicalize(_basic_clean(text))
    raise ValueError(f"unknown clean kind {kind!r}; one of {', '.join(CLEAN_KINDS)}")


class ClipTokenizer:
    """Texts -> (N, context_length) int64 token ids, exactly as open_clip's SimpleTokenizer."""

    def __init__(
        self, context_length: int = 77, clean: str = "lower", vocab_file: Path = VOCAB_FILE
    ):
        if clean not in CLEAN_KINDS:
            raise ValueError(f"unknown clean kind {clean!r}; one of {', '.join(CLEAN_KINDS)}")
        self.context_length = int(context_length)
        self.clean = clean
        self.vocab_file = vocab_file
        self.byte_encoder = bytes_to_unicode()
        self._cache: dict[str, list[int]] = {}
        self._pattern = regex.compile(
            rf"{SOT}|{EOT}|'s|'t|'re|'ve|'m|'ll|'d|[\p{{L}}]+|[\p{{N}}]|[^\s\p{{L}}\p{{N}}]+",
            regex.IGNORECASE,
        )

    @cached_property
    def _vocab(self) -> tuple[dict[str, int], dict[tuple[str, str], int]]:
        """(token -> id, merge -> rank), read on first use (0.15 s): indexing never needs it."""
        lines = gzip.open(self.vocab_file).read().decode("utf-8").split("\n")
        merges = [tuple(line.split()) for line in lines[1 : 49152 - 256 - 2 + 1]]
        vocab = list(self.byte_encoder.values())
        vocab += [v + "</w>" for v in vocab]
        vocab += ["".join(m) for m in merges]
        vocab += [SOT, EOT]
        return {t: i for i, t in enumerate(vocab)}, {m: i for i, m in enumerate(merges)}

    @property
    def encoder(self) -> dict[str, int]:
        return self._vocab[0]

    @property
    def bpe_ranks(self) -> dict[tuple[str, str], int]:
        return self._vocab[1]

    @property
    def sot_token_id(self) -> int:
        return self.encoder[SOT]

    @property
    def eot_token_id(self) -> int:
        return self.encoder[EOT]

    def _bpe(self, token: str) -> list[str]:
        ranks = self.bpe_ranks
        word = (*token[:-1], token[-1] + "</w>")
        while len(word) > 1:
            pairs = set(zip(word[:-1], word[1:], strict=True))
            bigram = min(pairs, key=lambda p: ranks.get(p, float("inf")))
            if bigram not in ranks:
                break
            first, second = bigram
            merged: list[str] = []
            i = 0
            while i < len(word):
                try:
                    j = word.index(first, i)
                except ValueError:
                    merged.extend(word[i:])
                    break
                merged.extend(word[i:j])
                i = j
                if i < len(word) - 1 and word[i + 1] == second:
                    merged.append(first + second)
                    i += 2
                else:
                    merged.append(first)
                    i += 1
            word = tuple(merged)
        return list(word)

    def _word_ids(self, word: str) -> list[int]:
        if word in (SOT, EOT):  # special tokens written in the text stay whole, as in open_clip
            return [self.encoder[word]]
        ids = self._cache.get(word)
        if ids is None:
            chars = "".join(self.byte_encoder[b] for b in word.encode("utf-8"))
            ids = [self.encoder[piece] for piece in self._bpe(chars)]
            if len(self._cache) < 100_000:
                self._cache[word] = ids
        return ids

    def encode(self, text: str) -> list[int]:
        """The BPE ids of one text, without start/end tokens or padding."""
        ids: list[int] = []
        for word in self._pattern.findall(clean_text(text, self.clean)):
            ids.extend(self._word_ids(word))
        return ids

    def __call__(self, texts: str | Sequence[str], context_length: int | None = None) -> np.ndarray:
        if isinstance(texts, str):
            texts = [texts]
        length = context_length or self.context_length
        out = np.zeros((len(texts), length), dtype=np.int64)
        for row, text in enumerate(texts):
            ids = [self.sot_token_id, *self.encode(text), self.eot_token_id]
            if len(ids) > length:
                ids = ids[:length]
                ids[-1] = self.eot_token_id
            out[row, : len(ids)] = ids
        return out
