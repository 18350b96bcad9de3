"""Whether the catalog's vocabulary suits the model in use, and switching to the model's own.

A model may come with a packaged vocabulary of its own (``default_vocabulary_for``): the
test model knows coloured shapes only, so it sees nothing of a vocabulary of everyday
subjects; a real CLIP model left with the test model's colours and shapes tags little of
what it could. Every way of switching the model (the window's banner and Settings,
``clipdesk add``/``index --model``) asks :func:`vocabulary_fit` and offers
:func:`use_model_vocabulary`. Nothing here replaces a vocabulary unasked, and a switch
goes through ``replace_vocabulary``: tags carrying the user's decisions stay, the library
is re-scored at once, and the vocabulary it replaced is saved to a file first.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

from clipdesk.ops.errors import OpError
from clipdesk.ops.vocabulary import Replacement, export_vocabulary, replace_vocabulary
from clipdesk.pipeline.library import Library
from clipdesk.tagging.store import TagStore
from clipdesk.tagging.vocabulary import (
    DEFAULT_VOCABULARY,
    TEST_MODEL_VOCABULARY,
    default_vocabulary_for,
    load,
    name_key,
)
from clipdesk.wording import plural

# The packaged vocabularies of models that see little beyond them: who knows what, in the
# words the offer uses.
NARROW = {TEST_MODEL_VOCABULARY: ("the test model", "colours and shapes")}
BACKUPS = "vocabulary-backups"  # under the data folder


@dataclass(frozen=True)
class VocabularyFit:
    """Whether the catalog's vocabulary suits ``model``; when not, ``message`` says why in
    one sentence, and :func:`use_model_vocabulary` is the way to offer."""

    model: str
    suits: bool
    unseen: tuple[str, ...] = ()  # enabled tags the model's own vocabulary does not name
    message: str = ""


@dataclass(frozen=True)
class VocabularySwitch:
    """What :func:`use_model_vocabulary` did."""

    model: str
    tags: int  # tags in the model's own vocabulary
    replacement: Replacement | None = None  # None: it was the vocabulary already
    backup: Path | None = None  # the vocabulary as it was before

    def summary(self) -> str:
        """One line for the user."""
        r = self.replacement
        if r is None:
            return f"the vocabulary is already the one for {self.model}: nothing was changed"
        kept = f", {plural(len(r.kept), 'tag')} with your decisions kept" if r.kept else ""
        return (
            f"switched to the vocabulary for {self.model} ({plural(self.tags, 'tag')}): {r.added} "
            f"added, {len(r.removed)} removed{kept}; the old one is saved as {self.backup} "
            "(`clipdesk vocab import --replace FILE` brings it back)"
        )


def _keys(vocabulary) -> set[str]:
    return {name_key(s.path) for s in load(vocabulary)}


def vocabulary_fit(lib: Library) -> VocabularyFit:
    """Whether the catalog's vocabulary suits the model in use, in the packaged sense: a
    narrow model (the test model) sees only what its own vocabulary names, so other enabled
    tags do not suit it; a general model sees anything, and only a vocabulary that is no
    more than a narrow model's holds it back. Never "does not suit" where switching would
    change nothing (the tags it cannot see all carry the user's decisions). Reads only."""
    model = lib.model_name
    own = default_vocabulary_for(model)
    specs = load(own)
    own_keys = {name_key(s.path) for s in specs}
    tags = [t.path for t in TagStore(lib.catalog).all() if t.enabled]
    unseen = tuple(p for p in tags if name_key(p) not in own_keys)
    if own != DEFAULT_VOCABULARY:
        who, knows = NARROW.get(own, (model, "its own vocabulary"))
        offer = bool(unseen)
        message = (
            f"{who[:1].upper()}{who[1:]} knows {knows} only; your vocabulary has "
            f"{plural(len(unseen), 'tag')} it cannot see."
        )
    else:
        keys = {name_key(p) for p in tags}
        narrow = next((v for v in NARROW if keys and keys <= _keys(v)), None)
        offer = narrow is not None
        who, knows = NARROW.get(narrow, ("", ""))
        message = (
            f"Your vocabulary holds only {who}'s {knows}; {model} sees far more, and its "
            f"own vocabulary has {plural(sum(s.enabled for s in specs), 'tag')} of everyday "
            "subjects."
        )
    if offer:  # and accepting would change something
        plan = replace_vocabulary(lib, own, dry_run=True)
        offer = bool(plan.removed or plan.added)
    return VocabularyFit(model, not offer, unseen, message if offer else "")


def use_model_vocabulary(lib: Library, model: str | None = None) -> VocabularySwitch:
    """Make the vocabulary the model's own packaged one, as the user asked (the window's
    "Use its vocabulary", ``--model-vocabulary``), and re-score at once. Tags with the
    user's decisions stay (``replace_vocabulary``); the vocabulary as it was is saved under
    the data folder first. ``model``: the model the user was offered this for; when the
    library now runs another, nothing changes (OpError)."""
    if model is not None and model != lib.model_name:
        raise OpError(
            f"the model is now {lib.model_name}, not {model}: the vocabulary was not changed"
        )
    own = default_vocabulary_for(lib.model_name)
    specs = load(own)
    plan = replace_vocabulary(lib, own, dry_run=True)
    stored = {name_key(t.path): t.spec() for t in TagStore(lib.catalog).all()}
    same = all(
        (s.prompts, s.threshold, s.enabled) == (t.prompts, t.threshold, t.enabled)
        for s in specs
        if (t := stored.get(name_key(s.path))) is not None
    )
    if not (plan.removed or plan.added) and same:
        return VocabularySwitch(lib.model_name, len(specs))
    backup = _backup_path(lib)
    export_vocabulary(lib, backup)
    done = replace_vocabulary(lib, own)
    return VocabularySwitch(lib.model_name, len(specs), done, backup)


def _backup_path(lib: Library) -> Path:
    folder = lib.paths.data_dir / BACKUPS
    folder.mkdir(parents=True, exist_ok=True)
    stem = "vocabulary-" + time.strftime("%Y%m%d-%H%M%S")
    path, n = folder / f"{stem}.yaml", 1
    while path.exists():  # two switches within a second keep both
        n += 1
        path = folder / f"{stem}-{n}.yaml"
    return path
