"""Words in photos (issue 30): which photos are likely to hold text (likeness.py), and the
OCR engine that reads them (reader.py). The step that runs them is
``clipdesk/pipeline/text_step.py``; the words are kept in the catalog's ``photo_text``."""

from clipdesk.text.likeness import PromptVectors, clip_likeness, looks_like_text, prompt_vectors
from clipdesk.text.reader import INSTALL, TextReader, TextUnavailable, engine_installed

__all__ = [
    "INSTALL",
    "PromptVectors",
    "TextReader",
    "TextUnavailable",
    "clip_likeness",
    "engine_installed",
    "looks_like_text",
    "prompt_vectors",
]
