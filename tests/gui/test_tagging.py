"""Deciding on suggestions with the keyboard: accept, reject, undo, add, on one photo or many."""

from __future__ import annotations

from PySide6.QtCore import Qt

from clipdesk.gui.views.tag_chips import chip_kind, chip_text
from tests.support.gui import WAIT, chips, choose_completion, select, stored, tag_paths, wait_rows


def test_accept_reject_undo_with_the_keyboard(library_home, shapes, open_window, qtbot):
    window = open_window(library_home)
    wait_rows(qtbot, window, 36)
    row = select(qtbot, window, "red_circle.jpg")
    path = window.library_page.model.brief(row).path
    view = window.library_page.photo
    qtbot.waitUntil(lambda: "red" in chips(window), timeout=10_000)
    assert chips(window)["red"] == "suggested"
    assert "%" in next(b.text() for b in view.chips.buttons if b.chip.name == "red")

    grid = window.library_page.grid
    view.chips.focus(next(b.chip.tag_id for b in view.chips.buttons if b.chip.name == "red"))
    qtbot.keyClick(grid, Qt.Key.Key_A)
    assert chips(window)["red"] == "confirmed"  # at once, before the worker stored it
    qtbot.waitUntil(lambda: stored(library_home, path).get("red") == "confirmed", timeout=WAIT)

    focused = view.chips.focused()
    assert focused is not None and focused.name != "red"  # moved on to the next suggestion
    qtbot.keyClick(grid, Qt.Key.Key_R)
    qtbot.waitUntil(
        lambda: stored(library_home, path).get(focused.name) == "rejected", timeout=WAIT
    )
    assert chips(window)[focused.name] == "rejected"

    qtbot.keyClick(grid, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(
        lambda: stored(library_home, path).get(focused.name) == "suggested", timeout=WAIT
    )
    qtbot.waitUntil(lambda: chips(window).get(focused.name) == "suggested", timeout=10_000)
    assert chips(window)["red"] == "confirmed"

    # Right arrow: the next photo, whose chips replace these.
    qtbot.keyClick(grid, Qt.Key.Key_Right)
    assert grid.currentIndex().row() == row + 1
    qtbot.waitUntil(lambda: view.caption.text() != path, timeout=10_000)


def test_add_a_tag_with_completion_to_several_photos(library_home, open_window, qtbot):
    window = open_window(library_home)
    wait_rows(qtbot, window, 36)
    first = select(qtbot, window, "red_square.jpg")
    second = select(qtbot, window, "blue_square.jpg", Qt.KeyboardModifier.ControlModifier)
    model = window.library_page.model
    paths = [model.brief(first).path, model.brief(second).path]
    view = window.library_page.photo
    assert "2 photos selected" in view.caption.text()

    qtbot.keyClick(window.library_page.grid, Qt.Key.Key_T)
    assert view.add_field.hasFocus()
    completions = view.add_field.names.stringList()
    assert "Shape|square" in completions
    qtbot.keyClicks(view.add_field, "Shape|square")
    qtbot.keyClick(view.add_field, Qt.Key.Key_Return)
    for p in paths:
        qtbot.waitUntil(
            lambda p=p: stored(library_home, p).get("square") == "confirmed", timeout=WAIT
        )
    qtbot.waitUntil(lambda: chips(window).get("square") == "confirmed", timeout=10_000)
    label = next(b.text() for b in view.chips.buttons if b.chip.name == "square")
    assert label.startswith("✓ square") and "2/2" in label

    qtbot.keyClick(window.library_page.grid, Qt.Key.Key_T)
    assert choose_completion(qtbot, view.add_field, "favourite") == "Create tag “favourite”…"
    for p in paths:
        qtbot.waitUntil(
            lambda p=p: stored(library_home, p).get("favourite") == "confirmed", timeout=WAIT
        )
    window.activateWindow()  # the completion popup was the active window (offscreen)
    qtbot.waitUntil(lambda: window.library_page.grid.hasFocus(), timeout=5_000)
    qtbot.keyClick(window.library_page.grid, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    for p in paths:  # one undo takes it off the whole selection
        qtbot.waitUntil(lambda p=p: "favourite" not in stored(library_home, p), timeout=WAIT)


def test_chip_looks_tell_the_states_apart():
    from clipdesk.tagging.store import Chip

    looks = {
        chip_kind(c): chip_text(c)
        for c in (
            Chip(1, "Colour|red", "suggested", "model", 0.823),
            Chip(2, "Colour|blue", "confirmed", "user", 0.9),
            Chip(3, "Shape|circle", "rejected", "user", 0.6),
            Chip(4, "Trips|Rome", "confirmed", "imported", None),
        )
    }
    assert looks == {
        "suggested": "red  82%",
        "confirmed": "✓ blue",
        "rejected": "✕ circle",
        "imported": "⤓ Rome",
    }


def test_typing_takes_a_completion_and_never_invents_a_tag(library_home, open_window, qtbot):
    window = open_window(library_home)
    wait_rows(qtbot, window, 36)
    row = select(qtbot, window, "red_square.jpg")
    path = window.library_page.model.brief(row).path
    view = window.library_page.photo
    messages = []
    window.tagging_controller.message.connect(messages.append)

    before = tag_paths(library_home)
    qtbot.keyClick(window.library_page.grid, Qt.Key.Key_T)
    qtbot.keyClicks(view.add_field, "Squ")  # several tags contain it, none is named so
    qtbot.keyClick(view.add_field, Qt.Key.Key_Return)
    assert "is not a tag" in messages[-1] and view.add_field.text() == "Squ"
    assert view.add_field.names.stringList()[-1] == "Create tag “Squ”…"
    view.add_field.clear()

    chosen = choose_completion(qtbot, view.add_field, "squ", Qt.Key.Key_Down)  # highlighted
    assert chosen in before  # an existing tag: the first completion
    leaf = chosen.rsplit("|", 1)[-1]
    qtbot.waitUntil(lambda: stored(library_home, path).get(leaf) == "confirmed", timeout=WAIT)
    assert tag_paths(library_home) == before  # nothing was created

    qtbot.keyClick(window.library_page.grid, Qt.Key.Key_T)
    choose_completion(qtbot, view.add_field, "Mood|Calm")  # explicitly: "Create tag"
    qtbot.waitUntil(lambda: stored(library_home, path).get("Calm") == "confirmed", timeout=WAIT)
    after = tag_paths(library_home)
    assert {"Mood", "Mood|Calm"} <= after, sorted(after - before)
    window.activateWindow()  # the completion popup was the active window (offscreen)
    qtbot.waitUntil(lambda: window.library_page.grid.hasFocus(), timeout=5_000)
    qtbot.keyClick(window.library_page.grid, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: "Calm" not in stored(library_home, path), timeout=WAIT)
    # the tags it made went too
    qtbot.waitUntil(lambda: tag_paths(library_home) == before, timeout=WAIT)

    # "Create tag" as the only completion: Enter takes it (issue 31); Escape gives up.
    qtbot.keyClick(window.library_page.grid, Qt.Key.Key_T)
    qtbot.keyClicks(view.add_field, "Red dot")
    qtbot.keyClick(view.add_field, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: stored(library_home, path).get("Red dot") == "confirmed", timeout=WAIT)
    window.activateWindow()
    qtbot.keyClick(window.library_page.grid, Qt.Key.Key_T)
    qtbot.keyClicks(view.add_field, "Half")
    popup = view.add_field.completer().popup()
    if popup.isVisible():  # the first Escape closes the completions
        qtbot.keyClick(popup, Qt.Key.Key_Escape)
    cancelled = []
    view.add_field.cancelled.connect(lambda: cancelled.append(True))
    qtbot.keyClick(view.add_field, Qt.Key.Key_Escape)
    assert view.add_field.text() == "" and cancelled


def test_a_tag_name_no_tag_may_have_is_said_at_the_field(library_home, open_window, qtbot):
    """ "Create tag" with a name over the length limit: the field's message says why, nothing is
    created, and the window keeps working (issue 13, item 6)."""
    window = open_window(library_home)
    wait_rows(qtbot, window, 36)
    row = select(qtbot, window, "red_square.jpg")
    path = window.library_page.model.brief(row).path
    view = window.library_page.photo
    messages = []
    window.tagging_controller.message.connect(messages.append)

    before = tag_paths(library_home)
    qtbot.keyClick(window.library_page.grid, Qt.Key.Key_T)
    chosen = choose_completion(qtbot, view.add_field, "Trips|" + "x" * 210)  # "Create tag"
    assert chosen.startswith("Create tag")
    qtbot.waitUntil(lambda: bool(messages), timeout=WAIT)
    assert any("longer than 200 characters (the limit)" in m for m in messages), messages
    assert not any(m.startswith("Added") for m in messages), messages
    qtbot.wait(300)
    assert window.banner.text("job") is None  # one message at the field, not a failed job
    assert tag_paths(library_home) == before and "Trips" not in stored(library_home, path)
