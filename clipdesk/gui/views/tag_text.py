"""Tags in the window's words: "Places › Beach" in every message, title and note, as in the
tag tree and the Review page; the catalog's "Places|Beach" is for files and the terminal."""

from __future__ import annotations

from clipdesk.ops.people import PEOPLE
from clipdesk.tagging import tagpath


def tag_text(path: str) -> str:
    """A tag's path as the window shows it: ``Places › Beach``."""
    return tagpath.display(path)


def person_tag(name: str) -> str:
    """The tag a named person's photos get: ``People › Ada``."""
    return tag_text(tagpath.join(PEOPLE, name))
