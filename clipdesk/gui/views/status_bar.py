"""The status bar: the worker's progress (count, rate, time left), pause, the Library's
photo counts, model and backend.

A message (``showMessage``) takes the place of the progress text for a while; the bar and
Pause are permanent widgets, so that a message never hides them and they never cover it.
At rest it says "Up to date" only when no photo waits to be tagged: else how many wait,
and why when it is known (blocked, or a job that failed).
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QLabel, QProgressBar, QStatusBar, QToolButton

from clipdesk.progress import Phase
from clipdesk.wording import plural

PHASES = {
    Phase.SCAN: "Looking for photos",
    Phase.THUMBNAILS: "Making thumbnails",
    Phase.EMBED: "Tagging",
    Phase.TAGGING: "Updating suggestions",
    Phase.DOWNLOAD: "Downloading the model",
    Phase.PAUSED: "Paused",
}
RESTING = (Phase.IDLE, Phase.DONE)  # nothing left to do: "Up to date"


def duration(seconds: float | None) -> str:
    """A friendly time left: "40 s", "3 min", "2 h 5 min"."""
    if seconds is None or seconds != seconds:  # None or NaN
        return ""
    s = int(round(seconds))
    if s < 60:
        return f"{s} s"
    if s < 3600:
        return f"{round(s / 60)} min"
    return f"{s // 3600} h {s % 3600 // 60} min"


def time_left(eta: float | None) -> str:
    """How long is left, in words: "about 3 min left"; "finishing" under half a second (never
    "about 0 s left"); "" when not known."""
    left = duration(eta)
    if not left:
        return ""
    return "finishing" if left == "0 s" else f"about {left} left"


def progress_text(p: Any) -> str:
    """One line for a WorkerProgress: what, how far, how fast, how long."""
    label = PHASES.get(p.phase) or str(p.phase).replace("_", " ").capitalize()
    parts = [f"{label}: {p.done:,} of {p.total:,}" if p.total else label]
    if p.rate and p.rate > 0:
        parts.append(f"{p.rate:.1f} photos/s")
    left = time_left(p.eta)
    if left and not p.paused:
        parts.append(left)
    if p.paused:
        parts.append("paused")
    return " · ".join(parts)


class StatusBar(QStatusBar):
    """Progress (or a message) on the left; the bar, Pause, the photo counts, the model and
    backend on the right."""

    pause_toggled = Signal(bool)  # True: pause

    def __init__(self, parent=None):
        super().__init__(parent)
        self.progress_label = QLabel("")
        self.progress_label.setAccessibleName("Progress")
        self.bar = QProgressBar()
        self.bar.setMaximumWidth(180)
        self.bar.setTextVisible(False)
        self.bar.hide()
        self.pause_button = QToolButton()
        self.pause_button.setText("Pause")
        self.pause_button.setCheckable(True)
        self.pause_button.setToolTip("Pause background tagging (the app stays usable)")
        self.pause_button.toggled.connect(self._toggled)
        self.pause_button.setEnabled(False)
        self.photos_label = QLabel("")
        self.model_label = QLabel("")
        self.model_label.setToolTip("The model that tags and searches, and where it runs")
        self.addWidget(self.progress_label, 1)  # a message shows in its place meanwhile
        self.addPermanentWidget(self.bar)
        self.addPermanentWidget(self.pause_button)
        self.addPermanentWidget(self.photos_label)
        self.addPermanentWidget(self.model_label)
        self.blocked: str | None = None  # why background work cannot go on, when it cannot
        self.failed: str | None = None  # the last background job that failed, while it stands
        self._resting = False  # the worker is idle: the label says what is left, if anything
        self._counts: dict[str, int] = {}
        self._shown: tuple[int, str] = (0, "")  # photos in the grid, and why not all

    def _toggled(self, paused: bool) -> None:
        self.pause_button.setText("Resume" if paused else "Pause")
        self.pause_toggled.emit(paused)

    def show_progress(self, p: Any) -> None:
        """Show a WorkerProgress; an idle or finished worker hides the bar."""
        busy = p.phase not in RESTING and (p.total == 0 or p.done < p.total)
        self.pause_button.setEnabled(busy or p.paused)
        if p.paused != self.pause_button.isChecked():
            self.pause_button.blockSignals(True)
            self.pause_button.setChecked(p.paused)
            self.pause_button.setText("Resume" if p.paused else "Pause")
            self.pause_button.blockSignals(False)
        self._resting = not busy and not p.paused and p.phase in RESTING
        if not busy and not p.paused:
            self.bar.hide()
            self.progress_label.setText(self.rest_text() if self._resting else "")
            return
        self.progress_label.setText(progress_text(p))
        self.bar.setVisible(p.total > 0)
        self.bar.setRange(0, max(p.total, 1))
        self.bar.setValue(min(p.done, p.total))

    def rest_text(self) -> str:
        """What the label says while the worker rests: why photos wait, how many wait, or
        "Up to date" when none does."""
        if self.blocked:
            return self.blocked
        waiting = self._counts.get("new", 0)
        if not waiting:
            return "Up to date"
        wait = "waits" if waiting == 1 else "wait"
        why = f": {self.failed} (see above)" if self.failed else ""
        return f"{plural(waiting, 'photo')} {wait} to be tagged{why}"

    def set_blocked(self, reason: str | None) -> None:
        """Say why photos wait (never "Up to date" while they do); None: they no longer wait."""
        self.blocked = reason
        if reason:
            self.progress_label.setText(reason)
        elif self._resting:
            self.progress_label.setText(self.rest_text())
        elif self.progress_label.text().startswith("Waiting"):
            self.progress_label.setText("")

    def set_failed(self, reason: str | None) -> None:
        """A background job failed (``reason`` in a few words), or None: one ran since."""
        self.failed = reason
        if self._resting:
            self.progress_label.setText(self.rest_text())

    def set_model(self, model: str, backend: str) -> None:
        self.model_label.setText(f"{model} · {backend}")

    def set_shown(self, shown: int, why: str) -> None:
        """How many photos the grid shows, when a filter or search narrows them."""
        self._shown = (shown, why)
        self._show_counts()

    def show_counts(self, shown: bool) -> None:
        """The Library's photo counts, on its page only (another page has its own)."""
        self.photos_label.setVisible(shown)

    def set_counts(self, counts: dict[str, int]) -> None:
        self._counts = counts
        self._show_counts()
        if self._resting:  # photos that wait, or none now
            self.progress_label.setText(self.rest_text())

    def _show_counts(self) -> None:
        counts = self._counts
        total = sum(v for k, v in counts.items() if k != "failed")
        shown, why = self._shown
        text = f"{shown:,} {why} of {total:,} photos" if why else f"{total:,} photos"
        if counts.get("missing"):
            text += f" · {counts['missing']:,} offline"
        if counts.get("failed"):
            text += f" · {counts['failed']:,} unreadable"
        self.photos_label.setText(text)
