"""The vocabulary editor's behaviour: pick a tag, edit it, see its best matches live, save.

Typing in the prompts waits 300 ms for a pause, then the worker encodes the prompts and
ranks the library; only the newest request's result is shown.
"""

from __future__ import annotations

import logging

import numpy as np
from PySide6.QtCore import QObject, Qt, QTimer, Signal
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import QFileDialog, QInputDialog, QMessageBox, QTreeWidgetItem

from clipdesk.gui.adapters.reader import CatalogReader
from clipdesk.gui.adapters.worker_bridge import WorkerBridge
from clipdesk.gui.controllers.shortcuts import add_shortcut
from clipdesk.gui.views.tag_text import tag_text
from clipdesk.gui.views.vocab_editor import VocabEditor
from clipdesk.ops import search as search_ops
from clipdesk.ops import vocabulary as vocab_ops
from clipdesk.search.index import SearchCache
from clipdesk.tagging import tagpath
from clipdesk.tagging.store import TagRow, TagStore
from clipdesk.tagging.vocabulary import default_prompts
from clipdesk.wording import plural

log = logging.getLogger(__name__)
ID = Qt.ItemDataRole.UserRole
DEBOUNCE_MS = 300
STRIP_LIMIT = 12


class VocabController(QObject):
    message = Signal(str)

    def __init__(
        self,
        view: VocabEditor,
        reader: CatalogReader,
        bridge: WorkerBridge,
        cache: SearchCache,
    ):
        super().__init__(view)
        self.view, self.reader, self.bridge, self.cache = view, reader, bridge, cache
        self.tags: dict[int, TagRow] = {}
        self.checks: dict[int, vocab_ops.TagCheck] = {}
        self.current: TagRow | None = None
        self._loading_form = False
        self._strip_token = 0
        self._debounce = QTimer(self, singleShot=True, interval=DEBOUNCE_MS)
        self._debounce.timeout.connect(self.update_strip)
        v = view
        v.tree.currentItemChanged.connect(self._selected)
        v.prompts.textChanged.connect(self._edited)
        v.name.textChanged.connect(self._edited)
        v.threshold.valueChanged.connect(self._edited)
        v.enabled.toggled.connect(self._edited)
        v.save_button.clicked.connect(self.save)
        v.revert_button.clicked.connect(self.revert)
        v.new_button.clicked.connect(self.new_tag)
        v.delete_button.clicked.connect(self.delete_tag)
        v.import_button.clicked.connect(self.import_file)
        v.export_button.clicked.connect(self.export_file)
        add_shortcut(view, [QKeySequence.StandardKey.Save], self.save, "Save tag")
        self._set_form_enabled(False)

    # -- the tree ------------------------------------------------------------------------

    def load(self) -> None:
        """(Re)read the vocabulary; the tag being edited stays selected."""
        catalog = self.reader.catalog()
        if catalog is None:
            return
        rows = TagStore(catalog).all()
        self.tags = {t.id: t for t in rows}
        tree = self.view.tree
        keep = self.current.id if self.current else None
        expanded = {it.data(0, ID) for it in self._items() if it.isExpanded()}
        tree.blockSignals(True)
        tree.clear()
        items: dict[int, QTreeWidgetItem] = {}
        for t in rows:  # sorted by path: parents come first
            item = QTreeWidgetItem([t.name, "✓" if t.enabled else "", f"{t.threshold:.2f}"])
            item.setData(0, ID, t.id)
            item.setToolTip(0, tag_text(t.path))
            parent = items.get(t.parent_id) if t.parent_id else None
            (parent.addChild if parent else tree.addTopLevelItem)(item)
            items[t.id] = item
        for tag_id, item in items.items():
            item.setExpanded(tag_id in expanded)
        if keep in items:
            tree.setCurrentItem(items[keep])
        tree.blockSignals(False)
        if keep in items and not self.is_dirty():
            self._fill(self.tags[keep])
        self._show_checks()
        self.check()

    # -- whether the model sees each tag (ops.vocabulary.check_vocabulary) ---------------

    def check(self) -> None:
        """Judge every tag on the worker (it may encode new prompts), then show it."""

        def checked(checks: list[vocab_ops.TagCheck]) -> None:
            self.checks = {c.tag_id: c for c in checks}
            self._show_checks()

        def failed(exc: BaseException) -> None:  # the rates stay blank; the tags still work
            log.warning("could not check the vocabulary: %s", exc)

        self.bridge.submit(vocab_ops.check_vocabulary, done=checked, failed=failed)

    def _show_checks(self) -> None:
        for item in self._items():
            c = self.checks.get(item.data(0, ID))
            if c is None or not c.enabled or not c.photos:
                item.setText(3, "")
                item.setToolTip(3, "")
            elif c.seen:
                item.setText(3, f"{c.rate:.0%}")
                item.setToolTip(3, f"suggested on {c.suggested:,} of {c.photos:,} photos")
            else:
                item.setText(3, "⚠ 0%" if c.seen is False else "…")
                item.setToolTip(3, c.problem())
        self._show_check(self.current)

    def _show_check(self, tag: TagRow | None) -> None:
        c = self.checks.get(tag.id) if tag is not None else None
        label = self.view.evidence_label
        if c is None or not c.enabled or not c.photos:
            label.setText("")
        elif c.seen:
            label.setStyleSheet("color:#616161;")
            label.setText(f"Suggested on {c.suggested:,} of {c.photos:,} photos ({c.rate:.0%})")
        else:
            label.setStyleSheet("color:#b45309;")
            label.setText(f"Not suggested: {c.problem()}")

    def _items(self):
        tree = self.view.tree
        stack = [tree.topLevelItem(i) for i in range(tree.topLevelItemCount())]
        while stack:
            item = stack.pop()
            yield item
            stack.extend(item.child(i) for i in range(item.childCount()))

    def select(self, path: str) -> bool:
        """Select the tag at ``path`` in the tree (for tests and "edit this tag" links)."""
        for item in self._items():
            tag = self.tags.get(item.data(0, ID))
            if tag is not None and tag.path == path:
                self.view.tree.setCurrentItem(item)
                return True
        return False

    def _selected(self, item: QTreeWidgetItem | None, previous: QTreeWidgetItem | None) -> None:
        if self.is_dirty() and not self._may_leave():
            self.view.tree.blockSignals(True)
            self.view.tree.setCurrentItem(previous)
            self.view.tree.blockSignals(False)
            return
        tag = self.tags.get(item.data(0, ID)) if item is not None else None
        self._fill(tag)

    def _may_leave(self) -> bool:
        answer = QMessageBox.question(
            self.view,
            "Unsaved changes",
            f"Save the changes to “{tag_text(self.current.path)}”?",
            QMessageBox.StandardButton.Save
            | QMessageBox.StandardButton.Discard
            | QMessageBox.StandardButton.Cancel,
        )
        if answer == QMessageBox.StandardButton.Save:
            self.save()
        return answer != QMessageBox.StandardButton.Cancel

    # -- the form ------------------------------------------------------------------------

    def _fill(self, tag: TagRow | None) -> None:
        self.current = tag
        v = self.view
        self._loading_form = True
        v.name.setText(tag.path if tag else "")
        v.prompts.setPlainText("\n".join(tag.prompts) if tag else "")
        v.threshold.setValue(tag.threshold if tag else 0.5)
        v.enabled.setChecked(tag.enabled if tag else True)
        self._loading_form = False
        self._set_form_enabled(tag is not None)
        v.state_label.setText("")
        v.form_box.setTitle(f"Tag: {tag_text(tag.path)}" if tag else "Tag")
        self._show_check(tag)
        self.update_strip()

    def _set_form_enabled(self, on: bool) -> None:
        v = self.view
        for w in (
            v.name,
            v.prompts,
            v.threshold,
            v.enabled,
            v.save_button,
            v.revert_button,
            v.delete_button,
        ):
            w.setEnabled(on)

    def form_prompts(self) -> list[str]:
        return [p.strip() for p in self.view.prompts.toPlainText().splitlines() if p.strip()]

    def is_dirty(self) -> bool:
        t, v = self.current, self.view
        if t is None:
            return False
        return (
            v.name.text().strip() != t.path
            or self.form_prompts() != list(t.prompts)
            or abs(v.threshold.value() - t.threshold) > 1e-6
            or v.enabled.isChecked() != t.enabled
        )

    def _edited(self, *args) -> None:
        if self._loading_form:
            return
        self.view.state_label.setText("Unsaved changes" if self.is_dirty() else "")
        self._debounce.start()

    def update_strip(self) -> None:
        """Rank the library by the prompts in the form (or the name's default prompts)."""
        self._debounce.stop()
        self._strip_token += 1
        token = self._strip_token
        strip = self.view.strip.strip_model()
        if self.current is None:
            strip.set_photos(np.zeros(0, np.int64))
            return
        name = tagpath.leaf(self.view.name.text().strip()) or self.current.name
        prompts = self.form_prompts() or default_prompts(name)
        cache = self.cache
        self.bridge.submit(
            lambda lib: search_ops.rank_prompts(lib, cache, prompts, STRIP_LIMIT),
            done=lambda hits: self._strip(token, hits),
            failed=lambda exc: self.view.strip_label.setText(f"No live matches: {exc}"),
        )

    def _strip(self, token: int, hits: list[tuple[int, float]]) -> None:
        if token != self._strip_token:
            return
        self.view.strip.strip_model().set_photos(
            np.array([h[0] for h in hits], np.int64), np.array([h[1] for h in hits], np.float32)
        )
        self.view.strip.scrollToTop()

    def save(self) -> None:
        t, v = self.current, self.view
        if t is None or not self.is_dirty():
            return
        path, prompts = v.name.text().strip(), self.form_prompts()
        threshold, enabled = v.threshold.value(), v.enabled.isChecked()
        v.state_label.setText("Saving…")

        def saved(_):
            self.message.emit(f"Saved “{tag_text(path)}”")
            self.reader.notify_changed(now=True)
            self.current = None  # re-read from the catalog
            self.load()
            self.select(path)
            v.state_label.setText("Saved: suggestions updated")

        self.bridge.submit(
            lambda lib: vocab_ops.save_tag(lib, t.id, path, prompts, threshold, enabled),
            done=saved,
            failed=lambda exc: v.state_label.setText(f"Not saved: {exc}"),
        )

    def revert(self) -> None:
        self._fill(self.current)

    def new_tag(self) -> None:
        parent = self.current.path + tagpath.SEPARATOR if self.current else ""
        path, ok = QInputDialog.getText(
            self.view, "New tag", f"Name (use {tagpath.SEPARATOR} for levels):", text=parent
        )
        path = tagpath.clean(path)
        if ok and path:
            self.bridge.submit(
                lambda lib: vocab_ops.create_tag(lib, path), done=lambda _: self._created(path)
            )

    def _created(self, path: str) -> None:
        self.reader.notify_changed(now=True)
        self.load()
        self.select(path)

    def delete_tag(self) -> None:
        t = self.current
        if t is None:
            return
        answer = QMessageBox.question(
            self.view,
            "Delete tag",
            f"Delete “{tag_text(t.path)}” and every tag below it? Their suggestions and your "
            "decisions on them are deleted too. Sidecars already written keep their keywords.",
        )
        if answer == QMessageBox.StandardButton.Yes:
            self.current = None
            self.bridge.submit(
                lambda lib: vocab_ops.delete_tag(lib, t.id), done=lambda _: self._created("")
            )

    def import_file(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self.view, "Import a vocabulary", "", "Vocabularies (*.yaml *.yml *.json)"
        )
        if path:
            self.bridge.submit(
                lambda lib: vocab_ops.import_vocabulary(lib, path),
                done=lambda r: self._imported(*r),
                failed=lambda exc: QMessageBox.warning(self.view, "Not imported", str(exc)),
            )

    def _imported(self, added: int, updated: int) -> None:
        self.message.emit(f"Vocabulary imported: {plural(added, 'tag')} added, {updated:,} updated")
        self.reader.notify_changed(now=True)
        self.load()

    def export_file(self) -> None:
        path, _ = QFileDialog.getSaveFileName(
            self.view,
            "Export the vocabulary",
            "vocabulary.yaml",
            "YAML (*.yaml *.yml);;JSON (*.json)",
        )
        if path:
            self.bridge.submit(
                lambda lib: vocab_ops.export_vocabulary(lib, path),
                done=lambda n: self.message.emit(f"Wrote {n} tags to {path}"),
            )

    def shutdown(self) -> None:
        self._debounce.stop()
