"""The search query language, parsed (no model, no Qt): what to find, what to leave out.

    red car                  plain words: one description, read as a sentence
    "red car" beach          a quoted phrase is a term of its own
    beach -people            a minus term is subtracted (-"red car" too), and a photo it
                             matches on its own counts as a weaker match
    "red car" +sunset        a plus term is added and required: a photo that does not
                             match it on its own counts as a weaker match
    dog:2 beach -people:0.5  a weight after ':' scales a term (default 1)
    text:menu beach          words read in the photo (issue 30): only photos whose text
    text:"open 24"           holds them, in any case, part of a word too; -text:menu
                             leaves out the photos whose text holds it. Not a description:
                             a query of text: terms alone lists the photos that hold them

How the terms become one vector (``clipdesk/ops/relevance.py``): the weighted sum of the
positive terms' normalised embeddings minus the weighted sum of the negative ones, then
normalised, the way rclip combines its queries.

Where the meaning is clear, odd input is read literally: a hyphen inside a word
(``t-shirt``) and a colon between numbers (``16:9``, ``12:30``) are part of it, and a quote
left open runs to the end. Where it is not (a lone ``-``, ``dog:abc``, only terms to leave
out), :class:`QuerySyntaxError` says in one line what to write instead (quoting the text,
``"dog:abc"``, searches for it as written).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from clipdesk.errors import Fatal

# A weight: a positive number such as 2, 0.5, .5 or 1.
_NUMBER = re.compile(r"(?:\d+(?:\.\d*)?|\.\d+)")
# A word before ':' that is a weighted term only if it has a letter (16:9 is a ratio).
_HAS_LETTER = re.compile(r"[^\W\d_]")
# A words-in-the-photo term, before its quoted phrase: text:"open 24" (or -text:"...").
TEXT_PREFIX = "text:"
_TEXT_QUOTED = re.compile(r'([+-]?)text:(?=")', re.IGNORECASE)


class QuerySyntaxError(Fatal, ValueError):
    """A query that cannot be read; the message says what to write instead."""


@dataclass(frozen=True)
class Term:
    text: str
    weight: float = 1.0
    negative: bool = False
    required: bool = False

    def __str__(self) -> str:
        sign = "-" if self.negative else "+" if self.required else ""
        text = f'"{self.text}"' if " " in self.text else self.text
        return f"{sign}{text}" + (f":{self.weight:g}" if self.weight != 1.0 else "")


@dataclass(frozen=True)
class Query:
    """Parsed terms, in the order written; ``text`` is the query as the user wrote it."""

    terms: tuple[Term, ...]
    text: str = ""
    like: tuple[object, ...] = field(default=())  # example photos (path or photo id)
    words: tuple[str, ...] = ()  # text:WORDS, each to be found in the words read in a photo
    no_words: tuple[str, ...] = ()  # -text:WORDS, none of them to be found there

    @property
    def positive(self) -> tuple[Term, ...]:
        return tuple(t for t in self.terms if not t.negative)

    @property
    def negative(self) -> tuple[Term, ...]:
        return tuple(t for t in self.terms if t.negative)

    @property
    def required(self) -> tuple[Term, ...]:
        return tuple(t for t in self.terms if t.required)

    @property
    def has_text(self) -> bool:
        return bool(self.terms)

    @property
    def has_words(self) -> bool:
        """Whether the query filters by the words read in photos (text: terms)."""
        return bool(self.words or self.no_words)

    def with_like(self, *examples: object) -> Query:
        return Query(self.terms, self.text, self.like + tuple(examples), self.words, self.no_words)

    def describe(self) -> str:
        """The query as the user wrote it (with its examples), for messages."""
        parts = [self.text] if self.text else [str(t) for t in self.terms]
        parts += [f"like {x}" for x in self.like]
        return " ".join(parts)


def _tokens(text: str) -> list[tuple[str, str, bool]]:
    """(prefix, body, quoted) per whitespace-separated token; a quoted body keeps its
    spaces, and whatever follows its closing quote (``:2``) is appended to it."""
    out: list[tuple[str, str, bool]] = []
    i, n = 0, len(text)
    while i < n:
        if text[i].isspace():
            i += 1
            continue
        prefix = ""
        if text[i] in "+-" and i + 1 < n and text[i + 1] == '"':
            prefix, i = text[i], i + 1
        elif (quoted_words := _TEXT_QUOTED.match(text, i)) is not None:
            prefix, i = quoted_words.group(1) + TEXT_PREFIX, quoted_words.end()
        if text[i] == '"':
            end = text.find('"', i + 1)
            end = n if end < 0 else end  # an open quote runs to the end
            body = text[i + 1 : end]
            i = end + 1
            tail_end = i
            while tail_end < n and not text[tail_end].isspace():
                tail_end += 1
            out.append((prefix, body + "\0" + text[i:tail_end], True))
            i = tail_end
            continue
        end = i
        while end < n and not text[end].isspace():
            end += 1
        out.append(("", text[i:end], False))
        i = end
    return out


def _weight(token: str, raw: str) -> float:
    if not _NUMBER.fullmatch(raw):
        raise QuerySyntaxError(
            f"{token!r}: the weight after ':' is a number, as in dog:2 or people:0.5 "
            f'(to search for the text itself, quote it: "{token.lstrip("+-")}")'
        )
    weight = float(raw)
    if weight <= 0:
        raise QuerySyntaxError(f"{token!r}: a weight is above 0 (leave the term out instead)")
    return weight


def parse(text: str) -> Query:
    """Read a query; raises :class:`QuerySyntaxError` with a one-line message."""
    plain: list[str] = []
    terms: list[Term] = []
    plain_at: int | None = None  # where the plain words' description goes among the terms
    words: list[str] = []
    no_words: list[str] = []
    for prefix, body, quoted in _tokens(text):
        if quoted and prefix.endswith(TEXT_PREFIX):
            phrase, _, tail = body.partition("\0")
            if tail:
                raise QuerySyntaxError(f'{prefix}"{phrase}"{tail}: put a space after the quote')
            _add_words(prefix[: -len(TEXT_PREFIX)], phrase, words, no_words)
            continue
        if quoted:
            phrase, _, tail = body.partition("\0")
            phrase = " ".join(phrase.split())
            weight = 1.0
            if tail:
                if not tail.startswith(":"):
                    raise QuerySyntaxError(
                        f'{prefix}"{phrase}"{tail}: put a space after the closing quote'
                    )
                weight = _weight(f'{prefix}"{phrase}"{tail}', tail[1:])
            if not phrase:
                continue  # "" is nothing to search for
            terms.append(Term(phrase, weight, prefix == "-", prefix == "+"))
            continue
        sign = body[0] if body[0] in "+-" else ""
        word = body[1:] if sign else body
        if word[: len(TEXT_PREFIX)].lower() == TEXT_PREFIX:
            _add_words(sign, word[len(TEXT_PREFIX) :], words, no_words)
            continue
        if sign and not word:
            raise QuerySyntaxError(
                f"a lone {sign!r}: write it against the word it "
                + ("leaves out, as in beach -people" if sign == "-" else "adds, as in +sunset")
            )
        if sign and word[0] in "+-":
            raise QuerySyntaxError(f"{body!r}: one sign per term, as in -people or +sunset")
        weight, weighted = 1.0, False
        head, colon, raw = word.rpartition(":")
        if colon and head and _HAS_LETTER.search(head):
            weight, weighted, word = _weight(body, raw), True, head
        if not sign and not weighted:
            if plain_at is None:
                plain_at = len(terms)
            plain.append(word)
            continue
        terms.append(Term(word, weight, sign == "-", sign == "+"))
    if plain:
        terms.insert(plain_at or 0, Term(" ".join(plain)))
    if not terms and not words and not no_words:
        raise QuerySyntaxError("nothing to search for: describe what to find, as in red car")
    return Query(tuple(terms), text.strip(), words=tuple(words), no_words=tuple(no_words))


def _add_words(sign: str, phrase: str, words: list[str], no_words: list[str]) -> None:
    """A text: term's words, to find (or with ``-``, to leave out)."""
    phrase = " ".join(phrase.split())
    if not phrase:
        raise QuerySyntaxError(
            'text: needs the words to find in photos, as in text:menu or text:"open 24"'
        )
    (no_words if sign == "-" else words).append(phrase)


def require_something_to_find(query: Query) -> None:
    """A query that only leaves things out has nothing to rank by."""
    if not query.positive and not query.like and not query.words:
        left_out = " ".join(
            [str(t) for t in query.negative] + [f'-text:"{w}"' for w in query.no_words]
        )
        raise QuerySyntaxError(
            f"only terms to leave out ({left_out}): say what to find too, as in beach -people"
        )
