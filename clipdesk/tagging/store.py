"""Tags in the catalog: the tree, prompts, thresholds; import and export of vocabularies.

A tag keeps its id when renamed or moved to another parent, so its photo
assignments, corrections and learned head follow it.

Tag names follow one rule wherever a tag is made or renamed (a vocabulary import, "add
tag" in the window or the CLI, a keyword read from a sidecar): the name is NFC, and a
name that differs from a sibling's only in case is that sibling ("dog" finds "Dog", and
"Dog" keeps its spelling). The catalog's unique index is case-sensitive, so the rule
lives here, in the one place that writes tag names.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass

from clipdesk.catalog import Catalog
from clipdesk.tagging import tagpath
from clipdesk.tagging.states import STATE_ORDER, TagSource, TagState
from clipdesk.tagging.vocabulary import (
    DEFAULT_THRESHOLD,
    DEFAULT_VOCABULARY,
    TagSpec,
    VocabularyError,
    check_name,
    check_prompts,
    load,
    name_key,
    normal_name,
)


@dataclass(frozen=True)
class TagRow:
    id: int
    path: str
    parent_id: int | None
    prompts: tuple[str, ...]
    threshold: float
    enabled: bool
    person: bool = False  # a named person (People|Name): its rows come from faces, not CLIP

    @property
    def name(self) -> str:
        return tagpath.leaf(self.path)

    def spec(self) -> TagSpec:
        return TagSpec(self.path, list(self.prompts), self.threshold, self.enabled)


@dataclass(frozen=True)
class TagInfo:
    """A tag in the sidebar: where it sits and how many photos carry it."""

    id: int
    path: str
    parent_id: int | None
    photos: int
    enabled: bool

    @property
    def name(self) -> str:
        return tagpath.leaf(self.path)


@dataclass(frozen=True)
class Chip:
    """One tag on the photos in view: its state, where it came from, score and coverage.

    ``count`` of ``of`` photos carry it in ``state``; on one photo both are 1.
    """

    tag_id: int
    path: str
    state: TagState
    source: TagSource
    score: float | None
    count: int = 1
    of: int = 1

    @property
    def name(self) -> str:
        return tagpath.leaf(self.path)


class UnknownTag(LookupError):
    pass


class TagStore:
    def __init__(self, catalog: Catalog):
        self.catalog = catalog
        self.conn = catalog.conn

    def all(self) -> list[TagRow]:
        rows = self.conn.execute(
            "SELECT id, name, parent_id, prompts, threshold, enabled, person FROM tags"
        ).fetchall()
        paths = tagpath.build((r[0], r[1], r[2]) for r in rows)
        out = [
            TagRow(r[0], paths[r[0]], r[2], tuple(json.loads(r[3])), r[4], bool(r[5]), bool(r[6]))
            for r in rows
        ]
        return sorted(out, key=lambda t: t.path.lower())

    def concepts(self) -> list[TagRow]:
        """The tags the CLIP tagger suggests, learns and scores: all but named people (whose
        photo rows the faces keep, clipdesk/people)."""
        return [t for t in self.all() if not t.person]

    def ensure_person(self, path: str) -> int:
        """The tag of a named person (``People|Name``), made if needed and marked as one."""
        tag_id = self.ensure(path)
        self.conn.execute("UPDATE tags SET person = 1 WHERE id = ?", (tag_id,))
        return tag_id

    def paths(self) -> dict[int, str]:
        """Every tag's full path, by id."""
        return tagpath.build(self.conn.execute("SELECT id, name, parent_id FROM tags"))

    def names(self) -> list[str]:
        """Every tag path, for completion."""
        return sorted(self.paths().values(), key=str.lower)

    def usage(self) -> list[TagInfo]:
        """Every tag with the number of photos that carry it (suggested or confirmed)."""
        counts = dict(
            self.conn.execute(
                "SELECT tag_id, COUNT(*) FROM photo_tags WHERE state != 'rejected' GROUP BY 1"
            ).fetchall()
        )
        paths = self.paths()
        rows = self.conn.execute("SELECT id, parent_id, enabled FROM tags").fetchall()
        out = [TagInfo(i, paths[i], up, counts.get(i, 0), bool(on)) for i, up, on in rows]
        return sorted(out, key=lambda t: t.path.lower())

    def chips(self, photo_ids: list[int]) -> list[Chip]:
        """The tags on these photos; over several, one chip per tag in its most common state."""
        if not photo_ids:
            return []
        paths = self.paths()
        rows = self.conn.execute(
            "SELECT tag_id, state, source, COUNT(*), AVG(score) FROM photo_tags "
            f"WHERE photo_id IN ({','.join('?' * len(photo_ids))}) GROUP BY tag_id, state, source",
            photo_ids,
        ).fetchall()
        best: dict[int, Chip] = {}
        for tag_id, state, source, n, score in rows:
            if tag_id not in paths:
                continue
            old = best.get(tag_id)
            if old is None or n > old.count:
                best[tag_id] = Chip(
                    tag_id,
                    paths[tag_id],
                    TagState(state),
                    TagSource(source),
                    score,
                    n,
                    len(photo_ids),
                )
        return sorted(
            best.values(), key=lambda c: (STATE_ORDER[c.state], -(c.score or 0), c.path.lower())
        )

    def get(self, path: str) -> TagRow:
        """The tag at ``path``; a bare leaf name also works when it is unambiguous."""
        tags = self.all()
        exact = [t for t in tags if t.path == path] or [
            t for t in tags if name_key(t.path) == name_key(path)
        ]
        if exact:
            return exact[0]
        leaf = [t for t in tags if name_key(t.name) == name_key(path)]
        if len(leaf) == 1:
            return leaf[0]
        if leaf:
            raise UnknownTag(f"'{path}' is ambiguous: " + ", ".join(t.path for t in leaf))
        raise UnknownTag(f"no tag '{path}'")

    def states_on(self, photo_id: int) -> list[tuple[int, str, float | None, float]]:
        """(tag id, state, score, the tag's threshold) of every tag on a photo."""
        return self.conn.execute(
            "SELECT pt.tag_id, pt.state, pt.score, t.threshold FROM photo_tags pt "
            "JOIN tags t ON t.id = pt.tag_id WHERE pt.photo_id = ?",
            (photo_id,),
        ).fetchall()

    def mark_imported(self, photo_id: int, tag_ids: list[int], now: float) -> int:
        """Keywords found in a sidecar or the photo: confirmed ``imported`` tags, except where
        the user decided already. How many of the photo's tags it changed."""
        cur = self.conn.executemany(
            "INSERT INTO photo_tags(photo_id, tag_id, state, source, score, updated_at) "
            "VALUES (?, ?, 'confirmed', 'imported', NULL, ?) "
            "ON CONFLICT(photo_id, tag_id) DO UPDATE SET state = 'confirmed', "
            "source = 'imported', updated_at = excluded.updated_at "
            "WHERE photo_tags.source = 'model'",
            [(photo_id, tag_id, now) for tag_id in tag_ids],
        )
        return max(cur.rowcount, 0)

    def _child(self, parent_id: int | None, name: str) -> int | None:
        """The tag called ``name`` (any case) under ``parent_id``; the exact spelling first."""
        up = parent_id or 0
        row = self.conn.execute(
            "SELECT id FROM tags WHERE COALESCE(parent_id, 0) = ? AND name = ?", (up, name)
        ).fetchone()
        if row:
            return row[0]
        key = name_key(name)
        rows = self.conn.execute(
            "SELECT id, name FROM tags WHERE COALESCE(parent_id, 0) = ? ORDER BY id", (up,)
        )
        return next((i for i, n in rows if name_key(n) == key), None)

    def ensure(self, path: str) -> int:
        """The id of the tag at ``path``, creating it (and its parents) if needed; a level
        that differs from an existing tag's name only in case is that tag. Names are NFC
        but otherwise taken as they are (a keyword read from a sidecar must never stop a
        run): what a person types or a file brings is checked first (``check_name``).

        A parent created on the way is a group: disabled, so it is never suggested nor
        asked about in review until the user enables it (with prompts of their own)."""
        parent_id = None
        levels = tagpath.split(path)
        for depth, name in enumerate(levels, 1):
            name = normal_name(name)
            if not name:
                raise VocabularyError(f"empty level in tag path '{path}'")
            found = self._child(parent_id, name)
            if found is not None:
                parent_id = found
            else:
                parent_id = self._insert(name, parent_id, enabled=depth == len(levels))
        assert parent_id is not None
        return parent_id

    def _insert(self, name: str, parent_id: int | None, enabled: bool) -> int:
        cur = self.conn.execute(
            "INSERT INTO tags(name, parent_id, threshold, enabled, updated_at) "
            "VALUES (?, ?, ?, ?, ?)",
            (name, parent_id, DEFAULT_THRESHOLD, int(enabled), time.time()),
        )
        return int(cur.lastrowid)

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
            args.append(json.dumps(check_prompts(prompts)))
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
        parent_path, name = tagpath.parent(new_path), check_name(tagpath.leaf(new_path))
        with self.catalog.transaction():
            parent_id = self.ensure(parent_path) if parent_path else None
            other = self._child(parent_id, name)
            if other is not None and other != tag_id:
                raise VocabularyError(f"there is already a tag '{self.paths()[other]}'")
            ancestor = parent_id
            while ancestor is not None:  # refuse to move a tag under itself
                if ancestor == tag_id:
                    raise VocabularyError(f"cannot move a tag under itself ('{new_path}')")
                ancestor = self.conn.execute(
                    "SELECT parent_id FROM tags WHERE id = ?", (ancestor,)
                ).fetchone()[0]
            self.conn.execute(
                "UPDATE tags SET name = ?, parent_id = ?, updated_at = ? WHERE id = ?",
                (name, parent_id, time.time(), tag_id),
            )

    def decided_tags(self) -> set[int]:
        """Tags the user decided on somewhere (or that came from imported keywords)."""
        rows = self.conn.execute(
            "SELECT DISTINCT tag_id FROM photo_tags WHERE source IN ('user', 'imported')"
        )
        return {r[0] for r in rows}

    def suggestion_counts(self) -> dict[int, int]:
        """Per tag, the photos the model suggests it on now."""
        rows = self.conn.execute(
            "SELECT tag_id, COUNT(*) FROM photo_tags WHERE state = 'suggested' "
            "AND source = 'model' GROUP BY tag_id"
        )
        return dict(rows.fetchall())

    def delete(self, tag_id: int) -> None:
        self.conn.execute("DELETE FROM tags WHERE id = ?", (tag_id,))

    def match(self, specs: list[TagSpec]) -> list[int | None]:
        """The existing tag each spec names (None: new), by the same rule as ``ensure``:
        the exact name first, else the name in any case. One query, then linear."""
        return self._walk(specs, create=False)[0]

    def import_specs(self, specs: list[TagSpec]) -> tuple[int, int]:
        """Merge a vocabulary: new tags added, existing ones updated (a tag matched in
        another case keeps its spelling); (added, updated). Linear in the number of tags:
        the tree is read once, not looked up per level."""
        with self.catalog.transaction():
            existing, ids = self._walk(specs, create=True)
            for spec, tag_id in zip(specs, ids, strict=True):
                self.update(tag_id, spec.prompts, spec.threshold, spec.enabled)
        added = sum(i is None for i in existing)
        return added, len(specs) - added

    def _walk(self, specs: list[TagSpec], create: bool) -> tuple[list[int | None], list[int]]:
        """(the existing tag of each spec or None, each spec's tag id once created)."""
        tree = TagTree(self)
        existing: list[int | None] = []
        ids: list[int] = []
        created: set[int] = set()
        for spec in specs:
            levels = [check_name(name) for name in tagpath.split(spec.path)]
            found, new = tree.resolve(levels, create)
            created.update(new)
            existing.append(None if found is None or found in created else found)
            ids.append(found or 0)
        return existing, ids

    def unsplittable(self) -> set[int]:
        """Tags whose path cannot be split back into its levels: a level holds the separator
        (a flat keyword read as written, ``a||b``), so no hierarchical field can carry it."""
        rows = self.conn.execute("SELECT id, name, parent_id FROM tags").fetchall()
        out = {i for i, name, _ in rows if tagpath.SEPARATOR in name}
        below: dict[int, list[int]] = {}
        for i, _, up in rows:
            below.setdefault(up, []).append(i)
        todo = list(out)
        while todo:
            for child in below.get(todo.pop(), ()):
                out.add(child)
                todo.append(child)
        return out

    def import_file(self, path) -> tuple[int, int]:
        return self.import_specs(load(path))  # load() raises before anything is written

    def export_specs(self) -> list[TagSpec]:
        return [t.spec() for t in self.all()]

    def seed_default(self, source=None) -> bool:
        """Give a new catalog a vocabulary, once (a user may delete it all later): ``source``
        (a file or package resource, see ``default_vocabulary_for``), else the default one."""
        if self.catalog.vocabulary_seeded():
            return False
        if not self.all():
            self.import_specs(load(DEFAULT_VOCABULARY if source is None else source))
        self.conn.execute(
            "INSERT OR REPLACE INTO meta(key, value) VALUES ('vocabulary_seeded', '1')"
        )
        return True


class TagTree:
    """The tag tree in memory, to match many paths in linear time (a vocabulary, a run's
    keywords) by :meth:`TagStore.ensure`'s rule: each level the exact name first, else the
    name in any case. Read outside a write transaction; :meth:`fresh` inside one reads it
    again only when another connection changed the catalog since (``PRAGMA data_version``)."""

    def __init__(self, store: TagStore):
        self.store = store
        self._version: int | None = None
        self.fresh()

    def fresh(self) -> None:
        conn = self.store.conn
        version = conn.execute("PRAGMA data_version").fetchone()[0]
        if version == self._version:
            return
        self.exact: dict[tuple[int, str], int] = {}
        self.folded: dict[tuple[int, str], int] = {}
        for i, name, up in conn.execute("SELECT id, name, parent_id FROM tags ORDER BY id"):
            self.exact.setdefault((up or 0, name), i)
            self.folded.setdefault((up or 0, name_key(name)), i)
        self._version = version

    def resolve(
        self, levels: list[str], create: bool, enabled: bool = True
    ) -> tuple[int | None, list[int]]:
        """The tag at these levels (checked names), created with its parents when
        ``create`` (parents as disabled groups, the tag itself ``enabled``); (its id, or None
        when it is not there and not created; the ids created)."""
        parent, found, created = 0, None, []
        for depth, name in enumerate(levels, 1):
            found = self.exact.get((parent, name)) or self.folded.get((parent, name_key(name)))
            if found is None and create:
                last = depth == len(levels)
                found = self.store._insert(name, parent or None, enabled=enabled and last)
                self.exact[(parent, name)] = self.folded[(parent, name_key(name))] = found
                created.append(found)
            if found is None:  # a dry run: nothing below a new tag exists
                break
            parent = found
        return found, created
