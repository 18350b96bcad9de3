"""Every user action, written once. The terminal commands (``clipdesk.cli``) and the
window's controllers (through the worker, ``clipdesk.gui``) call these; neither holds SQL
or the rules of an action. Each function takes the opened
:class:`~clipdesk.pipeline.library.Library`
first and runs in the thread that owns its catalog connection (the one writer).

- :mod:`~clipdesk.ops.tags`: confirm, reject, add, undo; a photo's tags
- :mod:`~clipdesk.ops.learning`: learn from corrections, retrain, review queue, report
- :mod:`~clipdesk.ops.vocabulary`: edit, create, delete, import, export and check tags
- :mod:`~clipdesk.ops.model_vocabulary`: whether the vocabulary suits the model; its own
- :mod:`~clipdesk.ops.folders`: add and remove photo folders
- :mod:`~clipdesk.ops.forgetting`: forget photos whose files are gone (and their folders)
- :mod:`~clipdesk.ops.sidecars`: export tags to XMP sidecars, import their keywords
- :mod:`~clipdesk.ops.search`: text, example and prompt search within a filter
- :mod:`~clipdesk.ops.repair`: back up and rebuild a damaged catalog
- :mod:`~clipdesk.ops.status`: the library and how its folders are watched
"""

from clipdesk.ops.errors import OpError

__all__ = ["OpError"]
