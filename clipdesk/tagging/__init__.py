"""Tagging: vocabularies, zero-shot scoring, corrections, the learned head, review. No Qt."""
