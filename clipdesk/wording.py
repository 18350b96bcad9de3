"""Counts in words, for every message the user reads."""


def plural(n: int, word: str, words: str | None = None) -> str:
    """ "1 photo", "2 photos", "1,234 photos" (``words``: an irregular plural)."""
    return f"{n:,} {word if n == 1 else (words or word + 's')}"
