"""Entry point of the PyInstaller bundle: the same ``clipdesk`` command as the wheel installs."""

import multiprocessing
import sys

from clipdesk.cli import main

if __name__ == "__main__":
    multiprocessing.freeze_support()
    sys.exit(main())
