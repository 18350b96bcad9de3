"""Places from GPS (issue 30): a photo's position, read from its metadata, named offline as
``Places|Country|Region|City`` from GeoNames' populated places (docs/places.md).

- position: the GPS position in EXIF or XMP, read without decoding the photo.
- gazetteer: the place a position is in (the data loads once, at the first lookup).
- places_db: the catalog's positions, places and place tags (source 'gps').

No Qt, no network: everything is on this machine.
"""
