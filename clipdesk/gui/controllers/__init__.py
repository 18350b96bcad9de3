"""What the window does: each controller reacts to its view's signals and to the worker's
events, reads through :mod:`clipdesk.gui.adapters.reader` and writes through
:mod:`clipdesk.gui.adapters.worker_bridge`."""
