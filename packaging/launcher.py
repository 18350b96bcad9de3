"""Entry point of the PyInstaller bundle: the same ``clipdesk`` command as the wheel installs."""

import multiprocessing

from clipdesk.cli import entry

if __name__ == "__main__":
    multiprocessing.freeze_support()
    entry()
