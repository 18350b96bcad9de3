"""The desktop application (PySide6). The only package that imports Qt.

``views/`` draw (pages, panels, dialogs, widgets: layout only), ``controllers/`` act (user
actions and the worker's events, calling ``ops`` through the worker), ``adapters/`` carry the
core into Qt. Widgets read the catalog on their own read-only connection
(:mod:`.adapters.reader`) and send every write through the background worker
(:mod:`.adapters.worker_bridge`): one writer, many readers. ``app`` starts the window,
``main_window`` composes the pages and routes the worker's events.
"""
