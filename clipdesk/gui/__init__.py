"""The desktop application (PySide6). The only package that imports Qt.

Widgets read the catalog on their own read-only connection (:mod:`.reader`) and send every
write through the background worker (:mod:`.worker_bridge`): one writer, many readers.
"""
