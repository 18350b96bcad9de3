"""ClipDesk: local photo tagging with CLIP."""

__version__ = "0.1.0"
