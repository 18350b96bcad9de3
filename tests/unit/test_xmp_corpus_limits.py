"""Hostile sidecars cost that photo, not the export: too deep, entity declarations, too big,
or parseable by neither engine. (The foreign-sidecar corpus:
tests/integration/test_xmp_corpus.py.)"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from clipdesk.sidecars.xmp import (
    export_sidecars,
    read_photo_keywords,
    safexml,
)
from tests.support.files import photo_file
from tests.support.sidecars import (
    outcomes,
)


@pytest.fixture
def photo(tmp_path: Path) -> Path:
    return photo_file(tmp_path / "photos" / "shot.jpg", (10, 120, 200), (16, 12))


def _nested(depth: int) -> bytes:
    return (
        b"<x:xmpmeta xmlns:x='adobe:ns:meta/'><rdf:RDF "
        b"xmlns:rdf='http://www.w3.org/1999/02/22-rdf-syntax-ns#'>"
        b"<rdf:Description rdf:about='' xmlns:a='http://example.com/a/'>"
        + b"<a:n rdf:parseType='Resource'>" * depth
        + b"<a:v>deep</a:v>"
        + b"</a:n>" * depth
        + b"</rdf:Description></rdf:RDF></x:xmpmeta>"
    )


LAUGHS = (
    b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "ha"><!ENTITY b "&a;&a;&a;&a;&a;&a;">]>'
    b"<x:xmpmeta xmlns:x='adobe:ns:meta/'><rdf:RDF "
    b"xmlns:rdf='http://www.w3.org/1999/02/22-rdf-syntax-ns#'><rdf:Description "
    b"rdf:about='' xmlns:dc='http://purl.org/dc/elements/1.1/' dc:format='&b;'/>"
    b"</rdf:RDF></x:xmpmeta>"
)


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (_nested(990), "nested too deeply (more than 64 levels)"),
        (LAUGHS, "has a DTD or entity declarations (not allowed in XMP)"),
        (b" " * 2000, "too big to be a sidecar (over the 1000 bytes limit)"),
    ],
    ids=["990 levels", "entities", "too big"],
)
def test_a_hostile_sidecar_costs_that_photo_not_the_export(
    photo: Path, content: bytes, reason: str, monkeypatch
):
    if content.startswith(b" "):
        monkeypatch.setattr(safexml, "MAX_BYTES", 1000)  # a small limit instead of a 32 MB file
    other = photo.with_name("other.jpg")
    shutil.copy(photo, other)
    side = photo.with_name(photo.name + ".xmp")
    side.write_bytes(content)
    items = [(photo, {"Animals|Dog"}, set()), (other, {"Animals|Dog"}, set())]
    dry = export_sidecars(items, dry_run=True)
    done = export_sidecars(items)
    assert outcomes(done) == outcomes(dry)
    assert [(o.outcome, o.reason) for o in done.outcomes] == [
        ("skipped", reason),
        ("written", ""),
    ]
    assert side.read_bytes() == content
    assert read_photo_keywords(photo, embedded=False).errors == (f"{side}: {reason}",)


def test_a_sidecar_neither_engine_can_parse_is_reported_and_left_alone(photo: Path):
    side = photo.with_name(photo.name + ".xmp")
    data = b"<x:xmpmeta xmlns:x='adobe:ns:meta/'><rdf:RDF><unclosed></x:xmpmeta>"
    side.write_bytes(data)
    dry = export_sidecars([(photo, {"A"}, set())], dry_run=True)
    done = export_sidecars([(photo, {"A"}, set())])
    assert outcomes(done) == outcomes(dry)
    assert done.outcomes[0].outcome == "skipped" and "not valid XMP" in done.outcomes[0].reason
    assert side.read_bytes() == data
