"""The Duplicates page's behaviour: find groups on the worker, show one kind or all, keep one,
reject or tag the rest.

Rejecting sets a flag in the catalog, which `clipdesk export` (and the Export dialog) writes to
each rejected photo's XMP sidecar as the reject rating, xmp:Rating -1; no photo file is deleted
or changed."""

from __future__ import annotations

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import QInputDialog

from clipdesk.gui.adapters.worker_bridge import WorkerBridge
from clipdesk.gui.controllers.shortcuts import add_shortcut
from clipdesk.gui.views.duplicates_page import DuplicatesPage
from clipdesk.ops import duplicates as dup_ops
from clipdesk.ops import tags as tag_ops
from clipdesk.search.duplicates import Group, count_kinds, restrict
from clipdesk.wording import plural


class DuplicatesController(QObject):
    message = Signal(str)

    def __init__(self, page: DuplicatesPage, bridge: WorkerBridge, thumb_path):
        super().__init__(page)
        self.page, self.bridge, self.thumb_path = page, bridge, thumb_path
        self.found: list[Group] = []  # every group, each member's kind against its keeper
        self.groups: list[Group] = []  # those shown: the kinds chosen, the page's rows
        self._whole: list[Group] = []  # the found group of each shown one
        self.rejected: set[int] = set()
        self._last_rejected: list[int] = []
        self._last_row = 0
        self._busy = False
        self._searched = False  # the kinds' combo box waits for the first search
        page.find_button.clicked.connect(self.find)
        page.groups.currentRowChanged.connect(self._show)
        page.kinds.currentIndexChanged.connect(self._filter)
        page.keep_button.clicked.connect(self.keep_selected)
        page.reject_button.clicked.connect(self.reject_others)
        page.tag_button.clicked.connect(self.tag_others)
        page.skip_button.clicked.connect(self.next_group)
        page.undo_button.clicked.connect(self.undo)
        for key, slot in (
            ("K", self.keep_selected),
            ("R", self.reject_others),
            ("S", self.next_group),
        ):
            add_shortcut(page, [key], slot)

    # finding
    def find(self) -> None:
        if self._busy:
            return
        self._busy = True
        within = float(self.page.seconds.value()) if self.page.bursts.isChecked() else None
        self.page.summary.setText("Comparing every photo with the others…")
        self.page.find_button.setEnabled(False)

        def job(lib):
            groups = dup_ops.duplicate_groups(lib, within=within)
            ids = [m.photo_id for g in groups for m in g.members]
            return groups, dup_ops.reject_flagged(lib, ids)

        if self.bridge.submit(job, done=self._found, failed=self._failed) is None:
            self._failed(RuntimeError("the background worker is not running"))

    def _failed(self, exc: BaseException) -> None:
        self._busy = False
        self.page.find_button.setEnabled(True)
        self.page.summary.setText(f"Cannot look for duplicates: {exc}")

    def _found(self, result) -> None:
        self._busy = False
        self.page.find_button.setEnabled(True)
        self.found, self.rejected = result
        self._searched = True
        self._filter()

    def _filter(self, _index: int = -1) -> None:
        """Show the groups with members of the kinds chosen (only those members)."""
        if self._busy or not self._searched:
            return
        kinds = self.page.chosen_kinds()
        pairs = [(g, shown) for g in self.found for shown in restrict([g], kinds)]
        self._whole, self.groups = [g for g, _ in pairs], [s for _, s in pairs]
        self.page.summary.setText(self._summary())
        self.page.show_groups(self.groups, self.rejected)
        if self.groups:
            self.page.groups.setCurrentRow(0)
        else:
            self._show()

    def _summary(self) -> str:
        if not self.found:
            return "No near-duplicates found."
        if not self.groups:
            kind = self.page.kinds.currentText().lower()
            return f"No group has {kind} ({plural(len(self.found), 'group')} of other kinds)."
        photos = sum(len(g.members) for g in self.groups)
        of = f" of {len(self.found):,}" if len(self.groups) < len(self.found) else ""
        keepers = "the keeper" if len(self.groups) == 1 else "the keepers"
        others = count_kinds(m for g in self.groups for m in g.members)
        return (
            f"{plural(len(self.groups), 'group')}{of}, {plural(photos, 'photo')} (besides "
            f"{keepers}: {others}). The keeper (★) has the most pixels, then the largest "
            "file; choose another with K."
        )

    # one group
    def current(self) -> Group | None:
        row = self.page.groups.currentRow()
        return self.groups[row] if 0 <= row < len(self.groups) else None

    def _show(self, _row: int = -1) -> None:
        self.page.show_group(self.current(), self.rejected, self.thumb_path)

    def _selected_id(self) -> int | None:
        item = self.page.photos.currentItem()
        return None if item is None else item.data(Qt.ItemDataRole.UserRole)

    def keep_selected(self) -> None:
        """Make the selected photo the group's keeper (first, starred); the others' kinds
        are then taken against it."""
        group, chosen = self.current(), self._selected_id()
        if group is None or chosen is None:
            return
        row = self.page.groups.currentRow()
        whole = self._whole[row]
        whole.set_keeper(chosen)
        # What was of a kind to the old keeper, the old keeper is to it: never empty.
        self.groups[row] = (restrict([whole], self.page.chosen_kinds()) or [whole])[0]
        self.page.summary.setText(self._summary())
        self.page.mark_groups(self.groups, self.rejected)
        self._show()

    def reject_others(self) -> None:
        group = self.current()
        if group is None:
            return
        keeper, others = group.keeper.photo_id, [m.photo_id for m in group.members[1:]]
        self.rejected.discard(keeper)
        self.rejected.update(others)
        self._last_rejected, self._last_row = others, self.page.groups.currentRow()
        self.bridge.submit(
            lambda lib: dup_ops.keep_one(lib, keeper, others),
            done=lambda n: self.message.emit(
                f"Rejected {count_kinds(group.members[1:])}; "
                f"kept {group.keeper.path.rsplit('/', 1)[-1]}"
            ),
        )
        self.page.mark_groups(self.groups, self.rejected)
        self.next_group()

    def undo(self) -> None:
        """Ctrl+Z and "Undo rejects": the last step taken, as everywhere in the window (most
        often the rejects just made here, all of one R in one step); the page then shows the
        rejects as the catalog has them, back on the group undone."""
        from clipdesk.ops import tags as tag_ops

        ids = [m.photo_id for g in self.groups for m in g.members]
        row = self._last_row

        def undo(lib):
            return tag_ops.undo(lib), dup_ops.reject_flagged(lib, ids)

        def done(result) -> None:
            report, rejected = result
            self.rejected = set(rejected)
            self.page.mark_groups(self.groups, self.rejected)
            if self._last_rejected and 0 <= row < self.page.groups.count():
                self.page.groups.setCurrentRow(row)  # back to the group undone
            self._last_rejected = []
            self._show()
            text = report.describe()
            self.message.emit(text[:1].upper() + text[1:])

        self.bridge.submit(undo, done=done)

    def tag_others(self) -> None:
        group = self.current()
        if group is None:
            return
        name, ok = QInputDialog.getText(
            self.page, "Tag the others", "Tag for every photo but the keeper (e.g. copy):"
        )
        name = name.strip()
        if not ok or not name:
            return
        others = [m.photo_id for m in group.members[1:]]
        self.bridge.submit(
            lambda lib: tag_ops.add_tag(lib, others, name),
            done=lambda _: self.message.emit(f"Tagged {plural(len(others), 'photo')} {name}"),
            failed=lambda exc: self.message.emit(f"Cannot tag: {exc}"),
        )

    def next_group(self) -> None:
        row = self.page.groups.currentRow()
        if row + 1 < self.page.groups.count():
            self.page.groups.setCurrentRow(row + 1)
        else:
            self._show()
