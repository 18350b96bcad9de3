"""The three keyword fields, as plain data, and how ClipDesk merges tag paths into them.

Pure functions: no I/O, no exiv2. A *tag path* is ClipDesk's hierarchical tag name with ``|``
separators (``Animals|Dog``), NFC-normalised, with blank components dropped.

Fields (all written and read):

- ``lr:hierarchicalSubject`` (Lightroom, darktable, digiKam): the full path, ``Animals|Dog``.
- ``digiKam:TagsList`` (digiKam): the full path with ``/`` separators, ``Animals/Dog``.
- ``dc:subject`` (everyone): flat keywords.

Flat keywords are the *leaf names* only (``Animals|Dog`` -> ``Dog``). Lightroom's "include on
export" also writes every ancestor (``Animals``) as a flat keyword; ClipDesk does not, because an
ancestor keyword is not a tag the user gave the photo (searching ``Animals`` in a flat-keyword
program would otherwise match every dog, cat and bird, and removing one child could not tell
whether to remove the shared ancestor). Ancestors other programs wrote are kept.

Consistency rules of :func:`merge`:

- An added path goes into ``lr:hierarchicalSubject``, its leaf into ``dc:subject``, and its
  ``/`` form into ``digiKam:TagsList`` when that field is enabled *or already present* (digiKam
  reads ``TagsList`` first, so a stale one would hide the new tags from it).
- ``dc:subject`` is kept in step with the hierarchy (some viewers read only it): the leaf of
  every hierarchical keyword left in the sidecar, ours or another program's, is in it (any
  spelling of it in another case counts).
- Separators in names: a ClipDesk tag name cannot hold ``|`` (it is the path separator), except
  a flat keyword's, read as written (``a||b`` is one name, not ``a`` > ``b``), which export
  leaves alone (``sync.export_library``: no field could carry it back). A name
  holding ``/`` (``Music|AC/DC``) has no unambiguous digiKam form (digiKam has no escape for
  ``/``), so such a path is kept *out of* ``digiKam:TagsList``; it is in
  ``lr:hierarchicalSubject`` and its leaf in ``dc:subject``. On reading, a ``TagsList`` entry
  that is only the ``/`` form of an ``lr:hierarchicalSubject`` entry (``Music/AC/DC`` next to
  ``Music|AC/DC``, as written by a program that does both) is that entry, not a deeper path.
- Commas are never separators: ``People|Surname, Firstname`` is one path.
- A removed path leaves ``lr:hierarchicalSubject`` and ``digiKam:TagsList``. Its leaf leaves
  ``dc:subject`` only if the path itself was in a hierarchical field (evidence that the flat
  keyword came with it) or the path is a single level, and no remaining path has the same leaf
  (``Breeds|Dog`` keeps ``Dog``).
- Everything else (other programs' keywords, ancestors, duplicates, order) is kept as found;
  new entries are appended in sorted order. A path in both ``add`` and ``remove`` is added.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

SEP = "|"
DIGIKAM_SEP = "/"


def normalize_path(path: str, sep: str = SEP) -> str:
    """Return ``path`` as a canonical tag path: NFC, ``|``-separated, components stripped.

    ``sep`` is the separator used in ``path`` (``/`` for digiKam). Returns ``""`` for a path
    with no non-blank component.
    """
    parts = unicodedata.normalize("NFC", path).split(sep)
    return SEP.join(p.strip() for p in parts if p.strip())


def normalize_paths(paths: Iterable[str]) -> frozenset[str]:
    """Normalise many tag paths, dropping blank ones."""
    return frozenset(n for n in (normalize_path(p) for p in paths) if n)


def leaf(path: str) -> str:
    """The last component of a normalised tag path (``Animals|Dog`` -> ``Dog``)."""
    return path.rsplit(SEP, 1)[-1]


def to_digikam(path: str) -> str:
    """A normalised tag path in digiKam's ``/`` form."""
    return path.replace(SEP, DIGIKAM_SEP)


def _flat_key(keyword: str) -> str:
    return unicodedata.normalize("NFC", keyword).strip()


@dataclass(frozen=True)
class Keywords:
    """Keyword fields exactly as stored (order and spelling kept), plus derived tag paths.

    ``iptc`` is only filled for keywords embedded in a photo (IPTC ``2:25 Keywords``).
    """

    flat: tuple[str, ...] = ()
    hierarchical: tuple[str, ...] = ()
    digikam: tuple[str, ...] = ()
    iptc: tuple[str, ...] = ()

    @classmethod
    def joined(cls, *parts: Keywords | None) -> Keywords:
        """Several keyword sources read as one set of fields (None and empty ones skipped)."""
        kws = [k for k in parts if k]
        return cls(
            flat=tuple(x for k in kws for x in k.flat),
            hierarchical=tuple(x for k in kws for x in k.hierarchical),
            digikam=tuple(x for k in kws for x in k.digikam),
            iptc=tuple(x for k in kws for x in k.iptc),
        )

    def _ordered_hierarchical(self) -> list[str]:
        lr = [normalize_path(h) for h in self.hierarchical]
        slashed = {to_digikam(p) for p in lr if DIGIKAM_SEP in p}
        found = lr + [
            normalize_path(d, DIGIKAM_SEP)
            for d in self.digikam
            if normalize_path(d) not in slashed  # the "/" form of an lr entry: that entry
        ]
        return [p for p in found if p]

    def hierarchical_paths(self) -> frozenset[str]:
        """Normalised paths from ``lr:hierarchicalSubject`` and ``digiKam:TagsList``."""
        return frozenset(self._ordered_hierarchical())

    def tag_levels(self) -> tuple[tuple[str, ...], ...]:
        """Each tag these fields name, as its levels: a hierarchical keyword's path split at
        ``|``; a flat keyword (``dc:subject``, IPTC) as written, one name, a ``|`` in it
        being text, unless it is a hierarchical keyword's path or a component (leaf or
        ancestor) of one. Tags that differ only in case are one, spelled as first found
        (hierarchical fields first, then flat ones)."""
        hier = self._ordered_hierarchical()
        covered = {part.casefold() for p in hier for part in (p, *p.split(SEP))}
        flats = [_flat_key(k) for k in (*self.flat, *self.iptc)]
        found = [tuple(p.split(SEP)) for p in hier]
        found += [(f,) for f in flats if f and f.casefold() not in covered]
        out: dict[tuple[str, ...], tuple[str, ...]] = {}
        for levels in found:
            out.setdefault(tuple(level.casefold() for level in levels), levels)
        return tuple(out.values())

    @property
    def paths(self) -> frozenset[str]:
        """All tag paths (:meth:`tag_levels` joined): the hierarchical ones, plus each flat
        keyword that is not a component of one of them, as a top-level tag."""
        return frozenset(SEP.join(levels) for levels in self.tag_levels())

    def is_empty(self) -> bool:
        """True when no field holds anything."""
        return not (self.flat or self.hierarchical or self.digikam or self.iptc)


@dataclass(frozen=True)
class MergeResult:
    """The merged fields and the tag-path changes they represent."""

    keywords: Keywords
    added: tuple[str, ...]
    removed: tuple[str, ...]
    changed: bool


def merge(
    current: Keywords, add: Iterable[str], remove: Iterable[str], *, digikam: bool = True
) -> MergeResult:
    """Apply ``add`` / ``remove`` (tag paths) to ``current`` following the module's rules.

    ``added`` lists paths of ``add`` that were not already present; ``removed`` lists paths of
    ``remove`` that were present; ``changed`` is True when any field differs (which can happen
    with both empty, e.g. when a missing flat leaf of an existing path is filled in).
    """
    add_set = normalize_paths(add)
    remove_set = normalize_paths(remove) - add_set
    before = current.paths

    hier = [h for h in current.hierarchical if normalize_path(h) not in remove_set]
    have = {normalize_path(h) for h in hier}
    hier += [p for p in sorted(add_set) if p not in have]

    removed_slashed = {to_digikam(p) for p in remove_set if DIGIKAM_SEP in p}
    dk = [
        d
        for d in current.digikam
        if normalize_path(d, DIGIKAM_SEP) not in remove_set
        and normalize_path(d) not in removed_slashed
    ]
    if digikam or current.digikam:
        have = {normalize_path(d, DIGIKAM_SEP) for d in dk}
        dk += [
            to_digikam(p)
            for p in sorted(add_set)
            if p not in have and DIGIKAM_SEP not in p  # "AC/DC": no digiKam form (see above)
        ]

    old_hier = current.hierarchical_paths()
    remaining = Keywords(hierarchical=tuple(hier), digikam=tuple(dk)).hierarchical_paths()
    keep_leaves = {leaf(p) for p in remaining}
    drop = {
        leaf(p)
        for p in remove_set
        if (p in old_hier or SEP not in p) and leaf(p) not in keep_leaves
    }
    flat = [f for f in current.flat if _flat_key(f) not in drop]
    have = {_flat_key(f).casefold() for f in flat}
    # New leaves first (sorted), then leaves of other hierarchical keywords missing from it.
    for name in [*sorted({leaf(p) for p in add_set}), *sorted(keep_leaves)]:
        if name.casefold() not in have:
            flat.append(name)
            have.add(name.casefold())

    merged = Keywords(tuple(flat), tuple(hier), tuple(dk), current.iptc)
    return MergeResult(
        keywords=merged,
        added=tuple(sorted(add_set - before)),
        removed=tuple(sorted(remove_set & before)),
        changed=merged != current,
    )
