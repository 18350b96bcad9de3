"""After the model changes (Settings, the banner's "Use the test model"), offer the new
model's own vocabulary when the catalog's does not suit it: a message that stays, with
**Use its vocabulary** (one click: replaced and re-scored on the worker) and **Keep mine**.
The check and the switch are :mod:`clipdesk.ops.model_vocabulary`, run by the worker."""

from __future__ import annotations

import logging

from PySide6.QtCore import QObject, Signal

from clipdesk.gui.adapters.reader import CatalogReader
from clipdesk.gui.adapters.worker_bridge import WorkerBridge
from clipdesk.gui.views.banner import Banner
from clipdesk.ops import model_vocabulary

log = logging.getLogger(__name__)
KEY = "vocabulary"  # the banner's key for the offer


class VocabularyOffer(QObject):
    message = Signal(str)  # what was done, for the status bar
    vocabulary_changed = Signal()

    def __init__(
        self,
        banner: Banner,
        bridge: WorkerBridge,
        reader: CatalogReader,
        model: str,
        parent: QObject,
    ):
        super().__init__(parent)
        self.banner, self.bridge, self.reader = banner, bridge, reader
        self.model = model  # the model in use: a switch to another one is checked
        self._token = 0  # the newest check: an older one's answer is for another model

    def model_switched(self, model: str) -> None:
        """The worker now runs ``model``: check once per switch (not on a backend change,
        so that "Keep mine" is not asked again)."""
        if model != self.model:
            self.model = model
            self.check()

    def check(self) -> None:
        """Ask the worker (running the model now in use) whether the vocabulary suits it."""
        self.banner.clear(KEY)
        self._token += 1
        token = self._token
        self.bridge.submit(
            model_vocabulary.vocabulary_fit,
            done=lambda fit: self._checked(token, fit),
            failed=lambda exc: log.info("vocabulary check failed: %s", exc),
        )

    def _checked(self, token: int, fit: model_vocabulary.VocabularyFit) -> None:
        if token != self._token or fit.suits:
            return
        self.banner.show_message(
            KEY,
            fit.message,
            [("Use its vocabulary", lambda: self.use(fit.model)), ("Keep mine", lambda: None)],
        )

    def use(self, model: str) -> None:
        """Switch to ``model``'s own vocabulary (the banner clears itself on the click)."""
        self.bridge.submit(
            lambda lib: model_vocabulary.use_model_vocabulary(lib, model),
            done=self._used,
            failed=lambda exc: self.banner.show_message(
                KEY, f"The vocabulary was not changed: {exc}"
            ),
        )

    def _used(self, switch: model_vocabulary.VocabularySwitch) -> None:
        text = switch.summary()
        self.message.emit(text[:1].upper() + text[1:])
        self.reader.notify_changed(now=True)
        self.vocabulary_changed.emit()
