"""Reading sidecars back: exiftool's view of a file (an independent XMP implementation),
the keywords in it, and what an export reported for each photo."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

EXIFTOOL = shutil.which("exiftool")


# A darktable namespace (exiftool 12.x has none) and a made-up one, defined for exiftool.
CONFIG = r"""
%Image::ExifTool::UserDefined = (
    'Image::ExifTool::XMP::Main' => {
        darktable => { SubDirectory => { TagTable => 'Image::ExifTool::UserDefined::dt' } },
        acme => { SubDirectory => { TagTable => 'Image::ExifTool::UserDefined::acme' } },
    },
);
%Image::ExifTool::UserDefined::dt = (
    GROUPS => { 0 => 'XMP', 1 => 'XMP-darktable', 2 => 'Image' },
    NAMESPACE => { 'darktable' => 'http://darktable.sf.net/' },
    WRITABLE => 'string',
    xmp_version => { Writable => 'integer' },
    history => { List => 'Seq', Struct => {
        NAMESPACE => { 'darktable' => 'http://darktable.sf.net/' },
        operation => { }, enabled => { Writable => 'integer' }, params => { },
    } },
);
%Image::ExifTool::UserDefined::acme = (
    GROUPS => { 0 => 'XMP', 1 => 'XMP-acme', 2 => 'Image' },
    NAMESPACE => { 'acme' => 'http://example.com/ns/acme/1.0/' },
    WRITABLE => 'string',
    Score => { Writable => 'real' },
    Notes => { List => 'Bag' },
);
1;
"""


def exiftool(*args: str | Path, config: Path | None = None) -> str:
    cmd = [str(EXIFTOOL)] + (["-config", str(config)] if config else [])
    done = subprocess.run(cmd + [str(a) for a in args], check=False, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    return done.stdout


def tags(path: Path, config: Path | None = None) -> dict:
    """exiftool's view of a file, without the file-system entries."""
    out = json.loads(exiftool("-j", "-G1", "-a", "-struct", path, config=config))[0]
    return {k: v for k, v in out.items() if k.split(":")[0] not in ("SourceFile", "System")}


def as_list(value) -> list:
    return [] if value is None else value if isinstance(value, list) else [value]


_KEYWORD_ELEMENTS = re.compile(
    rb"\s*<(\w+:(?:subject|hierarchicalSubject|TagsList))(?:\s[^>]*?/>|[\s>].*?</\1>)",
    re.DOTALL,
)


def outside_keywords(data: bytes) -> bytes:
    """An XMP document's bytes without its keyword elements (as exiftool and ClipDesk write)."""
    return _KEYWORD_ELEMENTS.sub(b"", data)


def exif(path: Path) -> dict:
    out = subprocess.run(
        ["exiftool", "-j", "-G1", "-a", str(path)], capture_output=True, text=True, check=True
    ).stdout
    return json.loads(out)[0]


def subjects(path: Path) -> set[str]:
    v = exif(path).get("XMP-dc:Subject", [])
    return set(v if isinstance(v, list) else [v])


def outcomes(report) -> list[tuple]:
    return [(o.outcome, o.added, o.removed, o.reason) for o in report.outcomes]


def keyword_xmp(flat=(), hierarchical=()) -> str:
    """A sidecar's text holding these flat (``dc:subject``) and hierarchical
    (``lr:hierarchicalSubject``) keywords, written as given (XML-escaped, control
    characters as character references)."""

    def items(values) -> str:
        return "".join(f"<rdf:li>{_xml_text(v)}</rdf:li>" for v in values)

    return (
        '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF '
        'xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description '
        'rdf:about="" xmlns:dc="http://purl.org/dc/elements/1.1/" '
        'xmlns:lr="http://ns.adobe.com/lightroom/1.0/">'
        f"<dc:subject><rdf:Bag>{items(flat)}</rdf:Bag></dc:subject>"
        f"<lr:hierarchicalSubject><rdf:Bag>{items(hierarchical)}</rdf:Bag></lr:hierarchicalSubject>"
        "</rdf:Description></rdf:RDF></x:xmpmeta>"
    )


def _xml_text(value: str) -> str:
    escaped = value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return "".join(f"&#{ord(c)};" if ord(c) < 0x20 else c for c in escaped)
