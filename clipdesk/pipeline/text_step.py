"""The text step: after a photo's tags (and faces), the words in it (issue 30). Low priority,
and only on photos likely to hold text (``clipdesk/text/likeness.py``): CLIP's own score of
the photo's stored embedding against text-like prompts where the model knows those words,
else lines of letter-like blobs in its thumbnail. A photo judged text-like is decoded at the
indexer's size and read by the OCR engine, which loads only then: a library without words
never loads it. A chunk of photos at a time, each chunk one short transaction; ``cancel``
stops it between photos, and the next run goes on (each photo is marked once judged).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
from PIL import Image

from clipdesk.catalog import photo_text, step_queue
from clipdesk.catalog.photo_text import TextRead
from clipdesk.imaging import ImageError, decode, make_thumbnail
from clipdesk.pipeline.library import Library
from clipdesk.progress import Cancel
from clipdesk.text import (
    PromptVectors,
    TextUnavailable,
    clip_likeness,
    engine_installed,
    looks_like_text,
    prompt_vectors,
)
from clipdesk.text.likeness import LIKELY

CHUNK = 16  # photos between two transactions
DECODE_SIDE = 256  # the indexer's decode (a 24 MP JPEG comes out near 750x500)
THUMB_SIDE = 256  # the image measure's input: the thumbnail, or a decode made as small
NOTE = "text_prompts"  # the catalog's note of the prompts' vectors, per model


@dataclass
class TextDone:
    photo_ids: list[int] = field(default_factory=list)  # photos judged (read or skipped)
    read: list[int] = field(default_factory=list)  # photos the OCR read
    with_text: int = 0  # of those, photos where it found words
    done: bool = False  # nothing left to look at
    problem: str | None = None  # why the OCR engine could not load (nothing was marked)


def prompts_for(lib: Library) -> PromptVectors:
    """The text-like and other prompts' vectors for the model in use: from the catalog, or
    encoded once (loading the model) and kept there."""
    cat = lib.catalog
    kept = PromptVectors.from_note(cat.model_note(NOTE, lib.model_name))
    if kept is not None:
        return kept
    embedder = lib.embedder
    made = prompt_vectors(embedder.encode_texts, embedder.logit_scale)
    with cat.transaction():
        cat.set_model_note(NOTE, lib.model_name, made.to_note())
    return made


def read_text(
    lib: Library,
    cancel: Cancel | None = None,
    on_chunk: Callable[[TextDone], None] | None = None,
    chunks: int | None = None,
) -> TextDone:
    """Judge, and read where text-like, the indexed photos not looked at yet (``chunks``: at
    most that many chunks, then return; the caller calls again)."""
    out = TextDone()
    cat = lib.catalog
    model_id = lib.known_model_id
    if not lib.text_on or not engine_installed() or model_id is None:
        out.done = True
        return out
    if not step_queue.has_photos_to_read(cat, "text"):
        out.done = True
        return out
    prompts = prompts_for(lib)
    n = after = 0  # ``after``: a photo that cannot be judged now is not asked for again here
    while chunks is None or n < chunks:
        rows = step_queue.photos_to_read(cat, "text", CHUNK, after)
        if not rows:
            out.done = True
            break
        judged: list[tuple[int, TextRead, str, float | None]] = []
        for photo_id, path, hash_ in rows:
            if cancel is not None and cancel.is_set():
                break
            after = photo_id
            vector = cat.embedding(photo_id, model_id)
            if vector is None:
                continue  # embedded with another model only: judged once this one has it
            try:
                likeness = None
                if prompts.model_sees_text:
                    likeness = clip_likeness(np.asarray(vector, np.float32), prompts)
                    text_like = likeness >= LIKELY
                else:
                    text_like = looks_like_text(_grey_thumbnail(lib, path, hash_))
                if not text_like:
                    judged.append((photo_id, TextRead.SKIPPED, "", likeness))
                    continue
                image = decode(path, min_side=DECODE_SIDE).image
            except ImageError:
                judged.append((photo_id, TextRead.FAILED, "", None))
                continue
            except OSError:
                continue  # gone since: its scan says so; looked at again when back
            try:
                reader = lib.text_reader
            except TextUnavailable as exc:  # a broken install: the photo stays unread
                out.problem = str(exc)
                break
            judged.append((photo_id, TextRead.READ, reader.read(image), likeness))
        with cat.transaction():
            for photo_id, state, text, likeness in judged:
                if state is TextRead.READ:
                    photo_text.put(cat, photo_id, text, likeness, lib.text_reader.name)
                else:
                    photo_text.mark(cat, [photo_id], state)
        out.photo_ids += [p for p, *_ in judged]
        read = [(p, text) for p, state, text, _ in judged if state is TextRead.READ]
        out.read += [p for p, _ in read]
        out.with_text += sum(1 for _, text in read if text)
        n += 1
        if on_chunk is not None:
            on_chunk(out)
        if out.problem is not None:
            out.done = True
            break
        if cancel is not None and cancel.is_set():
            break
    return out


def _grey_thumbnail(lib: Library, path: str, hash_: str) -> np.ndarray:
    """The photo's thumbnail in grey (a small decode where the cache has none)."""
    try:
        with Image.open(lib.thumbnails.path_for(hash_)) as thumb:
            image = thumb.convert("L")
    except OSError:
        image = make_thumbnail(decode(path, min_side=THUMB_SIDE).image, THUMB_SIDE).convert("L")
    return np.asarray(image)
