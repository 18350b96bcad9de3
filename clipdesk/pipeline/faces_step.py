"""The face step: after a photo's tags, its faces (issue 27). Found on the photo decoded at
the indexer's size (upright, so boxes are in the displayed orientation), embedded, stored
and grouped with the faces already known (people/grouping.py): a face like a named
person's is suggested for it, else it joins an unnamed cluster. Boxes imported from a
sidecar get their vector here too, and so do the faces of a catalog whose vectors another
embedder made (``faces_db.use_vectors_of``: they do not compare). A chunk of photos at a
time, each chunk one short transaction; ``cancel`` stops it between photos, and the next run
goes on (each photo is marked read once its faces are stored).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from clipdesk.catalog import step_queue
from clipdesk.faces.engine import VECTORS
from clipdesk.imaging import ImageError, decode
from clipdesk.people import faces_db, grouping, photo_tags
from clipdesk.people.imports import overlaps
from clipdesk.pipeline.library import Library
from clipdesk.progress import Cancel

CHUNK = 16  # photos between two transactions
DECODE_SIDE = 256  # the indexer's decode (a 24 MP JPEG comes out near 750x500)


@dataclass
class FacesDone:
    photo_ids: list[int] = field(default_factory=list)  # photos looked at
    faces: int = 0  # faces found
    changed_photos: set[int] = field(default_factory=set)  # photos whose People rows moved
    tags: set[int] = field(default_factory=set)
    done: bool = False  # nothing left to look at


def faces(
    lib: Library,
    cancel: Cancel | None = None,
    on_chunk: Callable[[FacesDone], None] | None = None,
    chunks: int | None = None,
) -> FacesDone:
    """Find the faces of the indexed photos not looked at yet (``chunks``: at most that many
    chunks, then return; the caller calls again)."""
    out = FacesDone()
    if not lib.faces_on:
        out.done = True
        return out
    cat = lib.catalog
    engine = lib.face_engine
    faces_db.use_vectors_of(cat, VECTORS)
    n = after = 0  # ``after``: a photo that cannot be read now is not asked for again here
    while chunks is None or n < chunks:
        rows = step_queue.photos_to_read(cat, "faces", CHUNK, after)
        if not rows:
            out.done = True
            break
        found = []
        kept = lib.face_inputs
        for photo_id, path, hash_ in rows:
            if cancel is not None and cancel.is_set():
                break
            after = photo_id
            try:
                image = kept.take(photo_id, hash_) if kept is not None else None
                if image is None:  # not kept (the bound, or another process embedded it)
                    image = decode(path, min_side=DECODE_SIDE).image
            except ImageError:
                found.append((photo_id, [], None))  # its decode failed before: no faces
                continue
            except OSError:
                continue  # gone since: its scan says so; looked at again when back
            have = faces_db.faces_of(cat, photo_id)
            boxes = [(f.id, engine.embed_box(image, f.box)) for f in have if not f.embedded]
            # a face the photo has (a sidecar's named box, one found before): not found twice
            known = lambda box, have=have: any(overlaps(box, h.box) for h in have)  # noqa: E731
            found.append((photo_id, engine.find(image, known=known), boxes))
        new_ids = []
        with cat.transaction():
            for photo_id, faces_found, boxes in found:
                for face_id, vector in boxes or ():
                    faces_db.set_vector(cat, face_id, vector)
                    new_ids.append(face_id)
                for f in faces_found:
                    new_ids.append(
                        faces_db.add_face(cat, photo_id, f.box, f.vector, "detector", f.score)
                    )
                    out.faces += 1
            faces_db.mark_read(cat, [p for p, *_ in found])
            if new_ids:
                placed = grouping.regroup(cat, new_ids)
                photos = {f.photo_id for f in faces_db.faces(cat, placed)}
                out.tags |= photo_tags.sync(cat, photos)
                out.changed_photos |= photos
        out.photo_ids += [p for p, *_ in found]
        n += 1
        if on_chunk is not None:
            on_chunk(out)
        if cancel is not None and cancel.is_set():
            break
    return out
