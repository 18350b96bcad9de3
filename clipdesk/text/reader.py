"""The OCR engine: RapidOCR's PP-OCR detection and recognition models (ONNX, inside the
``rapidocr`` wheel) on ONNX Runtime, one intra-op thread (the step runs beside the
indexer's lanes; docs/text.md says why this engine and where its models come from).

Loaded on first use; without the ``text`` extra installed, :class:`TextUnavailable` says
what to install, in one line.
"""

from __future__ import annotations

import importlib.util
import logging
import threading
from importlib import metadata
from typing import TYPE_CHECKING

import numpy as np

from clipdesk.errors import Fatal

if TYPE_CHECKING:
    from PIL import Image

# The longest side the detector sees (the indexer's decode of a 24 MP photo is 750x500).
# Its cost grows with the pixels, and it runs on every photo judged text-like, words or
# not: at 768 a read cost about the same as ingesting a photo, over the budget of issue 30
# with a judge's false alarms (benchmarks/text.py).
DETECT_SIDE = 640
MIN_SCORE = 0.5  # a line recognised with less confidence is left out (RapidOCR's default)
INSTALL = "pip install 'clipdesk[text]'"


class TextUnavailable(Fatal, RuntimeError):
    """The OCR engine cannot load; the message says what to install."""


def engine_installed() -> bool:
    """Whether the OCR engine can be imported (the ``text`` extra), without importing it."""
    try:
        return importlib.util.find_spec("rapidocr") is not None
    except (ImportError, ValueError):  # a broken or half-removed install
        return False


class TextReader:
    """Reads the lines of text in an image, top to bottom. Thread-safe (one call at a
    time: the step reads one photo after another)."""

    def __init__(self) -> None:
        try:
            from rapidocr import RapidOCR
        except ImportError as exc:
            raise TextUnavailable(
                f"reading the words in photos needs the OCR engine: {INSTALL} ({exc})"
            ) from None
        logging.getLogger("RapidOCR").setLevel(logging.ERROR)
        self._engine = RapidOCR(
            params={
                "Global.log_level": "error",
                "Global.use_cls": False,  # upright photos (EXIF applied): no 180-degree lines
                "Global.text_score": MIN_SCORE,
                "Det.limit_type": "max",
                "Det.limit_side_len": DETECT_SIDE,
                "EngineConfig.onnxruntime.intra_op_num_threads": 1,
                "EngineConfig.onnxruntime.inter_op_num_threads": 1,
            }
        )
        self._lock = threading.Lock()
        self.name = f"rapidocr {metadata.version('rapidocr')} PP-OCRv6 small"

    def read(self, image: Image.Image) -> str:
        """The text read in ``image``, one line per line found ('' where none was)."""
        pixels = np.asarray(image.convert("RGB"))
        with self._lock:
            result = self._engine(pixels, use_det=True, use_cls=False, use_rec=True)
        lines = [t.strip() for t in (result.txts or ()) if t and t.strip()]
        return "\n".join(lines)
