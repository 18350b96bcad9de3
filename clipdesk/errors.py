"""Errors the command line reports as one line and a non-zero exit status."""


class Fatal(Exception):
    """A problem that ends the command with a one-line message and a non-zero status."""
