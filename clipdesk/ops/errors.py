"""The one error an action raises for a reason the user can fix (shown as one line)."""

from clipdesk.errors import Fatal


class OpError(Fatal):
    """An action cannot be done as asked; the message says why and what to do."""
