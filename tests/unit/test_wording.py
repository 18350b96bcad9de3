"""Counts in words: the one helper every message uses."""

from clipdesk.wording import plural


def test_counts_read_as_words_not_as_photo_s():
    assert plural(1, "photo") == "1 photo"
    assert plural(0, "photo") == "0 photos"
    assert plural(1234, "photo") == "1,234 photos"
    assert plural(2, "person", "people") == "2 people"
