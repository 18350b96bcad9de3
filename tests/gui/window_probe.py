"""Run by tests/gui/test_layout.py under Xvfb and a real window manager: open the window on
a library, select a photo, and write what the screen shows as JSON (and a screenshot).

    python tests/gui/window_probe.py HOME PHOTO_NAME_END OUT.json [SHOT.png]
"""

from __future__ import annotations

import json
import subprocess
import sys

from PySide6.QtCore import QPoint, QTimer

from clipdesk.gui.app import application, create_window


def main() -> None:
    home, name_end, out = sys.argv[1:4]
    shot = sys.argv[4] if len(sys.argv) > 4 else None
    app = application()
    window = create_window(home, model="test", backend="onnx", watch=False)
    window.show()
    model, grid = window.library_page.model, window.library_page.grid
    deadline = [120]  # tenths of seconds to wait for the grid

    def select() -> None:
        rows = [r for r in range(model.rowCount()) if model.data(model.index(r)).endswith(name_end)]
        if not rows and deadline[0] > 0:
            deadline[0] -= 1
            QTimer.singleShot(100, select)
            return
        grid.setCurrentIndex(model.index(rows[0]))
        QTimer.singleShot(2500, report)  # the chips load, the window manager settles

    def visible(widget) -> bool:
        top_left = widget.mapTo(window, QPoint(0, 0))
        bottom_right = top_left + QPoint(widget.width() - 1, widget.height() - 1)
        inside = window.rect().contains(top_left) and window.rect().contains(bottom_right)
        return widget.isVisible() and inside

    def report() -> None:
        view, sidebar = window.library_page.photo, window.library_page.sidebar
        frame, screen = window.frameGeometry(), window.screen().availableGeometry()
        result = {
            "frame": [frame.x(), frame.y(), frame.width(), frame.height()],
            "screen": [screen.x(), screen.y(), screen.width(), screen.height()],
            "chips": len(view.chips.buttons),
            "accept_visible": visible(view.accept_button),
            "reject_visible": visible(view.reject_button),
            "add_field_visible": visible(view.add_field),
            "status_bar_visible": visible(window.statusBar()),
            "folders_height": sidebar.folders.height(),
            "folder_row": sidebar.folders.sizeHintForRow(0),
            "tags_height": sidebar.tags.height(),
        }
        if shot:
            subprocess.run(["import", "-window", "root", shot], check=False)
        with open(out, "w") as f:
            json.dump(result, f)
        window.close()
        app.quit()

    QTimer.singleShot(500, select)
    app.exec()


if __name__ == "__main__":
    main()
