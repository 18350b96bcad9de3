"""``python -m clipdesk``: the same as the ``clipdesk`` command."""

from clipdesk.cli import entry

entry()
