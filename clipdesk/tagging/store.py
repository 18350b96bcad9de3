"""Tags in the catalog: the tree, prompts, thresholds; import and export of vocabularies.

A tag keeps its id when renamed or moved to another parent, so its photo
assignments, corrections and learned head follow it.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass

from clipdesk.catalog import Catalog
from clipdesk.tagging.vocabulary import (
    DEFAULT_THRESHOLD,
    DEFAULT_VOCABULARY,
    SEPARATOR,
    TagSpec,
    VocabularyError,
    load,
)


@dataclass(frozen=True)
class TagRow:
    id: int
    path: str
    parent_id: int | None
    prompts: tuple[str, ...]
    threshold: float
    enabled: bool

    @property
    def name(self) -> str:
        return self.path.rsplit(SEPARATOR, 1)[-1]

    def spec(self) -> TagSpec:
        return TagSpec(self.path, list(self.prompts), self.threshold, self.enabled)


class UnknownTag(LookupError):
    pass


class TagStore:
    def __init__(self, catalog: Catalog):
        self.catalog = catalog
        self.conn = catalog.conn

    def all(self) -> list[TagRow]:
        rows = self.conn.execute(
            "SELECT id, name, parent_id, prompts, threshold, enabled FROM tags"
        ).fetchall()
        by_id = {r[0]: r for r in rows}
        paths: dict[int, str] = {}

        def path(i: int) -> str:
            if i not in paths:
                _, name, parent, *_ = by_id[i]
                paths[i] = f"{path(parent)}{SEPARATOR}{name}" if parent else name
            return paths[i]

        out = [
            TagRow(r[0], path(r[0]), r[2], tuple(json.loads(r[3])), r[4], bool(r[5])) for r in rows
        ]
        return sorted(out, key=lambda t: t.path.lower())

    def by_path(self, path: str) -> TagRow | None:
        return next((t for t in self.all() if t.path == path), None)

    def get(self, path: str) -> TagRow:
        """The tag at ``path``; a bare leaf name also works when it is unambiguous."""
        tags = self.all()
        exact = [t for t in tags if t.path == path]
        if exact:
            return exact[0]
        leaf = [t for t in tags if t.name.lower() == path.lower()]
        if len(leaf) == 1:
            return leaf[0]
        if leaf:
            raise UnknownTag(f"'{path}' is ambiguous: " + ", ".join(t.path for t in leaf))
        raise UnknownTag(f"no tag '{path}'")

    def ensure(self, path: str) -> int:
        """The id of the tag at ``path``, creating it (and its parents) if needed."""
        parent_id = None
        for name in (p.strip() for p in path.split(SEPARATOR)):
            if not name:
                raise VocabularyError(f"empty level in tag path '{path}'")
            row = self.conn.execute(
                "SELECT id FROM tags WHERE name = ? AND parent_id IS ?", (name, parent_id)
            ).fetchone()
            if row:
                parent_id = row[0]
            else:
                cur = self.conn.execute(
                    "INSERT INTO tags(name, parent_id, threshold, updated_at) VALUES (?, ?, ?, ?)",
                    (name, parent_id, DEFAULT_THRESHOLD, time.time()),
                )
                parent_id = int(cur.lastrowid)
        assert parent_id is not None
        return parent_id

    def update(
        self,
        tag_id: int,
        prompts: list[str] | None = None,
        threshold: float | None = None,
        enabled: bool | None = None,
    ) -> None:
        sets, args = [], []
        if prompts is not None:
            sets.append("prompts = ?")
            args.append(json.dumps([p.strip() for p in prompts if p.strip()]))
        if threshold is not None:
            if not 0.0 < threshold < 1.0:
                raise ValueError("a threshold is a probability between 0 and 1")
            sets.append("threshold = ?")
            args.append(threshold)
        if enabled is not None:
            sets.append("enabled = ?")
            args.append(int(enabled))
        if sets:
            self.conn.execute(
                f"UPDATE tags SET {', '.join(sets)}, updated_at = ? WHERE id = ?",
                (*args, time.time(), tag_id),
            )

    def rename(self, tag_id: int, new_path: str) -> None:
        """Rename and/or re-parent; assignments, corrections and the head stay with the tag."""
        parent_path, _, name = new_path.rpartition(SEPARATOR)
        with self.catalog.transaction():
            parent_id = self.ensure(parent_path) if parent_path else None
            ancestor = parent_id
            while ancestor is not None:  # refuse to move a tag under itself
                if ancestor == tag_id:
                    raise VocabularyError(f"cannot move a tag under itself ('{new_path}')")
                ancestor = self.conn.execute(
                    "SELECT parent_id FROM tags WHERE id = ?", (ancestor,)
                ).fetchone()[0]
            self.conn.execute(
                "UPDATE tags SET name = ?, parent_id = ?, updated_at = ? WHERE id = ?",
                (name.strip(), parent_id, time.time(), tag_id),
            )

    def delete(self, tag_id: int) -> None:
        self.conn.execute("DELETE FROM tags WHERE id = ?", (tag_id,))

    def import_specs(self, specs: list[TagSpec]) -> tuple[int, int]:
        """Merge a vocabulary: new tags added, existing ones updated; (added, updated)."""
        before = {t.path for t in self.all()}
        with self.catalog.transaction():
            for spec in specs:
                tag_id = self.ensure(spec.path)
                self.update(tag_id, spec.prompts, spec.threshold, spec.enabled)
        added = sum(s.path not in before for s in specs)
        return added, len(specs) - added

    def import_file(self, path) -> tuple[int, int]:
        return self.import_specs(load(path))  # load() raises before anything is written

    def export_specs(self) -> list[TagSpec]:
        return [t.spec() for t in self.all()]

    def seed_default(self, source=None) -> bool:
        """Give a new catalog a vocabulary, once (a user may delete it all later): ``source``
        (a file or package resource, see ``default_vocabulary_for``), else the default one."""
        seeded = self.conn.execute("SELECT value FROM meta WHERE key = 'vocabulary_seeded'")
        if seeded.fetchone():
            return False
        if not self.all():
            self.import_specs(load(DEFAULT_VOCABULARY if source is None else source))
        self.conn.execute(
            "INSERT OR REPLACE INTO meta(key, value) VALUES ('vocabulary_seeded', '1')"
        )
        return True
