"""``python -m clipdesk.cli``: the same as the ``clipdesk`` command."""

import sys

from clipdesk.cli import main

sys.exit(main())
