"""What a new user meets in the first hour (issue 31): the status bar while photos are added
and on every page, the first-run banner's words, the photo panel and the grid as filters and
searches change them, tags written one way, and a complete keyboard help."""

from __future__ import annotations

import re
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QFont, QTextDocument
from PySide6.QtWidgets import QMainWindow, QMessageBox

from clipdesk.embedding.registry import parse_model
from clipdesk.embedding.weights import offline_error
from clipdesk.gui.controllers import shortcuts
from clipdesk.gui.views.banner import Banner
from clipdesk.gui.views.banner_text import reason_html
from clipdesk.gui.views.download_row import download_text
from clipdesk.gui.views.review_view import ReviewView
from clipdesk.gui.views.sidebar import Sidebar
from clipdesk.gui.views.status_bar import StatusBar, progress_text
from clipdesk.gui.views.tag_text import tag_text
from clipdesk.tagging.store import TagInfo
from clipdesk.worker import WorkerProgress
from tests.support.gui import WAIT, chips, click_tag, names, select, wait_rows

# -- the status bar ---------------------------------------------------------------------------


def test_a_message_leaves_the_progress_bar_and_pause_beside_it(qtbot):
    window = QMainWindow()
    bar = StatusBar(window)
    window.setStatusBar(bar)
    qtbot.addWidget(window)
    window.resize(1280, 200)
    window.show()
    qtbot.waitExposed(window)
    message = "Adding /home/me/Pictures: thumbnails first, then tagging in the background"
    bar.showMessage(message, 60_000)
    bar.show_progress(WorkerProgress("thumbnails", 120, 2500, 300.0, 8.0))
    qtbot.wait(50)
    assert bar.currentMessage() == message
    assert bar.pause_button.isVisible() and bar.pause_button.isEnabled()  # pause while adding
    assert bar.bar.isVisible()
    text_end = 6 + bar.fontMetrics().horizontalAdvance(message)  # the message's own width
    assert bar.bar.geometry().left() > text_end, "the progress bar covers the message"
    bar.clearMessage()  # the progress comes back in its place
    assert bar.progress_label.text().startswith("Making thumbnails: 120 of 2,500")


def test_time_left_is_never_zero_seconds():
    almost = WorkerProgress("embed", 35, 36, 40.0, 0.3)
    assert "0 s" not in progress_text(almost)
    assert progress_text(almost) == "Tagging: 35 of 36 · 40.0 photos/s · finishing"
    assert progress_text(WorkerProgress("embed", 1, 36, 1.0, 35.0)).endswith("about 35 s left")
    download = WorkerProgress("download", 99, 100, 10.0, 0.2, item="model.safetensors")
    assert "0 s" not in download_text(download)


def test_the_photo_counts_are_the_librarys_own(library_home, open_window, qtbot):
    window = open_window(library_home)
    wait_rows(qtbot, window, 36)
    photos = window.status.photos_label
    click_tag(qtbot, window.library_page.sidebar.tags, "red")
    qtbot.waitUntil(lambda: "filtered of 36" in photos.text(), timeout=10_000)
    for page in (
        window.review_page,
        window.vocab_page,
        window.duplicates_page,
        window.people_page,
    ):
        window.show_page(page)
        assert not photos.isVisible(), page  # not the Library's "9 filtered of 36 photos"
    window.show_page(window.library_page)
    assert photos.isVisible() and "filtered of 36" in photos.text()


# -- the first-run banner ---------------------------------------------------------------------


def _offline_reason() -> str:
    spec = parse_model("ViT-B-32-256:datacomp_s34b_b86k", check=False)
    return str(offline_error(spec, Path("/home/me/.cache/clipdesk/weights"), OSError(), False))


def _lines(html: str, width: int) -> list[str]:
    """The lines a rich text breaks into at ``width`` pixels, as Qt lays it out."""
    doc = QTextDocument()
    doc.setDefaultFont(QFont())
    doc.setHtml(html)
    doc.setTextWidth(width)
    out = []
    block = doc.begin()
    while block.isValid():
        layout, text = block.layout(), block.text()
        for i in range(layout.lineCount()):
            line = layout.lineAt(i)
            out.append(text[line.textStart() : line.textStart() + line.textLength()])
        block = block.next()
    return out


def test_a_model_that_cannot_be_had_is_told_in_the_windows_terms(qtbot):
    why = _offline_reason()
    assert "--model" in why and why[0].islower()  # the terminal's words, as the core has them
    html = reason_html(why)
    assert html.startswith("The weights for")  # a sentence after the bold title
    plain = QTextDocument()
    plain.setHtml(html)
    text = plain.toPlainText().replace("\u2060", "")
    assert "--model" not in text and "run with" not in text
    for words in ("press Retry", "Settings", "Use the test model"):
        assert words in text, text
    assert '<a href="https://huggingface.co/laion/' in html  # where to download it by hand

    banner = Banner()
    qtbot.addWidget(banner)
    banner.show_message("model", f"<b>Photos wait for a model.</b> {html}")
    assert re.search(r"</b> [A-Z]", banner.text("model"))
    for width in range(240, 1000, 9):  # no line ends inside a name, an option or a link
        for line in _lines(banner.text("model"), width):
            end = line.replace("\u2060", "").rstrip()
            assert not end.endswith(("-", ":", "huggingface.co/")), (width, line)


def test_a_reason_from_the_core_keeps_its_options_whole():
    html = reason_html("a command: `clipdesk --model ViT-B-32:laion2b_s34b_b79k add FOLDER`")
    assert html.startswith("A command:")
    assert "<pre>clipdesk --model ViT-B-32:laion2b_s34b_b79k add FOLDER</pre>" in html
    option = reason_html("or start it with --backend cuda")
    for width in range(40, 600, 7):
        assert all(not line.endswith("-") for line in _lines(option, width))


# -- the photo panel and the grid ---------------------------------------------------------------


def _shows_nothing(window) -> bool:
    view = window.library_page.photo
    return (
        view.caption.text() == ""
        and not view.empty_tags.isVisible()
        and not view.chips.buttons
        and not view.accept_button.isEnabled()
        and window.tagging_controller.ids == []
    )


def test_the_photo_panel_shows_no_photo_that_is_not_selected(library_home, open_window, qtbot):
    window = open_window(library_home)
    wait_rows(qtbot, window, 36)
    view = window.library_page.photo
    assert _shows_nothing(window)  # nothing selected yet: no "No tags yet" either

    select(qtbot, window, "red_circle.jpg")
    qtbot.waitUntil(lambda: "red" in chips(window), timeout=10_000)
    assert view.caption.text().endswith("red_circle.jpg")
    n_blue = int(click_tag(qtbot, window.library_page.sidebar.tags, "blue").text(1))
    wait_rows(qtbot, window, n_blue)  # the red circle left the grid: the panel lets it go
    qtbot.waitUntil(lambda: _shows_nothing(window), timeout=10_000)

    bar, model = window.library_page.search, window.library_page.model
    bar.field.setFocus()
    qtbot.keyClicks(bar.field, "something blue")
    qtbot.keyClick(bar.field, Qt.Key.Key_Return)  # the best match is shown
    qtbot.waitUntil(lambda: model.rowCount() and model.score(0) is not None, timeout=WAIT)
    qtbot.waitUntil(lambda: view.caption.text().endswith(names(window, 1)[0]), timeout=10_000)
    bar.marks.set_value(min_stars=5)  # no photo has five stars: the search finds none
    wait_rows(qtbot, window, 0)
    qtbot.waitUntil(lambda: _shows_nothing(window), timeout=10_000)


def test_a_search_filtered_by_a_tag_follows_the_sort_box(library_home, open_window, qtbot):
    window = open_window(library_home)
    wait_rows(qtbot, window, 36)
    bar, model = window.library_page.search, window.library_page.model
    assert bar.sort.currentText() == "By name"
    n_red = int(click_tag(qtbot, window.library_page.sidebar.tags, "red").text(1))
    wait_rows(qtbot, window, n_red)
    assert names(window) == sorted(names(window))  # a tag filter, by name

    bar.field.setFocus()
    qtbot.keyClicks(bar.field, "something red")
    qtbot.keyClick(bar.field, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: model.rowCount() > 2 and model.score(0) is not None, timeout=WAIT)
    assert bar.sort.currentText() == "Best match"  # what the grid shows: the box says so
    scores = [model.score(r) for r in range(model.rowCount())]
    assert scores == sorted(scores, reverse=True)
    found = set(names(window))

    bar.sort.setCurrentIndex(bar.sort.findText("By name"))  # the same matches, by name
    qtbot.waitUntil(lambda: names(window) == sorted(found), timeout=WAIT)
    assert model.score(0) is not None  # still the search's, with its scores

    qtbot.keyClick(bar.field, Qt.Key.Key_Escape)  # back to browsing: by name, as chosen
    wait_rows(qtbot, window, n_red)
    assert bar.sort.findText("Best match") == -1 and bar.sort.currentText() == "By name"
    assert names(window) == sorted(names(window))


def test_the_large_view_says_how_to_leave_it(library_home, open_window, qtbot):
    window = open_window(library_home)
    wait_rows(qtbot, window, 36)
    view = window.library_page.photo
    assert "large view" in view.hint.text()
    select(qtbot, window, "red_circle.jpg")
    qtbot.keyClick(window.library_page.grid, Qt.Key.Key_Return)
    assert window.library_page.large
    assert "large view" not in view.hint.text() and "back to the grid" in view.hint.text()
    qtbot.keyClick(view, Qt.Key.Key_Escape)
    assert not window.library_page.large and "large view" in view.hint.text()


def test_messages_write_tags_as_the_window_does(library_home, open_window, qtbot):
    window = open_window(library_home)
    wait_rows(qtbot, window, 36)
    select(qtbot, window, "red_circle.jpg")
    view = window.library_page.photo
    qtbot.keyClick(window.library_page.grid, Qt.Key.Key_T)
    qtbot.keyClicks(view.add_field, "Shape|circle")
    qtbot.keyClick(view.add_field, Qt.Key.Key_Return)
    assert window.status.currentMessage() == "Added “Shape › circle” to 1 photo"
    qtbot.waitUntil(lambda: chips(window).get("circle") == "confirmed", timeout=WAIT)
    window.activateWindow()
    qtbot.waitUntil(lambda: window.library_page.grid.hasFocus(), timeout=5_000)
    qtbot.keyClick(window.library_page.grid, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: "undid" in window.status.currentMessage().lower(), timeout=WAIT)
    assert "“Shape › circle”" in window.status.currentMessage()
    assert "|" not in window.status.currentMessage()
    assert tag_text("People|Ada") == "People › Ada"


def _tag(i: int, path: str, parent: int | None, photos: int) -> TagInfo:
    return TagInfo(i, path, parent, photos, True)


def test_hide_unused_tags_hides_them_before_any_tagging(qtbot):
    sidebar = Sidebar()
    qtbot.addWidget(sidebar)
    sidebar.show()
    unused = [_tag(1, "Animals", None, 0), _tag(2, "Animals|Sheep", 1, 0)]
    sidebar.set_tags(unused)
    assert sidebar.hide_unused.isChecked()
    assert sidebar.tags.topLevelItemCount() == 0  # no photo has a tag yet: none shown
    assert sidebar.none_used.isVisible()  # and why not
    sidebar.hide_unused.setChecked(False)
    assert sidebar.tags.topLevelItemCount() == 1 and not sidebar.none_used.isVisible()
    sidebar.hide_unused.setChecked(True)
    sidebar.set_tags([_tag(1, "Animals", None, 0), _tag(2, "Animals|Sheep", 1, 3)])
    assert sidebar.tags.topLevelItem(0).childCount() == 1 and not sidebar.none_used.isVisible()


def test_the_review_table_keeps_each_tag_on_one_line(qtbot):
    view = ReviewView()
    qtbot.addWidget(view)
    view.resize(1280, 700)
    view.show()
    qtbot.waitExposed(view)
    rows = [
        {"tag": "Animals|Sheep", "confirmed": 12, "rejected": 3, "precision": 0.91},
        {"tag": "Places|Home interior", "confirmed": 4, "rejected": 0, "precision": None},
    ]
    view.set_report(rows)
    qtbot.wait(50)
    table = view.learned
    assert not table.wordWrap()
    for r, row in enumerate(rows):
        text = table.item(r, 0).text()
        assert text == tag_text(row["tag"])
        needed = table.fontMetrics().horizontalAdvance(text)
        assert table.columnWidth(0) > needed, (text, table.columnWidth(0), needed)


def test_the_tag_tree_has_the_room_at_1280x800(library_home, open_window, qtbot):
    window = open_window(library_home)
    wait_rows(qtbot, window, 36)
    window.resize(1280, 800)
    qtbot.wait(100)
    sidebar = window.library_page.sidebar
    folders, albums, tags = sidebar.split.sizes()
    assert tags > folders + albums, sidebar.split.sizes()
    row = sidebar.folders.sizeHintForRow(0)
    assert sidebar.folders.height() <= 6 * row  # a few folders' rows, not a third of it


# -- the keyboard help --------------------------------------------------------------------------


def _help_section(title: str) -> str:
    start = shortcuts.HELP.index(f"{title}</th>")
    end = shortcuts.HELP.find("<th", start)
    return shortcuts.HELP[start : end if end > 0 else None]


def _keys(html: str) -> set[str]:
    return {k for bold in re.findall(r"<b>([^<]+)</b>", html) for k in bold.split()}


def test_the_keyboard_help_lists_every_page_and_duplicates_key(
    library_home, open_window, qtbot, monkeypatch
):
    window = open_window(library_home)
    shown = []
    monkeypatch.setattr(QMessageBox, "information", lambda *args: shown.append(args[2]))
    help_menu = next(a.menu() for a in window.menuBar().actions() if a.text() == "&Help")
    next(a for a in help_menu.actions() if a.text() == "Keyboard shortcuts").trigger()
    assert shown == [shortcuts.HELP]

    pages = [a.shortcut().toString() for a in window.page_actions.values()]
    assert pages == [f"Ctrl+{n}" for n in range(1, 6)]
    assert "<b>Ctrl+1</b> … <b>Ctrl+5</b>" in shortcuts.HELP
    bound = {k.toString() for a in window.duplicates_page.actions() for k in a.shortcuts()}
    assert bound >= {"K", "R", "S"} and bound <= _keys(_help_section("Duplicates"))
    library = _keys(_help_section("Library: the grid and the large view"))
    marks = {str(n) for n in range(10)} | {"P", "X", "U"}
    assert {"0", "5", "6", "7", "8", "9", "P", "X", "U"} <= library
    grid = window.library_page.grid
    assert marks <= {k.toString() for a in grid.actions() for k in a.shortcuts()}  # as bound
