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

import re
import string
import zlib
from collections.abc import Sequence
from functools import cached_property, lru_cache
from pathlib import Path

import numpy as np

VOCAB_FILE = Path(__file__).with_name("bpe_simple_vocab_16e6.txt.gz")
SOT, EOT = "<start_of_text>", "<end_of_text>"
N_MERGES = 49152 - 256 - 2  # the merges CLIP uses, of the many in the file
LOOKUPS_BEFORE_TABLE = 2000  # merge look-ups by text search before building the table
CLEAN_KINDS = ("lower", "whitespace", "canonicalize")
_PUNCTUATION = str.maketrans("", "", string.punctuation)
_SPECIAL_AND_CONTRACTIONS = rf"{SOT}|{EOT}|'s|'t|'re|'ve|'m|'ll|'d"
# On printable ASCII (what a typed query almost always is, once cleaned) CLIP's pattern
# means the same with ASCII classes: \p{L} is A-Z/a-z, \p{N} is 0-9 and \s is the space,
# so the standard library's re splits it, and the 20 ms import of ``regex`` (needed for
# Unicode letter and number classes) is paid only by a text that needs it.
_ASCII_PATTERN = re.compile(
    rf"{_SPECIAL_AND_CONTRACTIONS}|[A-Za-z]+|[0-9]|[^\sA-Za-z0-9]+", re.IGNORECASE
)


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
    import html  # its entity table, 3 ms: not paid by a plain query either

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


def _merge_lines(vocab_file: Path) -> list[str]:
    """The N_MERGES merge lines after the header, decompressing only as much of the file as
    holds them (about a sixth of it)."""
    inflate = zlib.decompressobj(16 + zlib.MAX_WBITS)  # gzip
    chunks, newlines = [], 0
    with open(vocab_file, "rb") as f:
        while newlines <= N_MERGES and (block := f.read(1 << 16)):
            chunks.append(inflate.decompress(block))
            newlines += chunks[-1].count(b"\n")
    return b"".join(chunks).decode("utf-8").split("\n", N_MERGES + 1)[1 : N_MERGES + 1]


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
        self._ranks: dict[tuple[str, str], int] = {}  # merges looked up so far (-1: none)
        self._merged_ids: dict[str, int] = {}  # token made by a merge -> its id
        self._lookups = 0

    @cached_property
    def _pattern(self):
        import regex

        return regex.compile(
            rf"{_SPECIAL_AND_CONTRACTIONS}|[\p{{L}}]+|[\p{{N}}]|[^\s\p{{L}}\p{{N}}]+",
            regex.IGNORECASE,
        )

    def _words(self, text: str) -> list[str]:
        """The cleaned text split as CLIP splits it before BPE."""
        if text.isascii() and text.isprintable():
            return _ASCII_PATTERN.findall(text)
        return self._pattern.findall(text)

    @cached_property
    def _vocab(self) -> tuple[dict[str, int], dict[tuple[str, str], int]]:
        """(token -> id, merge -> rank), read on first use (0.15 s): indexing never needs it."""
        merges = [tuple(line.split()) for line in _merge_lines(self.vocab_file)]
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
        return 2 * 256 + N_MERGES  # the vocabulary: bytes, bytes + </w>, merges, SOT, EOT

    @property
    def eot_token_id(self) -> int:
        return 2 * 256 + N_MERGES + 1

    # A search types one short text: building the whole table above (49k tokens and merges,
    # 0.2-0.3 s) would cost more than the text encoder. The merges are looked up in their
    # text instead (each merge is on its own line, unique, in rank order), and a token made
    # by merge r has id 512 + r; after LOOKUPS_BEFORE_TABLE look-ups (many texts, e.g. a
    # vocabulary's prompts) the table is built once. tests/test_tokenizer.py holds the ids
    # equal to open_clip's.

    @cached_property
    def _merges_text(self) -> str:
        """ "\na b\n...": the merges in rank order, one per line."""
        return "\n" + "\n".join(_merge_lines(self.vocab_file)) + "\n"

    @cached_property
    def _symbol_ids(self) -> dict[str, int]:
        """The ids of the single-byte tokens, with and without the end-of-word mark."""
        chars = list(self.byte_encoder.values())
        ids = {c: i for i, c in enumerate(chars)}
        ids.update({c + "</w>": 256 + i for i, c in enumerate(chars)})
        return ids

    def _rank(self, pair: tuple[str, str]) -> int:
        """The merge's rank (its priority), -1 if it is not a merge."""
        rank = self._ranks.get(pair)
        if rank is None:
            if "_vocab" in self.__dict__ or self._lookups >= LOOKUPS_BEFORE_TABLE:
                rank = self.bpe_ranks.get(pair, -1)
            else:
                self._lookups += 1
                text = self._merges_text
                at = text.find(f"\n{pair[0]} {pair[1]}\n")
                rank = -1 if at < 0 else text.count("\n", 0, at)
            self._ranks[pair] = rank
        return rank

    def _token_id(self, piece: str) -> int:
        found = self._symbol_ids.get(piece)
        return found if found is not None else self._merged_ids[piece]

    def _bpe(self, token: str) -> list[str]:
        word = (*token[:-1], token[-1] + "</w>")
        while len(word) > 1:
            best, best_rank = None, -1
            for pair in set(zip(word[:-1], word[1:], strict=True)):
                rank = self._rank(pair)
                if rank >= 0 and (best is None or rank < best_rank):
                    best, best_rank = pair, rank
            if best is None:
                break
            first, second = best
            self._merged_ids[first + second] = 2 * 256 + best_rank
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
            return [self.sot_token_id if word == SOT else self.eot_token_id]
        ids = self._cache.get(word)
        if ids is None:
            chars = "".join(self.byte_encoder[b] for b in word.encode("utf-8"))
            ids = [self._token_id(piece) for piece in self._bpe(chars)]
            if len(self._cache) < 100_000:
                self._cache[word] = ids
        return ids

    def encode(self, text: str) -> list[int]:
        """The BPE ids of one text, without start/end tokens or padding."""
        ids: list[int] = []
        for word in self._words(clean_text(text, self.clean)):
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
