"""The Duplicates page: groups of near-duplicate photos side by side, to keep one of each.

Left, the groups, each with its kind; right, the chosen group's photos with their kind
(exact copy, same picture, similar shot), size, date and sharpness, the keeper first and
starred. A combo box shows one kind only.
:class:`clipdesk.gui.controllers.duplicates_controller.DuplicatesController` drives it.
"""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QIcon, QPixmap
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QListView,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QSpinBox,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from clipdesk.gui.adapters.thumbnails import read_image
from clipdesk.pathnames import shown
from clipdesk.search.duplicates import Group, Kind, Member, count_kinds
from clipdesk.wording import plural

THUMB = 220


def _sharpness(value: float | None) -> str:
    if value is None:
        return "?"
    return f"{value:.0f}" if value >= 10 else f"{value:.2g}"


def describe(m: Member, keeper: bool, rejected: bool) -> str:
    size = f"{m.width}×{m.height}" if m.width and m.height else "size unknown"
    weight = f"{m.size / 1e6:.1f} MB" if m.size >= 1e6 else f"{m.size / 1e3:.0f} KB"
    kind = "?" if m.kind is None else m.kind.label
    lines = [
        "★ keeper" if keeper else f"{'rejected ' if rejected else ''}{kind} · {m.score:.3f}",
        f"{size} · {weight}",
        (m.taken_at or "no date")[:19].replace("T", " "),
        "sharpness " + _sharpness(m.sharpness),
        shown(m.path).rsplit("/", 1)[-1],
    ]
    return "\n".join(lines)


class DuplicatesPage(QWidget):
    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setAccessibleName("Duplicates")
        self.find_button = QPushButton("Find duplicates", self)
        self.bursts = QCheckBox("Bursts only: taken within", self)
        self.seconds = QSpinBox(self)
        self.seconds.setRange(1, 3600)
        self.seconds.setValue(10)
        self.seconds.setSuffix(" s")
        self.kinds = QComboBox(self)
        self.kinds.setAccessibleName("Show")
        self.kinds.setToolTip(
            "Exact copies: the same file's bytes. Same picture: another file of it "
            "(recompressed, resized, another format). Similar shots: bursts, a moved "
            "subject, edits and crops: photos to choose between, not copies."
        )
        self.kinds.addItem("All kinds", None)
        for kind in Kind:
            self.kinds.addItem(kind.group_label.capitalize(), kind)
        self.summary = QLabel(
            "Find photos that are copies of one another: resized, "
            "recompressed, lightly cropped, or shot in a burst.",
            self,
        )
        self.summary.setWordWrap(True)
        top = QHBoxLayout()
        top.addWidget(self.find_button)
        top.addWidget(self.bursts)
        top.addWidget(self.seconds)
        top.addWidget(self.kinds)
        top.addWidget(self.summary, 1)

        self.groups = QListWidget(self)
        self.groups.setAccessibleName("Groups")
        self.groups.setMinimumWidth(180)
        self.photos = QListWidget(self)
        self.photos.setAccessibleName("Photos in the group")
        self.photos.setViewMode(QListView.ViewMode.IconMode)
        self.photos.setIconSize(QSize(THUMB, THUMB))
        self.photos.setResizeMode(QListView.ResizeMode.Adjust)
        self.photos.setMovement(QListView.Movement.Static)
        self.photos.setWordWrap(True)
        self.photos.setSpacing(8)
        self.photos.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.keep_button = QPushButton("Keep this one (K)", self)
        self.reject_button = QPushButton("Reject the others (R)", self)
        self.tag_button = QPushButton("Tag the others…", self)
        self.skip_button = QPushButton("Next group (S)", self)
        self.undo_button = QPushButton("Undo rejects", self)
        self.reject_button.setToolTip(
            "Flag every photo but the keeper as rejected. Nothing is deleted: the flag is "
            "kept in ClipDesk's catalog, and Export writes it to each photo's XMP sidecar as "
            "the reject rating (-1, as darktable and Bridge read it); the photo files stay as "
            "they are."
        )
        buttons = QHBoxLayout()
        for b in (
            self.keep_button,
            self.reject_button,
            self.tag_button,
            self.undo_button,
            self.skip_button,
        ):
            buttons.addWidget(b)
        buttons.addStretch(1)
        right = QWidget(self)
        column = QVBoxLayout(right)
        column.setContentsMargins(0, 0, 0, 0)
        column.addWidget(self.photos, 1)
        column.addLayout(buttons)
        split = QSplitter(Qt.Orientation.Horizontal, self)
        split.addWidget(self.groups)
        split.addWidget(right)
        split.setStretchFactor(1, 1)
        split.setSizes([220, 900])
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(split, 1)
        self.set_actions_enabled(False)

    def set_actions_enabled(self, on: bool) -> None:
        for b in (
            self.keep_button,
            self.reject_button,
            self.tag_button,
            self.skip_button,
            self.undo_button,
        ):
            b.setEnabled(on)

    def chosen_kinds(self) -> set[Kind]:
        """The kinds the combo box shows; empty for all."""
        kind = self.kinds.currentData()
        return set() if kind is None else {kind}

    def show_groups(self, groups: list[Group], rejected: set[int]) -> None:
        self.groups.clear()
        for _ in groups:
            QListWidgetItem(self.groups)
        self.mark_groups(groups, rejected)
        self.set_actions_enabled(bool(groups))

    def mark_groups(self, groups: list[Group], rejected: set[int]) -> None:
        """Each group's line with its kind, ticked once every photo but its keeper is
        rejected."""
        for n, g in enumerate(groups):
            done = all(m.photo_id in rejected for m in g.members[1:])
            item = self.groups.item(n)
            item.setText(
                f"{'✓ ' if done else ''}Group {n + 1}: {plural(len(g.members), 'photo')}, "
                f"{g.kind.group_label}"
            )
            item.setToolTip(f"{shown(g.keeper.path)}\nbesides it: {count_kinds(g.members)}")

    def show_group(self, group: Group | None, rejected: set[int], thumb_path) -> None:
        self.photos.clear()
        if group is None:
            return
        for i, m in enumerate(group.members):
            item = QListWidgetItem(describe(m, i == 0, m.photo_id in rejected), self.photos)
            image = read_image(str(thumb_path(m.hash)), QSize(THUMB, THUMB))
            if not image.isNull():
                pixmap = QPixmap.fromImage(image)
                icon = QIcon(pixmap)
                # The same pixmap when selected: the style's selected look tints it with
                # the highlight colour, and the keeper then looks like another photo.
                icon.addPixmap(pixmap, QIcon.Mode.Selected)
                item.setIcon(icon)
            item.setToolTip(shown(m.path))
            item.setData(Qt.ItemDataRole.UserRole, m.photo_id)
            if m.photo_id in rejected:
                item.setForeground(Qt.GlobalColor.darkGray)
        self.photos.setCurrentRow(0)
