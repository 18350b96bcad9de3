"""The query language as read: terms, quotes, signs and weights, and one line saying what to
write for a query that cannot be read. (Ranking with the test model:
tests/integration/test_query.py.)"""

from __future__ import annotations

import pytest

from clipdesk.ops import search as search_ops
from clipdesk.ops.errors import OpError
from clipdesk.search.query import Term, parse


@pytest.mark.parametrize(
    ("text", "terms"),
    [
        ("dog on a beach", [Term("dog on a beach")]),  # plain words: one description
        ('"red car" +sunset', [Term("red car"), Term("sunset", required=True)]),
        (
            "dog:2 beach -people:0.5",
            [Term("dog", 2.0), Term("beach"), Term("people", 0.5, negative=True)],
        ),
        ('beach -"red car":2', [Term("beach"), Term("red car", 2.0, negative=True)]),
        ("t-shirt 16:9", [Term("t-shirt 16:9")]),  # read literally
        ('"an open quote', [Term("an open quote")]),  # runs to the end
        ('"dog:abc"', [Term("dog:abc")]),  # quoted: as written
    ],
)
def test_a_query_is_read_as_a_user_means_it(text, terms):
    assert list(parse(text).terms) == terms


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("beach - people", "a lone '-': write it against the word it leaves out"),
        ("beach +", "a lone '+'"),
        ("dog:abc", "the weight after ':' is a number, as in dog:2"),
        ("dog:0", "a weight is above 0"),
        ("--red", "one sign per term"),
        ('"red car"x', "put a space after the closing quote"),
        ('""', "nothing to search for"),
        ("-red -people", "only terms to leave out (-red -people): say what to find too"),
    ],
)
def test_a_query_that_cannot_be_read_says_what_to_write(text, message):
    with pytest.raises(OpError) as err:
        search_ops.read_query(text)
    assert message in str(err.value) and "\n" not in str(err.value)
