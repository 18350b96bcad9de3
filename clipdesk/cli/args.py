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


def number(low: float | None = None, high: float | None = None, *, above: bool = False):
    """An argument type for a number from ``low`` (excluded when ``above``) to ``high``."""

    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
        if value != value:  # NaN
            raise argparse.ArgumentTypeError("not a number: nan")
        if low is not None and (value <= low if above else value < low):
            bound = "above" if above else "at least"
            raise argparse.ArgumentTypeError(f"must be {bound} {low:g}, not {value:g}")
        if high is not None and value > high:
            raise argparse.ArgumentTypeError(f"must be at most {high:g}, not {value:g}")
        return value

    return parse


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
