"""What a photo's tag is (its state) and where it came from (its source), as enums whose
members are their string values: the catalog stores the strings, and a member compares
equal to its string, so a row read from SQLite and a member agree."""

from __future__ import annotations

from enum import Enum


class TagState(str, Enum):
    SUGGESTED = "suggested"  # the model's, undecided
    CONFIRMED = "confirmed"  # the user's yes (or a keyword imported, or a place from GPS)
    REJECTED = "rejected"  # the user's no to this tag on this photo (not the photo's flag)

    def __str__(self) -> str:
        return self.value


class TagSource(str, Enum):
    MODEL = "model"
    USER = "user"
    IMPORTED = "imported"  # a keyword read from a sidecar or the photo's own XMP
    GPS = "gps"  # a place (Places|Country|Region|City) from the photo's own GPS position

    def __str__(self) -> str:
        return self.value


# How chips sort on a photo: the user's yes first, then suggestions, then the user's no.
STATE_ORDER = {TagState.CONFIRMED: 0, TagState.SUGGESTED: 1, TagState.REJECTED: 2}
