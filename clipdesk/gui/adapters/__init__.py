"""The core, adapted to Qt: the worker as signals, catalog reads off the GUI thread,
thumbnails, the grid's item model, and what one run of the window shares."""
