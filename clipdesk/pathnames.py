"""File names that are not valid UTF-8: kept losslessly, stored safely, shown readably.

In memory a path is what Python's ``os`` functions give: a ``str`` in which each byte of
the name that is not valid UTF-8 is a lone surrogate (``surrogateescape``: byte 0xFF is
U+DCFF). ``open``, ``os.stat`` and ``os.fsencode`` turn it back into the exact bytes, so
the file is always found again.

SQLite's Python driver refuses lone surrogates (strict UTF-8), which once made one odd
name roll back a whole scan. The catalog therefore stores paths as TEXT through a small
reversible escape (:func:`to_db` / :func:`from_db`) rather than as BLOBs of bytes:

- every valid name is stored unchanged, so existing catalogs need no migration and the
  SQL that compares paths (``photos_under``'s range on the path index, ``ORDER BY path``,
  equality lookups) keeps working on plain text;
- the escape is a prefix code applied character by character (a surrogate becomes ``ESC``
  and four hex digits, a genuine ``ESC`` becomes ``ESC ESC``), so "path starts with
  folder + /" holds for the stored forms exactly when it holds for the names, and the
  range queries stay correct for odd names too;
- ``ESC`` is U+10FFFF, a noncharacter no camera or program puts in a file name.

:func:`shown` is the readable form for people (CLI output, JSON, the window): the bytes
that are not UTF-8 as ``\\xff`` escapes. :func:`from_shown` reads that form back, so a
path copied from ClipDesk's output finds the photo.
"""

from __future__ import annotations

import os
import re

ESC = "\U0010ffff"
_SPECIAL = re.compile("[\ud800-\udfff\U0010ffff]")
_STORED = re.compile("\U0010ffff(\U0010ffff|[0-9a-f]{4})")
_SHOWN_BYTE = re.compile(r"\\x([89a-f][0-9a-f])")


def _escape(m: re.Match) -> str:
    c = m.group()
    return ESC + ESC if c == ESC else f"{ESC}{ord(c):04x}"


def _unescape(m: re.Match) -> str:
    g = m.group(1)
    return ESC if g == ESC else chr(int(g, 16))


def to_db(path: str | os.PathLike[str]) -> str:
    """The catalog's TEXT form of a path (unchanged unless the name is not valid UTF-8)."""
    p = os.fspath(path)
    return _SPECIAL.sub(_escape, p) if _SPECIAL.search(p) else p


def from_db(text: str) -> str:
    """The path a catalog TEXT value stands for (the inverse of :func:`to_db`)."""
    return _STORED.sub(_unescape, text) if ESC in text else text


def shown(path: str | os.PathLike[str]) -> str:
    """A path (or any message holding one) as people read it: undecodable bytes as ``\\xff``."""
    p = os.fspath(path)
    if not _SPECIAL.search(p):
        return p
    try:
        return os.fsencode(p).decode("utf-8", "backslashreplace")
    except UnicodeError:  # a surrogate that is no escaped byte (never from the file system)
        return p.encode("utf-8", "backslashreplace").decode("utf-8")


def from_shown(text: str) -> str:
    """The path behind a :func:`shown` form: ``\\xff`` escapes of bytes >= 0x80 become the
    bytes again (as surrogates). A name that holds such text literally is looked up as given
    first by the callers."""
    return _SHOWN_BYTE.sub(lambda m: chr(0xDC00 + int(m.group(1), 16)), text)


def lookup_forms(path: str | os.PathLike[str]) -> list[str]:
    """The paths a user's argument may mean: as given, then read as a :func:`shown` form."""
    p = os.fspath(path)
    alt = from_shown(p)
    return [p] if alt == p else [p, alt]
