"""The large preview with its faces: a box around each, with the person's name (or "?"), a
menu on each box (confirm, not this person, name), and boxes drawn by hand for a face the
detector missed (in draw mode, or with Shift held)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum, auto

from PySide6.QtCore import QPoint, QPointF, QRectF, Qt, Signal
from PySide6.QtGui import (
    QColor,
    QContextMenuEvent,
    QFontMetrics,
    QHelpEvent,
    QMouseEvent,
    QPainter,
    QPaintEvent,
    QPen,
)
from PySide6.QtWidgets import QMenu, QStyle, QToolTip, QWidget

from clipdesk.gui.views.preview import Preview

MIN_DRAWN = 8  # px on screen: a smaller drag is a click, not a face


class FaceAction(Enum):
    CONFIRM = auto()  # the face is the person suggested
    REJECT = auto()  # it is not the person (or cluster) it is placed with
    NAME = auto()  # say who it is


STATE_COLOUR = {
    "confirmed": QColor("#43a047"),
    "suggested": QColor("#ffb300"),
    "clustered": QColor("#e0e0e0"),
}


@dataclass(frozen=True)
class FaceBox:
    """One face as the preview draws it."""

    id: int
    box: tuple[float, float, float, float]  # x, y, w, h in 0..1 of the photo as shown
    name: str | None  # the person's name; None: nobody named yet
    state: str  # 'clustered', 'suggested' or 'confirmed'
    grouped: bool  # with a person or a cluster (so there is something to reject)

    @property
    def label(self) -> str:
        if self.name is None:
            return "?"
        return f"{self.name}?" if self.state == "suggested" else self.name

    def describe(self) -> str:
        if self.name is None:
            return "Nobody named yet: right-click to name this face"
        if self.state == "suggested":
            return f"Suggested: {self.name}. Right-click to confirm or reject"
        return f"{self.name} ({self.state})"


class FacePreview(Preview):
    """A :class:`Preview` that draws face boxes once :meth:`set_faces` gives them."""

    face_action = Signal(int, object)  # face id, FaceAction
    face_drawn = Signal(tuple)  # a box drawn by hand: x, y, w, h in 0..1 of the photo
    drawing_changed = Signal(bool)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.faces: list[FaceBox] = []
        self.highlight: int | None = None  # a face drawn thicker, the others dimmed
        self._faces_for: str | None = None  # the photo the faces are of
        self._on_screen: str | None = None  # the photo whose pixels are shown
        self.drawing = False
        self._drag: tuple[QPointF, QPointF] | None = None
        self.shown.connect(self._shown)

    # -- what is drawn ---------------------------------------------------------------------

    def set_faces(self, path: str | None, faces: list[FaceBox], highlight: int | None = None):
        """The faces of the photo at ``path``: drawn once (and while) that photo is shown."""
        self._faces_for, self.faces, self.highlight = path, list(faces), highlight
        self.update()

    def clear_faces(self) -> None:
        self.set_faces(None, [])

    def visible_faces(self) -> list[FaceBox]:
        """The faces drawn now (none while another photo is on screen or loading)."""
        if self._faces_for is None or self._faces_for != self._on_screen or self.path is None:
            return []
        return self.faces if self._faces_for == self.path else []

    def _shown(self, path: str) -> None:
        self._on_screen = path
        self.update()

    def image_rect(self) -> QRectF:
        """Where the photo's pixels are on the widget (empty when no photo is shown)."""
        pm = self.pixmap()
        if pm is None or pm.isNull():
            return QRectF()
        rect = QStyle.alignedRect(
            self.layoutDirection(), self.alignment(), pm.size(), self.contentsRect()
        )
        return QRectF(rect)

    def face_rect(self, face: FaceBox) -> QRectF:
        image = self.image_rect()
        x, y, w, h = face.box
        return QRectF(
            image.x() + x * image.width(),
            image.y() + y * image.height(),
            w * image.width(),
            h * image.height(),
        )

    def face_at(self, pos: QPoint | QPointF) -> FaceBox | None:
        """The smallest face whose box holds ``pos``."""
        p = QPointF(pos)
        hits = [f for f in self.visible_faces() if self.face_rect(f).contains(p)]
        return min(hits, key=lambda f: f.box[2] * f.box[3], default=None)

    def paintEvent(self, event: QPaintEvent) -> None:
        super().paintEvent(event)
        faces = self.visible_faces()
        if not faces and self._drag is None:
            return
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        metrics = QFontMetrics(painter.font())
        for face in faces:
            dim = self.highlight is not None and face.id != self.highlight
            colour = QColor(STATE_COLOUR.get(face.state, STATE_COLOUR["clustered"]))
            if dim:
                colour.setAlpha(110)
            rect = self.face_rect(face)
            painter.setPen(QPen(colour, 3 if face.id == self.highlight else 2))
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawRoundedRect(rect, 3, 3)
            text = metrics.elidedText(face.label, Qt.TextElideMode.ElideRight, 200)
            label = QRectF(0, 0, metrics.horizontalAdvance(text) + 10, metrics.height() + 4)
            above = rect.top() - label.height() - 2
            label.moveTo(rect.left(), above if above >= 0 else rect.bottom() + 2)
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(colour)
            painter.drawRoundedRect(label, 3, 3)
            painter.setPen(QColor("#000000" if face.state != "confirmed" else "#ffffff"))
            painter.drawText(label, Qt.AlignmentFlag.AlignCenter, text)
        if self._drag is not None:
            painter.setPen(QPen(QColor("#42a5f5"), 2, Qt.PenStyle.DashLine))
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawRect(QRectF(*self._drag).normalized())
        painter.end()

    # -- the menu on a box --------------------------------------------------------------------

    def menu_for(self, face: FaceBox) -> QMenu:
        """What can be done with ``face``: confirm (when suggested), not this person, name."""
        menu = QMenu(self)
        if face.state == "suggested" and face.name:
            act = menu.addAction(f"Confirm: this is {face.name}")
            act.triggered.connect(lambda: self.face_action.emit(face.id, FaceAction.CONFIRM))
        if face.grouped:
            text = f"This is not {face.name}" if face.name else "Not the same person as its group"
            act = menu.addAction(text)
            act.triggered.connect(lambda: self.face_action.emit(face.id, FaceAction.REJECT))
        act = menu.addAction("Someone else…" if face.name else "Name…")
        act.triggered.connect(lambda: self.face_action.emit(face.id, FaceAction.NAME))
        return menu

    def contextMenuEvent(self, event: QContextMenuEvent) -> None:
        face = self.face_at(event.pos())
        if face is None:
            super().contextMenuEvent(event)
            return
        self.menu_for(face).exec(event.globalPos())

    def event(self, e) -> bool:
        if e.type() == e.Type.ToolTip and isinstance(e, QHelpEvent):
            face = self.face_at(e.pos())
            if face is not None:
                QToolTip.showText(e.globalPos(), face.describe(), self)
            else:
                QToolTip.hideText()
            return True
        return super().event(e)

    # -- drawing a face by hand ----------------------------------------------------------------

    def set_drawing(self, on: bool) -> None:
        """Draw mode: a drag on the photo draws a face's box (Shift+drag does so any time)."""
        if on == self.drawing:
            return
        self.drawing = on
        self.setCursor(Qt.CursorShape.CrossCursor if on else Qt.CursorShape.ArrowCursor)
        self.drawing_changed.emit(on)

    def mousePressEvent(self, event: QMouseEvent) -> None:
        shift = event.modifiers() & Qt.KeyboardModifier.ShiftModifier
        pos = event.position()
        if (
            event.button() == Qt.MouseButton.LeftButton
            and (self.drawing or shift)
            and self._faces_for is not None
            and self.image_rect().contains(pos)
        ):
            self._drag = (pos, pos)
            event.accept()
            return
        super().mousePressEvent(event)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        if self._drag is not None:
            self._drag = (self._drag[0], event.position())
            self.update()
            return
        super().mouseMoveEvent(event)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        if self._drag is None:
            super().mouseReleaseEvent(event)
            return
        start, _ = self._drag
        self._drag = None
        self.update()
        image = self.image_rect()
        rect = QRectF(start, event.position()).normalized().intersected(image)
        if rect.width() < MIN_DRAWN or rect.height() < MIN_DRAWN or image.isEmpty():
            return
        x = round((rect.x() - image.x()) / image.width(), 4)
        y = round((rect.y() - image.y()) / image.height(), 4)
        w = min(round(rect.width() / image.width(), 4), 1 - x)  # rounding stays inside
        h = min(round(rect.height() / image.height(), 4), 1 - y)
        self.set_drawing(False)
        self.face_drawn.emit((x, y, w, h))
