"""Review mode, the vocabulary editor's live strip, and exporting sidecars, driven by keys and
clicks over the real catalog and test model."""

from __future__ import annotations

from PySide6.QtCore import Qt

from clipdesk.catalog import Catalog
from tests.support.gui import WAIT, choose_completion, wait_idle, wait_rows


def decided(home) -> dict[str, int]:
    with Catalog(home / "data" / "catalog.sqlite3", readonly=True) as cat:
        return dict(
            cat.conn.execute(
                "SELECT state, COUNT(*) FROM photo_tags WHERE source = 'user' GROUP BY state"
            )
        )


def test_review_one_decision_per_key(library_home, open_window, qtbot):
    window = open_window(library_home)
    wait_rows(qtbot, window, 36)
    qtbot.keyClick(window, Qt.Key.Key_2, Qt.KeyboardModifier.ControlModifier)
    assert window.pages.currentWidget() is window.review_page
    view, ctl = window.review_page, window.review_controller
    qtbot.waitUntil(lambda: view.question.text().startswith("Is this"), timeout=WAIT)
    assert view.yes_button.isEnabled() and "1 of" in view.position.text()

    first, second = ctl.current(), ctl.queue[1]
    qtbot.keyClick(view, Qt.Key.Key_Y)
    assert ctl.current() == second and "2 of" in view.position.text()
    qtbot.keyClick(view, Qt.Key.Key_N)
    qtbot.keyClick(view, Qt.Key.Key_S)  # skip: no decision
    qtbot.waitUntil(lambda: decided(library_home) == {"confirmed": 1, "rejected": 1}, timeout=WAIT)
    # What the model learned: the touched tags with their counts.
    table = view.learned
    qtbot.waitUntil(lambda: table.rowCount() >= 1, timeout=WAIT)
    rows = {
        table.item(r, 0).text(): (table.item(r, 1).text(), table.item(r, 2).text())
        for r in range(table.rowCount())
    }
    assert first.tag.replace("|", " › ") in rows

    qtbot.keyClick(view, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert "2 of" in view.position.text()  # back to the undone question
    qtbot.waitUntil(lambda: decided(library_home) == {"confirmed": 1}, timeout=WAIT)
    qtbot.keyClick(window, Qt.Key.Key_1, Qt.KeyboardModifier.ControlModifier)
    assert window.pages.currentWidget() is window.library_page


def strip_names(window) -> list[str]:
    model = window.vocab_page.strip.strip_model()
    return [model.data(model.index(r)) for r in range(model.rowCount())]


def test_edit_a_prompt_and_watch_the_live_strip(library_home, open_window, qtbot):
    window = open_window(library_home)
    wait_rows(qtbot, window, 36)
    qtbot.keyClick(window, Qt.Key.Key_3, Qt.KeyboardModifier.ControlModifier)
    ctl, view = window.vocab_controller, window.vocab_page
    assert ctl.select("Colour|red")
    qtbot.waitUntil(lambda: len(strip_names(window)) == 12, timeout=WAIT)
    assert all("_red_" in n for n in strip_names(window)[:4]), strip_names(window)

    view.prompts.selectAll()
    qtbot.keyClicks(view.prompts, "something yellow")
    qtbot.waitUntil(lambda: all("_yellow_" in n for n in strip_names(window)[:4]), timeout=WAIT)
    assert view.state_label.text() == "Unsaved changes"

    qtbot.keyClick(view.prompts, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: view.state_label.text().startswith("Saved"), timeout=WAIT)
    with Catalog(library_home / "data" / "catalog.sqlite3", readonly=True) as cat:
        prompts = cat.conn.execute("SELECT prompts FROM tags WHERE name = 'red'").fetchone()[0]
    assert prompts == '["something yellow"]'


def test_export_dry_run_then_write(library_home, shapes, open_window, qtbot):
    window = open_window(library_home)
    wait_rows(qtbot, window, 36)
    wait_idle(qtbot, window)
    # Confirm one tag on one photo so that there is something to export.
    grid, model = window.library_page.grid, window.library_page.model
    grid.setCurrentIndex(model.index(0))
    window.library_page.grid.setFocus()
    qtbot.keyClick(grid, Qt.Key.Key_T)
    choose_completion(qtbot, window.library_page.photo.add_field, "Trips|Rome")
    photo = shapes / model.data(model.index(0))
    qtbot.waitUntil(
        lambda: (
            "Rome" in window.library_page.photo.chips.buttons[0].text()
            if window.library_page.photo.chips.buttons
            else False
        ),
        timeout=WAIT,
    )

    dialog = window.open_export()
    assert dialog.naming_ext.isChecked()
    qtbot.mouseClick(dialog.check_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.summary.text().startswith(("Dry run", "Nothing")), timeout=WAIT)
    assert dialog.summary.text().startswith("Dry run: 1 sidecar would be written")
    assert not list(shapes.glob("*.xmp"))  # a dry run writes nothing
    assert "+Trips|Rome" in dialog.details.toPlainText()
    qtbot.mouseClick(dialog.write_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.summary.text().startswith("Done"), timeout=WAIT)
    sidecar = photo.with_name(photo.name + ".xmp")
    assert [p.name for p in shapes.glob("*.xmp")] == [sidecar.name]
    text = sidecar.read_text()
    assert "Rome" in text and "Trips|Rome" in text
    dialog.close()


def test_the_toolbar_shows_which_page_is_open(library_home, open_window, qtbot):
    window = open_window(library_home)
    wait_rows(qtbot, window, 36)
    actions = window.page_actions
    for key, page in (
        (Qt.Key.Key_3, window.vocab_page),
        (Qt.Key.Key_2, window.review_page),
        (Qt.Key.Key_1, window.library_page),
    ):
        qtbot.keyClick(window, key, Qt.KeyboardModifier.ControlModifier)
        assert window.pages.currentWidget() is page
        assert [p for p, a in actions.items() if a.isChecked()] == [page]
    window.show_page(window.vocab_page)  # also when a page is opened from code
    assert actions[window.vocab_page].isChecked() and not actions[window.library_page].isChecked()


def test_the_vocabulary_shows_how_often_each_tag_is_suggested_and_what_the_model_cannot_see(
    library_home, open_window, qtbot
):
    from clipdesk.tagging.store import TagStore

    with Catalog(library_home / "data" / "catalog.sqlite3") as cat, cat.transaction():
        TagStore(cat).ensure("Places|Stadium")  # a word the test model never learned
    window = open_window(library_home)
    wait_rows(qtbot, window, 36)
    qtbot.keyClick(window, Qt.Key.Key_3, Qt.KeyboardModifier.ControlModifier)
    ctl, view = window.vocab_controller, window.vocab_page
    qtbot.waitUntil(lambda: len(ctl.checks) == len(ctl.tags), timeout=WAIT)
    assert ctl.select("Colour|red")
    qtbot.waitUntil(lambda: view.evidence_label.text().startswith("Suggested on"), timeout=WAIT)
    assert "of 36 photos" in view.evidence_label.text()
    item = view.tree.currentItem()
    assert item.text(3).endswith("%") and not item.text(3).startswith("⚠")

    assert ctl.select("Places|Stadium")
    stadium = view.tree.currentItem()
    assert stadium.text(3) == "⚠ 0%"
    assert "does not separate Stadium from an ordinary photo" in stadium.toolTip(3)
    assert view.evidence_label.text().startswith("Not suggested: the model does not separate")
