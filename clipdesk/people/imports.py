"""Face regions another program wrote (MWG or Microsoft Photo regions, read from a sidecar
or the photo's embedded XMP by clipdesk.sidecars) become faces: a named region a confirmed
face of that person (People|Name), an unnamed one a face to group. Their vectors come when
the face step reads the photo (it is marked unread), which also skips a detector box that
is the same face."""

from __future__ import annotations

from collections.abc import Iterable

from clipdesk.catalog import Catalog
from clipdesk.people import faces_db, photo_tags
from clipdesk.tagging import tagpath
from clipdesk.tagging.store import TagStore
from clipdesk.tagging.vocabulary import VocabularyError, check_name

PEOPLE = "People"


def overlaps(a: faces_db.Box, b: faces_db.Box, share: float = 0.5) -> bool:
    """Two boxes (x, y, w, h) whose overlap is at least ``share`` of their union."""
    x1, y1 = max(a[0], b[0]), max(a[1], b[1])
    x2, y2 = min(a[0] + a[2], b[0] + b[2]), min(a[1] + a[3], b[1] + b[3])
    inter = max(0.0, x2 - x1) * max(0.0, y2 - y1)
    union = a[2] * a[3] + b[2] * b[3] - inter
    return union > 0 and inter / union >= share


def import_regions(
    catalog: Catalog, photo_id: int, regions: Iterable[tuple[str | None, faces_db.Box]]
) -> int:
    """Bring a photo's face regions in (call inside a transaction); how many faces were
    added or named. A region over a face the photo has already names that face (unless the
    user decided it); a name that is no valid tag name is skipped."""
    store = TagStore(catalog)
    have = faces_db.faces_of(catalog, photo_id)
    changed = 0
    for name, box in regions:
        person = None
        if name:
            try:
                name = check_name(" ".join(name.split()))
            except VocabularyError:
                continue
            tag_id = store.ensure_person(tagpath.join(PEOPLE, name))
            person = faces_db.person_of_tag(catalog, tag_id) or faces_db.new_person(catalog, tag_id)
        same = next((f for f in have if overlaps(f.box, box)), None)
        if same is not None:
            if person is not None and same.state != "confirmed":
                if person not in faces_db.rejections(catalog).get(same.id, ()):
                    faces_db.place(catalog, same.id, person, "confirmed", 1.0)
                    changed += 1
            continue
        face_id = faces_db.add_face(catalog, photo_id, box, None, "imported")
        if person is not None:
            faces_db.place(catalog, face_id, person, "confirmed", 1.0)
        changed += 1
    if changed:
        faces_db.mark_read(catalog, [photo_id], 0)  # the face step embeds the new boxes
        photo_tags.sync(catalog, [photo_id])  # the named faces' People rows on the photo
    return changed
