"""The words read in a photo (issue 30), and the ``text`` setting: what ``clipdesk text`` and
the window's photo details show. Nothing here writes a sidecar: words stay in the catalog."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from clipdesk.catalog import photo_text
from clipdesk.catalog.photo_text import TextRead
from clipdesk.ops.errors import OpError
from clipdesk.pipeline.library import Library
from clipdesk.text import engine_installed
from clipdesk.text.reader import INSTALL

STATES = {
    TextRead.NOT_YET: "not looked at yet",
    TextRead.READ: "read",
    TextRead.SKIPPED: "not read: it does not look like it holds text",
    TextRead.FAILED: "not read: the photo could not be decoded",
}


@dataclass(frozen=True)
class PhotoWords:
    photo_id: int
    state: TextRead
    text: str | None  # the lines read ('' where none were found); None: not read

    @property
    def summary(self) -> str:
        """One line on where the photo stands, for when there are no words to show."""
        if self.state is TextRead.READ and not self.text:
            return "no words found"
        return STATES[self.state]


def words_of_id(lib: Library, photo_id: int) -> PhotoWords:
    try:
        state, text = photo_text.text_of(lib.catalog, photo_id)
    except LookupError as exc:
        raise OpError(str(exc)) from None
    return PhotoWords(photo_id, state, text)


def words(lib: Library, photo: str | Path) -> PhotoWords:
    """The words read in a photo given by path."""
    from clipdesk.ops.tags import photo_ids

    (photo_id,) = photo_ids(lib, [photo])
    return words_of_id(lib, photo_id)


def switch(lib: Library, on: bool) -> None:
    """Turn reading words on or off (the ``text`` setting, as the window's Settings does);
    what was read stays searchable."""
    lib.settings.text = on
    lib.settings.save(lib.paths.settings_file)


def availability(lib: Library) -> str | None:
    """Why no words are being read, in one line (off, or the engine not installed); None
    when they are."""
    if not lib.settings.text:
        return "reading words is off (`clipdesk text --on` turns it on)"
    if not engine_installed():
        return f"the OCR engine is not installed: {INSTALL}"
    return None
