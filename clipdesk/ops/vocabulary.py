"""The tag vocabulary: edit, create, delete, import and export tags.

A change to what a tag matches brings its suggestions up to date at once (when photos
are embedded), so the user sees the effect of an edit; where this run may not load the
model and a tag's vector is new, the tag waits in the learning queue for the next run
that has the model.
"""

from __future__ import annotations

from pathlib import Path

from clipdesk.errors import ModelNeeded
from clipdesk.library import Library
from clipdesk.ops.errors import OpError
from clipdesk.tagging import corrections, tagpath
from clipdesk.tagging.store import TagStore
from clipdesk.tagging.vocabulary import VocabularyError, dump


def _rescore(lib: Library, tag_ids: list[int] | None) -> None:
    if not lib.has_embeddings():
        return
    try:
        lib.tagger.rescore(None, tag_ids)
    except ModelNeeded:  # a new prompt: score it when the model is next loaded
        ids = tag_ids if tag_ids is not None else [t.id for t in TagStore(lib.catalog).all()]
        with lib.catalog.transaction():
            corrections.queue_learning(lib.catalog, ids)


def save_tag(
    lib: Library, tag_id: int, path: str, prompts: list[str], threshold: float, enabled: bool
) -> None:
    """Apply an edited tag (renamed or moved too) and bring its suggestions up to date."""
    store = TagStore(lib.catalog)
    current = store.paths().get(tag_id)
    if current is None:
        return
    path = tagpath.clean(path)
    try:
        if path != current:
            store.rename(tag_id, path)
        with lib.catalog.transaction():
            store.update(tag_id, prompts=prompts, threshold=threshold, enabled=enabled)
    except (VocabularyError, ValueError) as exc:
        raise OpError(str(exc)) from None
    _rescore(lib, [tag_id])


def create_tag(lib: Library, path: str) -> int:
    """A new tag, with default prompts around its name."""
    try:
        with lib.catalog.transaction():
            tag_id = TagStore(lib.catalog).ensure(tagpath.clean(path))
    except VocabularyError as exc:
        raise OpError(str(exc)) from None
    _rescore(lib, [tag_id])
    return tag_id


def delete_tag(lib: Library, tag_id: int) -> None:
    """Delete a tag, its children and their assignments."""
    with lib.catalog.transaction():
        TagStore(lib.catalog).delete(tag_id)


def import_vocabulary(lib: Library, path: str | Path) -> tuple[int, int]:
    """Merge a YAML or JSON vocabulary: (added, updated). A bad file changes nothing."""
    try:
        result = TagStore(lib.catalog).import_file(path)
    except VocabularyError as exc:
        raise OpError(f"vocabulary not imported: {exc}") from None
    _rescore(lib, None)
    return result


def vocabulary_text(lib: Library, fmt: str = "yaml") -> tuple[str, int]:
    """The vocabulary as YAML or JSON text, and its tag count."""
    specs = TagStore(lib.catalog).export_specs()
    return dump(specs, fmt), len(specs)


def export_vocabulary(lib: Library, path: str | Path, fmt: str | None = None) -> int:
    """Write the vocabulary (JSON when the name ends in .json, else YAML); the tag count."""
    fmt = fmt or ("json" if str(path).lower().endswith(".json") else "yaml")
    text, n = vocabulary_text(lib, fmt)
    Path(path).write_text(text, encoding="utf-8")
    return n
