"""How a photo's marks look (stars, colour label, pick or reject flag, catalog/marks.py): the
grid's badges, the photo panel's line, and the colour dots of the filter and the menus."""

from __future__ import annotations

from html import escape

from PySide6.QtCore import QRect, Qt
from PySide6.QtGui import QColor, QFont, QIcon, QPainter, QPixmap

from clipdesk.catalog.marks import Marks

# The colours darktable and digiKam give the labels, a little darker so that white shows
# on them and they show on a white cell.
LABEL_COLOURS = {
    "red": "#e53935",
    "yellow": "#fbc02d",
    "green": "#43a047",
    "blue": "#1e88e5",
    "purple": "#8e24aa",
}
STAR = "★"
STAR_COLOUR = QColor("#ffca28")
PICK, REJECT = "⚑", "✕"
REJECT_COLOUR = QColor("#c62828")
REJECTED_OPACITY = 0.35  # a rejected photo's thumbnail: set aside, still recognisable


def stars_text(stars: int) -> str:
    return STAR * stars


def label_icon(label: str | None, size: int = 12) -> QIcon:
    """A round dot of the label's colour (an empty ring for no label)."""
    pixmap = QPixmap(size, size)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    if label in LABEL_COLOURS:
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(QColor(LABEL_COLOURS[label]))
    else:
        painter.setPen(QColor("#9e9e9e"))
        painter.setBrush(Qt.BrushStyle.NoBrush)
    painter.drawEllipse(1, 1, size - 2, size - 2)
    painter.end()
    return QIcon(pixmap)


def marks_html(marks: Marks) -> str:
    """The photo panel's line: the five stars (the unset ones grey), the label and the flag."""
    parts = [
        f'<span style="color:#f9a825; font-size:large">{stars_text(marks.stars)}</span>'
        f'<span style="color:#bdbdbd; font-size:large">{stars_text(5 - marks.stars)}</span>'
    ]
    if marks.label:
        colour = LABEL_COLOURS[marks.label]
        parts.append(f'<span style="color:{colour}">●</span> {escape(marks.label.capitalize())}')
    if marks.flag == "pick":
        parts.append(f"<b>{PICK} Pick</b>")
    elif marks.flag == "reject":
        parts.append(f'<b style="color:{REJECT_COLOUR.name()}">{REJECT} Rejected</b>')
    return " &nbsp;·&nbsp; ".join(parts)


def paint_marks(painter: QPainter, box: QRect, marks: Marks) -> None:
    """The flag and the stars on a thumbnail's square ``box``, in one dark strip at its bottom
    left (a reject: a red strip with ✕). The top corners and the bottom right belong to the
    tag badge, the score and the dot; the colour label is the caption's (paint_label_dot)."""
    text = {"pick": PICK, "reject": REJECT}.get(marks.flag or "", "")
    if not text and not marks.stars:
        return
    painter.save()
    font = QFont(painter.font())  # full size: five stars must be told from four at a glance
    font.setBold(True)
    painter.setFont(font)
    metrics = painter.fontMetrics()
    flag_w = metrics.horizontalAdvance(text) + (3 if marks.stars and text else 0)
    stars = stars_text(marks.stars)
    w = flag_w + metrics.horizontalAdvance(stars) + 8
    h = metrics.height() + 2
    rect = QRect(box.left() + 2, box.bottom() - h - 1, w, h)
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(REJECT_COLOUR if marks.flag == "reject" else QColor(0, 0, 0, 160))
    painter.drawRoundedRect(rect, 3, 3)
    inner = rect.adjusted(4, 0, -4, 0)
    left = Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft
    if text:
        painter.setPen(QColor("white"))
        painter.drawText(inner, left, text)
    if stars:
        painter.setPen(STAR_COLOUR)
        painter.drawText(inner.adjusted(flag_w, 0, 0, 0), left, stars)
    painter.restore()


LABEL_DOT = 10  # px: the colour label's dot before the file name


def paint_label_dot(painter: QPainter, x: int, centre_y: int, label: str) -> None:
    """The colour label's dot, its left edge at ``x``."""
    painter.save()
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(QColor(LABEL_COLOURS[label]))
    painter.drawEllipse(x, centre_y - LABEL_DOT // 2, LABEL_DOT, LABEL_DOT)
    painter.restore()


def describe_filter(min_stars: int, label: str | None, flag: str | None) -> list[str]:
    """The marks a filter asks for, in the words the search row shows: '★★★+', 'red', 'picks'."""
    parts = [f"{stars_text(min_stars)}+"] if min_stars else []
    if label:
        parts.append("no label" if label == "none" else label)
    if flag:
        parts.append({"pick": "picks", "reject": "rejects", "none": "unflagged"}[flag])
    return parts
