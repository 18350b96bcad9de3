"""Argument types shared by the commands: bad input is a usage error (exit 2) with one line,
never an empty answer, everything at once, or a traceback."""

from __future__ import annotations

import argparse


def positive_int(text: str) -> int:
    """A count such as ``--limit``: a whole number, at least 1."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, not {value}")
    return value


def text(value: str) -> str:
    """Text that means something: not empty, not only spaces, and valid Unicode (a shell can
    pass bytes that are not, which no catalog text can hold)."""
    if not value.strip():
        raise argparse.ArgumentTypeError("must not be empty")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise argparse.ArgumentTypeError(f"not valid UTF-8 text: {value!r}") from None
    return value
