"""Errors the command line reports as one line and a non-zero exit status."""


class Fatal(Exception):
    """A problem that ends the command with a one-line message and a non-zero status."""


class ModelNeeded(Fatal):
    """This run may not load the model (a command that works from the catalog alone), and
    what was asked needs it: the caller leaves that work to the next run that has it."""
