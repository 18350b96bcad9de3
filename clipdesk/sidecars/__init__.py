"""XMP sidecars: the XMP engine (xmp/) and the sync between the catalog and sidecars."""
