"""The one error a model that cannot be had raises, below every embedding module (so that
none of them imports another only for it)."""


class ModelUnavailable(RuntimeError):
    """The model cannot be loaded; the message tells the user what to do."""
