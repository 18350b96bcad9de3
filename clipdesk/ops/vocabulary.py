"""The tag vocabulary: edit, create, delete, import and export tags.

A change to what a tag matches brings its suggestions up to date at once (when photos
are embedded), so the user sees the effect of an edit; where this run may not load the
model and a tag's vector is new, the tag waits in the learning queue for the next run
that has the model.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from clipdesk.errors import ModelNeeded
from clipdesk.ops.errors import OpError
from clipdesk.pipeline.library import Library
from clipdesk.tagging import corrections, tagpath
from clipdesk.tagging.calibration import Evidence
from clipdesk.tagging.store import TagStore
from clipdesk.tagging.vocabulary import VocabularyError, check_name, dump, load, name_key


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
        path = tagpath.clean(path)
        for name in tagpath.split(path):
            check_name(name)  # the rule a vocabulary file's names follow
        with lib.catalog.transaction():
            tag_id = TagStore(lib.catalog).ensure(path)
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


@dataclass
class Replacement:
    """What ``vocab import --replace`` does (or, in a dry run, would do)."""

    added: int = 0
    updated: int = 0
    removed: list[str] = field(default_factory=list)  # tags not in the file, undecided
    kept: list[str] = field(default_factory=list)  # not in the file, but with your decisions


def replace_vocabulary(lib: Library, path: str | Path, dry_run: bool = False) -> Replacement:
    """Make the vocabulary the file's: its tags are merged in, and tags it does not name are
    removed, except those carrying the user's decisions (or imported keywords), which are
    kept and listed: a decision is never deleted silently. A dry run changes nothing."""
    try:
        specs = load(path)
    except VocabularyError as exc:
        raise OpError(f"vocabulary not imported: {exc}") from None
    store = TagStore(lib.catalog)
    wanted = {name_key(s.path) for s in specs}  # the same tag in any case or Unicode form
    for spec in specs:  # a tag the file names keeps its parents
        parts = tagpath.split(spec.path)
        wanted |= {name_key(tagpath.join(*parts[:i])) for i in range(1, len(parts))}
    decided = store.decided_tags()
    out = Replacement()
    tags = store.all()
    out.kept = [t.path for t in tags if t.id in decided and name_key(t.path) not in wanted]
    for path in out.kept:  # a kept tag keeps its parents (deleting one deletes its subtree)
        parts = tagpath.split(path)
        wanted |= {name_key(tagpath.join(*parts[:i])) for i in range(1, len(parts) + 1)}
    drop = [t for t in tags if name_key(t.path) not in wanted]
    out.removed = [t.path for t in drop]
    out.added = sum(tag_id is None for tag_id in store.match(specs))
    out.updated = len(specs) - out.added
    if dry_run:
        return out
    with lib.catalog.transaction():
        for tag in drop:
            store.delete(tag.id)
    store.import_specs(specs)
    _rescore(lib, None)
    return out


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


@dataclass(frozen=True)
class TagCheck:
    """Whether the model sees one tag in this library, and how often it suggests it."""

    tag_id: int
    path: str
    enabled: bool
    suggested: int  # photos the model suggests it on now
    photos: int  # photos embedded with the model
    evidence: Evidence | None  # None: not judged yet (its prompts need the model)
    taught: bool  # trained on the user's corrections (which are its evidence)

    @property
    def name(self) -> str:
        return tagpath.split(self.path)[-1]

    @property
    def seen(self) -> bool | None:
        if self.taught:
            return True
        return None if self.evidence is None else self.evidence.seen

    @property
    def rate(self) -> float:
        return self.suggested / self.photos if self.photos else 0.0

    def reason(self) -> str:
        """Why the model does not suggest the tag, without its name ('' when it does)."""
        if self.seen or not self.enabled:
            return ""
        if self.evidence is None:
            return "not judged yet (the next `clipdesk index` loads the model)"
        if not self.evidence.prompts_seen:
            return "the model does not separate it from an ordinary photo: check its prompts"
        return "no photo in this library stands out for it"

    def problem(self) -> str:
        """The reason as a sentence that names the tag."""
        reason = self.reason()
        return reason.replace("it", self.name, 1) if reason.count(" it ") else reason

    def to_json(self) -> dict:
        return {
            "tag": self.path,
            "enabled": self.enabled,
            "suggested": self.suggested,
            "rate": round(self.rate, 4),
            "seen": self.seen,
            "taught": self.taught,
            "problem": self.problem() or None,
            "evidence": None if self.evidence is None else self.evidence.to_json(),
        }


def check_vocabulary(lib: Library) -> list[TagCheck]:
    """Each tag's suggestion rate in this library and whether the model sees it
    (``clipdesk/tagging/calibration.py``). Where this run may not load the model, tags
    whose prompts were never judged are listed as not judged yet."""
    store = TagStore(lib.catalog)
    tags = store.all()
    counts = store.suggestion_counts()
    if not tags or not lib.has_embeddings():
        return [TagCheck(t.id, t.path, t.enabled, 0, 0, None, False) for t in tags]
    tagger = lib.tagger
    ids, matrix = lib.catalog.embedding_matrix(tagger.model_id)
    judged = tags
    try:
        evidence = tagger.evidence.judge(tags, matrix)
    except ModelNeeded:
        judged = tagger.cached(tags)
        evidence = tagger.evidence.judge(judged, matrix)
    taught = tagger.taught(judged)
    photos = len(ids)
    return [
        TagCheck(
            t.id, t.path, t.enabled, counts.get(t.id, 0), photos, evidence.get(t.id), t.id in taught
        )
        for t in tags
    ]
