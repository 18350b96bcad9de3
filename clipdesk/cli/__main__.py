"""``python -m clipdesk.cli``: the same as the ``clipdesk`` command."""

from clipdesk.cli import entry

entry()
