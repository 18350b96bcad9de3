"""Vocabulary files made for a test."""

from __future__ import annotations


def deep_block_yaml(depth: int) -> str:
    """A block-style YAML vocabulary whose tags nest ``depth`` levels deep."""
    return "tags:\n" + "".join(
        f"{'  ' * i}- name: t{i}\n{'  ' * i}  children:\n" for i in range(depth)
    )
