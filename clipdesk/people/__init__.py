"""People: the faces found on photos, the groups they fall into, and the named persons they
become (issue 27). Qt-free; below ops and the pipeline, beside tagging.

- faces_db: the catalog's faces, people and rejections (SQL only);
- grouping: where a face goes (a named person's suggestion, an unnamed cluster, or a new
  one), incrementally and as a whole re-cluster (numpy);
- photo_tags: a named person's photo rows (People|Name), kept from its faces.
"""
