"""Whether a photo is likely to hold text, before any OCR runs (issue 30): the OCR costs
about as much as a photo's whole embedding, so it reads only the photos that look like they
hold words.

Two judges, one per kind of model:

* **CLIP's own score**, where the model knows the words "sign", "document", "screenshot",
  "menu": the photo's embedding (already in the catalog) against text-like prompts and as
  many prompts of things without words, a softmax over all of them at the model's own
  temperature. The photo is text-like when the text-like side holds at least half of the
  probability: the two sides are the same size, so that is "more likely than not", with
  no threshold fitted to any library. A miss loses a photo's words for good while a
  needless read costs one OCR pass, so the even split leans the cheap way.
* **Lines of letters in the thumbnail**, where the model does not know those words (the
  project's test model, trained on coloured shapes; any model with random weights): its
  scores are noise, and half the library would pass. Whether the model knows them is the
  test tagging uses for a tag (``tagging/calibration.py``): the text-like prompts must
  stand apart from their nonsense twins by ``TEXT_EVIDENCE``. The image measure finds
  letter-like blobs (MSER regions with a letter's proportions and ink) and asks for
  ``MIN_LETTERS`` of them in a row (alike in height, on one line, close together): the
  shortest word worth a search. A shape, stripes, a checkerboard or noise make blobs,
  but not a row of letter-like ones of unlike widths.

The vectors of the prompts are encoded once per model and kept in the catalog (the
caller's job: :class:`PromptVectors` is plain data).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from clipdesk.tagging import calibration

TEXT_PROMPTS = (
    "a photo of a sign.",
    "a photo of a document.",
    "a screenshot.",
    "a photo of a menu.",
    "a photo of a page of text.",
    "a photo of a poster with words.",
    "a photo of a street sign.",
    "a photo of a label with writing.",
)
# As many prompts without words, of what a photo library mostly holds.
OTHER_PROMPTS = (
    "a photo of a landscape.",
    "a photo of a person.",
    "a photo of an animal.",
    "a photo of food.",
    "a photo of a building.",
    "a photo of a plant.",
    "a photo of the sea.",
    "a photo of a room.",
)
LIKELY = 0.5  # the text-like side's share of the probability: more likely than not

# The image measure, on a thumbnail (at most 256 px a side).
MIN_LETTERS = 3  # letter-like blobs in a row: the shortest word worth a search
MIN_HEIGHT = 6  # px: smaller letters are unreadable at the OCR's decode anyway
MAX_HEIGHT = 1 / 3  # of the image's height: a bigger blob is a shape, not a letter
ASPECT = (0.05, 1.6)  # width / height of a letter, from "l" to "W"
INK = (0.15, 0.85)  # of its box a letter covers: a filled square or a thin ring is no letter
SAME_HEIGHT = 0.3  # neighbours in a word differ in height by at most this share
SAME_LINE = 0.3  # of the height: how far apart the centres of neighbours may lie
GAP = 1.0  # of the height: the widest gap between two letters of one word
# A row of blobs all of one width (to this many px, a JPEG's and MSER's jitter) is a texture
# (stripes cut by a shape, a fence, a grille), not a word: words are made of unlike letters.
ALIKE = 2
QUIETER = 0.5  # a word's margins vary at most half as much as the word itself


@dataclass(frozen=True)
class PromptVectors:
    """The prompts' vectors for one model, and whether the model knows the words."""

    text: np.ndarray  # (len(TEXT_PROMPTS), dim), normalised
    other: np.ndarray  # (len(OTHER_PROMPTS), dim)
    evidence: float  # the text-like prompts against their nonsense twins (calibration.py)
    scale: float  # the model's logit scale

    @property
    def model_sees_text(self) -> bool:
        return self.evidence >= calibration.TEXT_EVIDENCE

    def to_note(self) -> dict:
        return {
            "text": self.text.tolist(),
            "other": self.other.tolist(),
            "evidence": self.evidence,
            "scale": self.scale,
            "prompts": list(TEXT_PROMPTS + OTHER_PROMPTS),
        }

    @classmethod
    def from_note(cls, note: dict | None) -> PromptVectors | None:
        """The vectors kept in the catalog; None when missing or made for other prompts."""
        if not note or note.get("prompts") != list(TEXT_PROMPTS + OTHER_PROMPTS):
            return None
        return cls(
            np.asarray(note["text"], np.float32),
            np.asarray(note["other"], np.float32),
            float(note["evidence"]),
            float(note["scale"]),
        )


def prompt_vectors(encode, scale: float) -> PromptVectors:
    """Encode the prompts (``encode``: texts -> normalised vectors), and measure whether
    the model knows the text-like words as tagging measures a tag."""
    text = np.asarray(encode(list(TEXT_PROMPTS)), np.float32)
    other = np.asarray(encode(list(OTHER_PROMPTS)), np.float32)
    twins = np.stack(
        [
            calibration.unit(encode(calibration.twin_prompts(list(TEXT_PROMPTS), k)).mean(0))
            for k in range(calibration.TWINS)
        ]
    )
    evidence = calibration.text_evidence(text.mean(0), twins)
    return PromptVectors(text, other, float(evidence), float(scale))


def clip_likeness(vector: np.ndarray, prompts: PromptVectors) -> float:
    """The text-like prompts' share of a softmax over all the prompts (0..1)."""
    logits = prompts.scale * np.concatenate([prompts.text @ vector, prompts.other @ vector])
    p = np.exp(logits - logits.max())
    return float(p[: len(prompts.text)].sum() / p.sum())


def letters_in_a_row(gray: np.ndarray) -> int:
    """The most letter-like blobs found in a row in a greyscale image (uint8, H x W)."""
    import cv2  # OpenCV comes with the OCR engine (rapidocr)

    h, w = gray.shape
    mser = cv2.MSER_create(5, 12, max(60, h * w // 16))
    regions, boxes = mser.detectRegions(np.ascontiguousarray(gray))
    letters: list[tuple[int, int, int, int]] = []
    for points, (x, y, bw, bh) in zip(regions, boxes, strict=True):
        if bh < MIN_HEIGHT or bh > h * MAX_HEIGHT:
            continue
        if not ASPECT[0] <= bw / bh <= ASPECT[1]:
            continue
        if not INK[0] <= len(points) / (bw * bh) <= INK[1]:
            continue
        box = (int(x), int(y), int(bw), int(bh))
        # MSER finds one letter at a few thresholds: keep one box per letter
        if not any(all(abs(a - b) <= 2 for a, b in zip(box, k, strict=True)) for k in letters):
            letters.append(box)
    return _longest_row(letters, gray)


def _longest_row(boxes: list[tuple[int, int, int, int]], gray: np.ndarray) -> int:
    """The longest row of blobs, each next to the last one (alike in height, its centre on
    the last one's line, at most a gap away): a word, which may slope a little."""
    boxes = sorted(boxes)
    best = 0
    for start in boxes:
        run = [start]
        while True:
            x, y, w, h = run[-1]
            nxt = [
                b
                for b in boxes
                if -1 <= b[0] - (x + w) <= GAP * h
                and abs(b[3] - h) <= SAME_HEIGHT * max(b[3], h)
                and abs(b[1] + b[3] / 2 - (y + h / 2)) <= SAME_LINE * h
            ]
            if not nxt:
                break
            run.append(nxt[0])
        widths = [b[2] for b in run]
        if len(run) > best and max(widths) - min(widths) > ALIKE and _stands_out(run, gray):
            best = len(run)
    return best


def _stands_out(run: list[tuple[int, int, int, int]], gray: np.ndarray) -> bool:
    """Whether the row's margins (bands just above and below it) are quieter than the row
    itself: a word is written on a background, while a row of a texture (a checkerboard)
    has the same texture above and below it."""
    x0 = min(b[0] for b in run)
    x1 = max(b[0] + b[2] for b in run)
    y0 = min(b[1] for b in run)
    y1 = max(b[1] + b[3] for b in run)
    band = max(2, (y1 - y0) // 4)
    row = gray[y0:y1, x0:x1].astype(np.float32)
    margins = [gray[max(0, y0 - band) : y0, x0:x1], gray[y1 : y1 + band, x0:x1]]
    margins = [m.astype(np.float32) for m in margins if m.size]
    if not margins:
        return True
    return max(float(m.std()) for m in margins) <= QUIETER * float(row.std())


def looks_like_text(gray: np.ndarray) -> bool:
    return letters_in_a_row(gray) >= MIN_LETTERS
