"""Whether the model can see a tag: evidence measured per model and per library.

A zero-shot score compares a photo with the tag's prompts and with generic ones ("a
photo."). Where the model knows the tag, that absolute rule places its threshold well;
where its scores are noise (a model that knows nothing, a word it never learned), about
half the library clears it. So a tag is suggested by zero-shot only once two checks say the
model sees it, each measured against prompts that mean nothing, so that "evidence" has
the same meaning for every model and vocabulary:

1. **The prompts** (text side, per model): the tag's vector must stand apart from those
   of its *nonsense twins*, its own prompts with every content word replaced by a made-up
   one ("a photo of a dog." -> "a photo of a bavo."). A model that never learned a word
   maps it as it maps a made-up word, so such a tag lies among its twins. The evidence is
   how much less the tag resembles its twins' mean than a typical twin does, in robust
   standard deviations of the twins themselves (``TEXT_EVIDENCE``).
2. **The library** (image side, per model and library): the tag's scores must split the
   library more sharply than a nonsense prompt's do: either into two groups (the best
   two-way split, in pooled standard deviations) or by an outlier (robust z-score of the
   top photo), above the 95th percentile of the same statistic over a bank of nonsense
   prompts on the same photos. A random-weights model's text vectors are alike, so the
   first check passes a few tags by chance; their scores are as flat as a nonsense
   prompt's, and this check stops them. The bar falls as the prompts' own evidence
   grows: clear evidence (``CLEAR_TEXT_EVIDENCE``) must beat the bank's median, and
   overwhelming evidence (``STRONG_TEXT_EVIDENCE``) skips the check (a class of two photos
   does not split a small library sharply, and the model plainly knows the words).

A library under ``MIN_PHOTOS`` has no typical photo to measure against: the prompts'
check decides alone, and a photo gets at most ``SMALL_LIBRARY_CAP`` suggestions (its
strongest). What a library showed of a tag (its statistics and the bank's bars, not a
verdict: the verdict follows these rules as they are) is kept until the library has grown
or shrunk by ``REGROW``, or the tag's prompts change, so a photo arriving does not make
suggestions flicker on others.

Measured with ``benchmarks/tagging.py`` (figures in benchmarks/README.md).
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

import numpy as np

# Twins per tag: enough for a median and a spread. They are shared between tags of the
# same form (every one-word tag in the default templates has the same twins), so a
# vocabulary of 128 tags costs a few hundred text encodings once per model.
TWINS = 8
# A tag's prompts are evidence when the tag is at least this many robust standard
# deviations less like its twins than a typical twin is. On the test model its colours
# score 31-37 and its shapes 12-20, while a few of the default vocabulary's words, which
# it never learned, reach 5-27 by chance (the library check stops most of those); at 3,
# the few that passed both checks gave 0.2-0.4 spurious suggestions per photo, at 5 none
# to 0.02 (benchmarks/tagging.py, 3 libraries of 108 photos).
TEXT_EVIDENCE = 5.0
# Prompts this far apart from their twins need no library check: the test model's
# colour-shape prompts score 60-72, where a class of 2 photos in 36 does not split the
# library more sharply than a nonsense prompt; the default vocabulary's words it never
# learned reach 27 at most, and a random-weights model's much less.
STRONG_TEXT_EVIDENCE = 40.0
# Between the two, prompts with clear evidence (the test model's shapes: 12-20) need only
# split the library more sharply than a typical nonsense prompt (the bank's median), not
# than nearly all of them: on 36 photos its triangles split at 3.98 against a 95th
# percentile of 4.22 and a median of 3.5.
CLEAR_TEXT_EVIDENCE = 10.0
NULL_WORDS = 32  # the library check's bank of nonsense prompts
NULL_QUANTILE = 0.95  # the bank's percentile a tag must beat
MIN_PHOTOS = 12
SMALL_LIBRARY_CAP = 3
SAMPLE_ROWS = 4096  # evenly spaced rows for the library check (as search's cut-off)
REGROW = 1.25  # a library's verdict stands until its photo count changes by this factor
MIN_GROUP = 0.02  # the two-way split keeps at least 2% (and 2 photos) on each side

# Words a twin keeps: they give the prompt its form, not its subject.
FORM_WORDS = frozenset(
    "a an the of in on at with and or to from by for into over under near this that these "
    "those is are its it some something thing things one two photo photograph picture "
    "image shot close-up closeup view".split()
)
_WORD = re.compile(r"[^\W\d_][\w'-]*")
_CONSONANTS = "bdfgklmnprstvz"
_VOWELS = "aeiou"


@functools.lru_cache(maxsize=4096)
def nonsense_word(k: int, i: int) -> str:
    """The made-up word for the ``i``-th content word of twin ``k`` (fixed, so that a tag's
    twins, and the cache of their vectors, never change)."""
    rng = np.random.default_rng(1_000_003 * (k + 1) + i)
    syllables = int(rng.integers(2, 4))
    return "".join(
        _CONSONANTS[int(rng.integers(len(_CONSONANTS)))] + _VOWELS[int(rng.integers(5))]
        for _ in range(syllables)
    )


def twin_prompts(prompts: list[str], k: int) -> list[str]:
    """The ``k``-th nonsense twin of a tag's prompts: each content word replaced by a
    made-up word (the same word for the same word, across the prompts)."""
    seen: dict[str, str] = {}

    def swap(match: re.Match) -> str:
        word = match.group(0)
        key = word.lower()
        if key in FORM_WORDS:
            return word
        if key not in seen:
            seen[key] = nonsense_word(k, len(seen))
        return seen[key]

    return [_WORD.sub(swap, p) for p in prompts]


def null_prompts(templates: tuple[str, ...]) -> list[list[str]]:
    """The library check's bank: ``NULL_WORDS`` made-up words, each in ``templates``."""
    return [[t.format(nonsense_word(1000 + j, 0)) for t in templates] for j in range(NULL_WORDS)]


def unit(v: np.ndarray) -> np.ndarray:
    """Rows scaled to length 1."""
    return v / np.maximum(np.linalg.norm(v, axis=-1, keepdims=True), 1e-12)


def text_evidence(vector: np.ndarray, twins: np.ndarray) -> float:
    """How much less ``vector`` resembles its twins' mean than a typical twin resembles the
    others', in robust standard deviations of the twins (large: the model sees the tag)."""
    twins = unit(np.asarray(twins, np.float64))
    total = twins.sum(0)
    own = float(unit(np.asarray(vector, np.float64)) @ unit(total))
    loo = np.einsum("kd,kd->k", twins, unit(total[None, :] - twins))
    middle = float(np.median(loo))
    spread = 1.4826 * float(np.median(np.abs(loo - middle)))
    return (middle - own) / max(spread, 1e-6)


def split_strength(scores: np.ndarray) -> float:
    """The best two-way split of the scores: the gap between the groups' means in pooled
    standard deviations (each group at least ``MIN_GROUP`` of the photos)."""
    s = np.sort(np.asarray(scores, np.float64))
    n = len(s)
    m = max(2, int(np.ceil(MIN_GROUP * n)))
    if n < 2 * m:
        return 0.0
    c1, c2 = np.cumsum(s), np.cumsum(s * s)
    k = np.arange(m, n - m + 1)
    lo_mean = c1[k - 1] / k
    hi_mean = (c1[-1] - c1[k - 1]) / (n - k)
    lo_var = c2[k - 1] / k - lo_mean**2
    hi_var = (c2[-1] - c2[k - 1]) / (n - k) - hi_mean**2
    within = (lo_var * k + hi_var * (n - k)) / n
    return float(np.max((hi_mean - lo_mean) / np.sqrt(np.maximum(within, 1e-18))))


def outlier_strength(scores: np.ndarray) -> float:
    """The top photo's robust z-score (median and MAD of all)."""
    s = np.asarray(scores, np.float64)
    middle = float(np.median(s))
    spread = 1.4826 * float(np.median(np.abs(s - middle)))
    return (float(s.max()) - middle) / max(spread, 1e-12)


@dataclass(frozen=True)
class LibraryCheck:
    """The bars a tag's scores must clear on one library (from its nonsense bank)."""

    photos: int
    split_bar: float
    outlier_bar: float
    split_typical: float
    outlier_typical: float

    @classmethod
    def measure(cls, sample: np.ndarray, nulls: np.ndarray, photos: int) -> LibraryCheck:
        scores = np.asarray(sample, np.float32) @ np.asarray(nulls, np.float32).T
        splits = [split_strength(scores[:, j]) for j in range(scores.shape[1])]
        outliers = [outlier_strength(scores[:, j]) for j in range(scores.shape[1])]
        return cls(
            photos,
            float(np.quantile(splits, NULL_QUANTILE)),
            float(np.quantile(outliers, NULL_QUANTILE)),
            float(np.median(splits)),
            float(np.median(outliers)),
        )

    def to_json(self) -> list[float]:
        """Unrounded: read back, it must give the verdict it gave when measured."""
        return [self.split_bar, self.outlier_bar, self.split_typical, self.outlier_typical]


def sample_rows(n: int) -> np.ndarray:
    """Evenly spaced, strictly increasing rows of an n-row matrix (at most SAMPLE_ROWS)."""
    return np.linspace(0, n - 1, min(SAMPLE_ROWS, n)).astype(int)


def same_library(measured: int, now: int) -> bool:
    """Whether a verdict measured on ``measured`` photos still stands at ``now``."""
    if measured < MIN_PHOTOS or now < MIN_PHOTOS:
        return (measured < MIN_PHOTOS) == (now < MIN_PHOTOS) and measured == now
    return measured / REGROW <= now <= measured * REGROW


@dataclass(frozen=True)
class Evidence:
    """Whether zero-shot may suggest a tag, and why (for the vocabulary check). What was
    measured is kept, not the verdict: the verdict follows this module's rules as they are
    when it is read."""

    text: float  # the prompts' evidence (TEXT_EVIDENCE and up: the model tells them apart)
    photos: int  # the library size it was judged on
    split: float | None = None  # None: too few photos to measure
    outlier: float | None = None
    bars: LibraryCheck | None = None  # what the nonsense bank reached on the same photos

    @classmethod
    def measure(cls, text: float, scores: np.ndarray, check: LibraryCheck) -> Evidence:
        return cls(text, check.photos, split_strength(scores), outlier_strength(scores), check)

    @property
    def library(self) -> bool | None:
        """It splits the library more sharply than nearly every nonsense prompt (None: not
        measured)."""
        if self.bars is None or self.split is None or self.outlier is None:
            return None
        return self.split > self.bars.split_bar or self.outlier > self.bars.outlier_bar

    @property
    def typical(self) -> bool | None:
        """It splits the library more sharply than a typical nonsense prompt."""
        if self.bars is None or self.split is None or self.outlier is None:
            return None
        return self.split > self.bars.split_typical or self.outlier > self.bars.outlier_typical

    @property
    def prompts_seen(self) -> bool:
        return self.text >= TEXT_EVIDENCE

    @property
    def seen(self) -> bool:
        if self.text >= STRONG_TEXT_EVIDENCE or self.library is None:
            return self.prompts_seen
        if self.text >= CLEAR_TEXT_EVIDENCE:
            return bool(self.typical)
        return self.prompts_seen and bool(self.library)

    def reason(self) -> str:
        """Why zero-shot does not suggest the tag ('' when it does)."""
        if not self.prompts_seen:
            return "the model does not tell its prompts from made-up words"
        if not self.seen:
            return "no photo stands out for it more than for a made-up word"
        return ""

    def to_json(self) -> dict:
        return {
            "text": round(self.text, 2),
            "photos": self.photos,
            "split": self.split,
            "outlier": self.outlier,
            "bars": None if self.bars is None else self.bars.to_json(),
            "library": self.library,
            "typical": self.typical,
        }

    @classmethod
    def from_json(cls, d: dict) -> Evidence | None:
        """None for what cannot be read back (kept before this form): measure it again."""
        try:
            bars = d["bars"]
            check = None if bars is None else LibraryCheck(d["photos"], *map(float, bars))
            if check is None and d["photos"] >= MIN_PHOTOS:
                return None
            return cls(float(d["text"]), int(d["photos"]), d["split"], d["outlier"], check)
        except (KeyError, TypeError, ValueError):
            return None
