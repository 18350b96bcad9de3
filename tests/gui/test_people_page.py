"""The People page over real faces found by the real worker (issue 27): two unnamed groups;
one named (its faces confirmed, People|Name in the tag tree, filtering the grid); new photos
of her suggested and reviewed with A and R; Ctrl+Z; a merge and its undo; the face boxes on
the large view; the Settings switch and "Forget all face data"."""

from __future__ import annotations

import json
from pathlib import Path

from PIL import Image, ImageOps
from PySide6.QtCore import QByteArray, QMimeData, QPointF, Qt
from PySide6.QtGui import QDropEvent

from clipdesk.catalog import Catalog
from clipdesk.gui.views.people_page import PERSON_MIME
from clipdesk.pipeline.scanner import scan
from tests.support.faces import group_photo, portrait
from tests.support.gui import WAIT, click_tag, select, tag_items, wait_rows


def write_photos(folder: Path) -> None:
    """Each portrait, mirrored and at half size, and the group photo of both (six faces of
    each person in all)."""
    folder.mkdir()
    for person in ("astronaut", "grace_hopper"):
        im = portrait(person)
        im.save(folder / f"{person}.jpg", quality=92)
        ImageOps.mirror(im).save(folder / f"{person}_mirror.jpg", quality=92)
        im.resize((im.width // 2, im.height // 2)).save(folder / f"{person}_half.jpg")
    group_photo()[0].save(folder / "group.jpg", quality=92)


def faces(home: Path) -> list[tuple]:
    """(file name, person's name or None, state) of every face, with the rejections."""
    with Catalog(home / "data" / "catalog.sqlite3", readonly=True) as cat:
        rows = cat.conn.execute(
            "SELECT p.path, t.name, f.state FROM faces f JOIN photos p ON p.id = f.photo_id "
            "LEFT JOIN people pe ON pe.id = f.person_id LEFT JOIN tags t ON t.id = pe.tag_id "
            "ORDER BY f.id"
        ).fetchall()
        rejected = cat.conn.execute("SELECT COUNT(*) FROM face_rejections").fetchone()[0]
    return [(Path(p).name, n, s) for p, n, s in rows], rejected


def tiles(view) -> list[str]:
    model = view.model()
    return [model.data(model.index(r)) for r in range(model.rowCount())]


def click(qtbot, view, row: int) -> None:
    index = view.model().index(row)
    view.scrollTo(index)
    qtbot.mouseClick(
        view.viewport(), Qt.MouseButton.LeftButton, pos=view.visualRect(index).center()
    )


def test_people_page_names_reviews_merges_and_undoes(home, tmp_path, open_window, qtbot):
    photos = tmp_path / "photos"
    write_photos(photos)
    with Catalog(home / "data" / "catalog.sqlite3") as cat:
        cat.add_folder(photos)
        scan(cat, None)
    window = open_window(home)
    wait_rows(qtbot, window, 7)
    page, ctl = window.people_page, window.people_controller
    qtbot.keyClick(window, Qt.Key.Key_5, Qt.KeyboardModifier.ControlModifier)
    assert window.pages.currentWidget() is page

    # The worker finds the faces after tagging: two unnamed groups, of six faces each.
    qtbot.waitUntil(lambda: len(tiles(page.people)) == 2, timeout=WAIT)
    qtbot.waitUntil(lambda: sum(p.faces for p in ctl.people) == 12, timeout=WAIT)
    assert all(t.startswith("Unnamed (6 faces)") for t in tiles(page.people)), tiles(page.people)
    assert "0 people named · 2 unnamed groups" in page.summary.text()

    # Choose the astronaut's group and name it (F2): her faces are confirmed.
    def astronaut_shown() -> bool:
        return (
            bool(ctl.faces)
            and all(Path(f.path).name.startswith(("astronaut", "group")) for f in ctl.faces)
            and any(Path(f.path).name.startswith("astronaut") for f in ctl.faces)
        )

    click(qtbot, page.people, 0)
    qtbot.waitUntil(lambda: len(ctl.faces) == 6, timeout=WAIT)
    if not astronaut_shown():
        click(qtbot, page.people, 1)
        qtbot.waitUntil(astronaut_shown, timeout=WAIT)
    assert len(tiles(page.faces)) == 6
    qtbot.keyClick(page.people, Qt.Key.Key_F2)
    dialog = ctl.dialog
    assert dialog.isVisible() and dialog.windowTitle() == "Name"
    qtbot.keyClicks(dialog.field, "Eileen Collins")
    assert "People › Eileen Collins" in dialog.note.text()  # as the tag tree writes it
    qtbot.mouseClick(dialog.buttons.buttons()[0], Qt.MouseButton.LeftButton)  # OK
    qtbot.waitUntil(lambda: tiles(page.people)[0].startswith("Eileen Collins"), timeout=WAIT)
    qtbot.waitUntil(lambda: all(t.startswith("✓ confirmed") for t in tiles(page.faces)))
    found, _ = faces(home)
    hers = [f for f in found if f[1] == "Eileen Collins"]
    assert len(hers) == 6 and {s for _, _, s in hers} == {"confirmed"}
    assert page.title.text() == "Eileen Collins"

    # Naming another group Eileen Collins would merge them: the dialog says so.
    click(qtbot, page.people, 1)
    qtbot.waitUntil(lambda: page.title.text() == "Unnamed group", timeout=WAIT)
    qtbot.mouseClick(page.name_button, Qt.MouseButton.LeftButton)
    qtbot.keyClicks(ctl.dialog.field, "eileen collins")
    assert "is a person already" in ctl.dialog.note.text()
    ctl.dialog.reject()

    # Two new photos of her: the worker suggests their faces for Eileen Collins.
    im = portrait("astronaut")
    im.rotate(8, resample=Image.Resampling.BILINEAR).save(photos / "astronaut_rot.jpg")
    im.save(photos / "astronaut_q35.jpg", quality=35)
    window.session.bridge.request_index()

    def eileen():
        return next((p for p in ctl.people if p.name == "Eileen Collins"), None)

    qtbot.waitUntil(lambda: eileen() is not None and eileen().suggested == 2, timeout=WAIT)
    click(qtbot, page.people, 0)
    qtbot.waitUntil(lambda: page.review_button.isEnabled(), timeout=WAIT)

    # "Is this Eileen Collins?": A confirms the first, R rejects the second; Ctrl+Z undoes.
    qtbot.keyClick(page.people, Qt.Key.Key_Space)
    review = page.review
    qtbot.waitUntil(lambda: review.question.text().startswith("Is this"), timeout=WAIT)
    assert "Eileen Collins" in review.question.text() and "1 of 2" in review.position.text()
    qtbot.waitUntil(lambda: review.photo.visible_faces() != [], timeout=WAIT)  # its box
    first, second = ctl.queue
    qtbot.keyClick(review, Qt.Key.Key_A)
    assert "2 of 2" in review.position.text()
    qtbot.keyClick(review, Qt.Key.Key_R)
    qtbot.waitUntil(lambda: faces(home)[1] == 1, timeout=WAIT)
    found, _ = faces(home)
    assert sum(1 for f in found if f[1] == "Eileen Collins" and f[2] == "confirmed") == 7
    qtbot.keyClick(review, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert "2 of 2" in review.position.text()  # back to the undone question
    qtbot.waitUntil(lambda: faces(home)[1] == 0, timeout=WAIT)
    qtbot.keyClick(review, Qt.Key.Key_A)  # yes, this time
    assert "last of these: 2 decisions" in review.question.text()
    qtbot.keyClick(review, Qt.Key.Key_Right)  # look for more: none left
    qtbot.waitUntil(lambda: "Nothing left to review" in review.question.text(), timeout=WAIT)
    qtbot.keyClick(review, Qt.Key.Key_Escape)
    assert not page.reviewing

    # Name the other group too; merge her into Eileen Collins (Merge into… and a choice),
    # take it back, then again by a drop of one tile on the other, and take that back.
    qtbot.waitUntil(lambda: len(tiles(page.people)) == 2, timeout=WAIT)
    click(qtbot, page.people, 1)
    qtbot.waitUntil(lambda: page.title.text() == "Unnamed group", timeout=WAIT)
    qtbot.keyClick(page.people, Qt.Key.Key_F2)
    qtbot.keyClicks(ctl.dialog.field, "Grace Hopper")
    ctl.dialog.accept()
    qtbot.waitUntil(lambda: tiles(page.people)[1].startswith("Grace Hopper"), timeout=WAIT)
    assert page.title.text() == "Grace Hopper"
    qtbot.mouseClick(page.merge_button, Qt.MouseButton.LeftButton)
    chooser = ctl.dialog
    target = next(t for t in chooser.comboBoxItems() if t.startswith("Eileen Collins"))
    chooser.setTextValue(target)
    chooser.accept()
    qtbot.waitUntil(lambda: len(tiles(page.people)) == 1, timeout=WAIT)
    assert eileen().faces == 14 and eileen().suggested == 0
    qtbot.mouseClick(page.undo_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: len(tiles(page.people)) == 2, timeout=WAIT)
    assert eileen().faces == 8 and tiles(page.people)[1].startswith("Grace Hopper")

    mime = QMimeData()
    mime.setData(PERSON_MIME, QByteArray(str(ctl.people[1].id).encode()))  # Grace Hopper
    drop = QDropEvent(
        QPointF(page.people.visualRect(page.people.model().index(0)).center()),
        Qt.DropAction.MoveAction,
        mime,
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
    )
    page.people.dropEvent(drop)
    qtbot.waitUntil(lambda: len(tiles(page.people)) == 1, timeout=WAIT)
    assert eileen().faces == 14
    qtbot.keyClick(page.people, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: len(tiles(page.people)) == 2, timeout=WAIT)

    # People|Eileen Collins is in the tag tree, and chooses her photos.
    qtbot.keyClick(window, Qt.Key.Key_1, Qt.KeyboardModifier.ControlModifier)
    tree = window.library_page.sidebar.tags
    qtbot.waitUntil(
        lambda: any(it.text(0) == "Eileen Collins" for it in tag_items(tree)), timeout=WAIT
    )
    person = next(it for it in tag_items(tree) if it.text(0) == "Eileen Collins")
    assert person.parent().text(0) == "People"
    person.parent().setExpanded(True)
    click_tag(qtbot, tree, "Eileen Collins")
    wait_rows(qtbot, window, 6)  # her three portraits, the group and the two new ones

    # The large view: a box per face on the group photo, with its name or "?".
    window.library_page.sidebar.clear_tag_filters()
    wait_rows(qtbot, window, 9)
    select(qtbot, window, "group.jpg")
    qtbot.keyClick(window.library_page.grid, Qt.Key.Key_Return)
    preview = window.library_page.photo.preview
    qtbot.waitUntil(lambda: len(preview.visible_faces()) == 6, timeout=WAIT)
    labels = sorted(f.label for f in preview.visible_faces())
    assert labels == ["Eileen Collins"] * 3 + ["Grace Hopper"] * 3
    assert not preview.image_rect().isEmpty()
    grace = next(f for f in preview.visible_faces() if f.name == "Grace Hopper")
    assert [a.text() for a in preview.menu_for(grace).actions()] == [
        "This is not Grace Hopper",
        "Someone else…",
    ]
    # "This is not Grace Hopper": the box loses her name (a "?" now).
    next(
        a for a in preview.menu_for(grace).actions() if a.text().startswith("This is not")
    ).trigger()
    qtbot.waitUntil(
        lambda: sorted(f.label for f in preview.visible_faces()).count("Grace Hopper") == 2,
        timeout=WAIT,
    )

    # Settings: the faces switch, and "Forget all face data" after a confirmation.
    dialog = window.open_settings()
    assert dialog.faces.isChecked()
    dialog.faces.setChecked(False)
    dialog.accept()
    assert window.session.settings.faces is False
    saved = json.loads((home / "config" / "settings.json").read_text())
    assert saved["faces"] is False
    dialog = window.open_settings()
    dialog.forget_faces_requested.emit()
    box = ctl.dialog
    forget = next(b for b in box.buttons() if b.text() == "Forget face data")
    qtbot.mouseClick(forget, Qt.MouseButton.LeftButton)
    dialog.reject()
    qtbot.waitUntil(lambda: faces(home)[0] == [], timeout=WAIT)
    qtbot.waitUntil(lambda: preview.visible_faces() == [], timeout=WAIT)
