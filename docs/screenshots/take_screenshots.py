"""Screenshots of each main view for the README, taken from the real app.

Run under a real X server with a window manager (not Qt's offscreen platform, which has no
real fonts, styles or window placement), once per screen size:

    Xvfb :5 -screen 0 1280x800x24 & DISPLAY=:5 openbox &
    DISPLAY=:5 .venv/bin/python docs/screenshots/take_screenshots.py --screen 1280x800

It builds a library of generated photos in a temporary home, indexes them with the project's
test model (ONNX Runtime), makes a few decisions, then opens the window at the size it picks
for that screen and takes the whole screen (window manager decorations, dialogs over the
window) for each view into docs/screenshots/WxH/*.png. Without --screen it grabs the
window alone into docs/screenshots/*.png.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

OUT = Path(__file__).resolve().parent
REPO = OUT.parents[1]
sys.path.insert(0, str(REPO))
os.environ.setdefault("HF_HUB_OFFLINE", "1")  # nothing here downloads

from PySide6.QtWidgets import QApplication, QWidget  # noqa: E402

from clipdesk.catalog import Catalog  # noqa: E402
from clipdesk.gui.app import application, create_window  # noqa: E402
from clipdesk.home import app_paths  # noqa: E402
from clipdesk.ops.folders import add_folders  # noqa: E402
from clipdesk.pipeline import steps  # noqa: E402
from clipdesk.pipeline.library import Library  # noqa: E402
from clipdesk.tagging.corrections import decide  # noqa: E402
from clipdesk.tagging.store import TagStore  # noqa: E402
from clipdesk.testing.synthetic import write_folder  # noqa: E402

SHAPES_VOCAB = REPO / "tests" / "data" / "shapes_vocabulary.yaml"
SIZE = (1400, 860)


def wait(app: QApplication, until, timeout: float = 120) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        app.processEvents()
        if until():
            return
        time.sleep(0.01)
    raise TimeoutError("the window never got there")


def settle(app: QApplication, seconds: float = 0.6) -> None:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        app.processEvents()
        time.sleep(0.01)


SHOTS = {"dir": OUT, "screen": False}


def save(widget: QWidget, name: str) -> None:
    path = SHOTS["dir"] / f"{name}.png"
    if SHOTS["screen"]:  # the whole screen, as the user sees it
        subprocess.run(["import", "-window", "root", str(path)], check=True)
    else:
        widget.grab().save(str(path))
    print("wrote", path)


PHOTOS = 72 + 9  # the shapes, and three of them copied three ways (the Duplicates page)


def _copies(photos: Path, dest: Path) -> None:
    """Half-size, recompressed and 10%-cropped copies of three photos."""
    from PIL import Image

    dest.mkdir(parents=True)
    for src in sorted(photos.glob("*.jpg"))[3:6]:
        im = Image.open(src)
        w, h = im.size
        im.resize((w // 2, h // 2)).save(dest / f"{src.stem} (small).jpg", quality=90)
        im.save(dest / f"{src.stem} (email).jpg", quality=40)
        im.crop((w // 20, h // 20, w - w // 20, h - h // 20)).save(
            dest / f"{src.stem} (cropped).jpg", quality=90
        )


def build_library(root: Path) -> Path:
    photos = root / "Photos" / "Shapes 2024"
    write_folder(photos, 72, seed=11)
    _copies(photos, root / "Photos" / "Web exports")
    home = root / "home"
    with Catalog(app_paths(home).catalog) as catalog:  # before the library seeds its own
        store = TagStore(catalog)
        store.import_file(SHAPES_VOCAB)
        store.seed_default()  # marks the catalog seeded: the shapes vocabulary stays alone
    lib = Library(home, model="test", backend="onnx")
    try:
        lib.remember_engine()
        store = TagStore(lib.catalog)
        add_folders(lib, [photos, root / "Photos" / "Web exports"])
        steps.index(lib)
        rows = lib.catalog.conn.execute("SELECT id, path FROM photos ORDER BY path").fetchall()
        tags = {t.name: t.id for t in store.all()}
        rows = [r for r in rows if "Web exports" not in r[1]]
        for photo_id, path in rows[:30]:
            colour = Path(path).stem.split("_")[1]
            decide(lib.catalog, [photo_id], tags[colour], "confirmed")
        decide(lib.catalog, [rows[0][0]], tags["square"], "rejected")
        lib.tagger.retrain()
        lib.tagger.rescore()
    finally:
        lib.close()
    return home


class Zeros:
    """A large weights file that is never finished, served without holding it in memory."""

    sha256 = "ab" * 32

    def __init__(self, size: int):
        self.size = size

    def __len__(self) -> int:
        return self.size

    def __getitem__(self, part: slice) -> bytes:
        return bytes(len(range(*part.indices(self.size))))


def download_shots(app: QApplication, root: Path, screen: bool) -> None:
    """A first run with the recommended model, its download in progress (from a local, slow
    model hub laid out like huggingface.co), then cancelled: the message with its ways on."""
    from clipdesk.pipeline.scanner import scan
    from clipdesk.settings import DEFAULT_MODEL
    from tests.support.model_hub import WEIGHTS, HubServer

    photos = root / "Photos" / "Holiday 2024"
    write_folder(photos, 48, seed=5)
    home = root / "download-home"
    with Catalog(app_paths(home).catalog) as catalog:  # found and shown, not yet tagged
        catalog.add_folder(photos)
        scan(catalog, None)
    hub = HubServer("laion/CLIP-ViT-B-32-256x256-DataComp-s34B-b86K", {WEIGHTS: Zeros(605_200_000)})
    hub.delay = 0.012  # about 5 MB/s
    os.environ.pop("HF_HUB_OFFLINE", None)
    os.environ["HF_ENDPOINT"] = hub.url
    try:
        w = create_window(home, model=DEFAULT_MODEL, backend="onnx", watch=False)
        if not screen:
            w.resize(*SIZE)
        w.show()
        wait(app, lambda: w.library_page.model.rowCount() == 48)
        row = w.download_row
        wait(app, lambda: row.isVisible() and "left" in row.label.text() and hub.sent > 30e6, 400)
        settle(app, 1.0)
        save(w, "download")
        row.cancel_button.click()
        wait(app, lambda: w.banner.text("model") is not None)
        settle(app, 1.0)
        save(w, "download-cancelled")
        w.close()
    finally:
        hub.close()
        os.environ["HF_HUB_OFFLINE"] = "1"


def duplicates_shot(app: QApplication, w) -> None:
    """The Duplicates page with its groups found, the first group shown."""
    w.show_page(w.duplicates_page)
    w.duplicates_page.find_button.click()
    wait(app, lambda: w.duplicates_page.groups.count() > 0)
    settle(app, 1.5)
    save(w, "duplicates")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--screen", metavar="WxH", help="the X screen's size: grab it whole")
    ap.add_argument("--only", choices=["download", "duplicates"], help="take only these shots")
    args = ap.parse_args()
    if args.screen:
        SHOTS["dir"], SHOTS["screen"] = OUT / args.screen, True
        SHOTS["dir"].mkdir(exist_ok=True)
    app = application()
    app.setStyle("Fusion")
    root = Path(tempfile.mkdtemp(prefix="clipdesk-shots-"))
    try:
        if args.only in (None, "download"):
            download_shots(app, root, bool(args.screen))
        if args.only == "download":
            return
        first = (
            None
            if args.only
            else create_window(root / "empty-home", model="ViT-B-32-256:datacomp_s34b_b86k")
        )
        if first is not None:
            first._start_worker = lambda: None  # a first run, before anything downloads
            if not args.screen:
                first.resize(*SIZE)
            first.show()
            settle(app, 1.5)
            save(first, "welcome")
            first.close()

        home = build_library(root)
        w = create_window(home, model="test", backend="onnx", watch=False)
        if not args.screen:
            w.resize(*SIZE)
        w.show()
        wait(app, lambda: w.library_page.model.rowCount() == PHOTOS)
        model, grid = w.library_page.model, w.library_page.grid
        if args.only == "duplicates":
            duplicates_shot(app, w)
            return
        grid.setFocus()
        grid.setCurrentIndex(model.index(0))
        wait(app, lambda: bool(w.library_page.photo.chips.buttons))
        wait(app, lambda: w.library_page.sidebar.tags.topLevelItemCount() > 0)
        for r in range(w.library_page.sidebar.tags.topLevelItemCount()):
            w.library_page.sidebar.tags.topLevelItem(r).setExpanded(True)
        settle(app, 2.0)
        save(w, "library")

        w.library_page.search.field.setText("red circle")
        w.library_page.search.field.returnPressed.emit()
        wait(app, lambda: model.score(0) is not None if model.rowCount() else False)
        settle(app, 1.5)
        save(w, "search")
        w.library_page.search.clear()
        wait(app, lambda: model.rowCount() == PHOTOS and model.score(0) is None)

        grid.setCurrentIndex(model.index(4))
        w.library_page.set_large(True)
        settle(app, 1.5)
        save(w, "photo")
        w.library_page.set_large(False)

        w.show_page(w.review_page)
        wait(app, lambda: w.review_page.question.text().startswith("Is this"))
        wait(app, lambda: w.review_page.learned.rowCount() > 0)
        settle(app, 1.5)
        save(w, "review")

        w.show_page(w.vocab_page)
        w.vocab_controller.select("Shape|triangle")
        w.vocab_page.prompts.setPlainText("a yellow triangle")
        wait(app, lambda: w.vocab_page.strip.strip_model().rowCount() > 0)
        settle(app, 2.0)
        save(w, "vocabulary")
        w.vocab_controller.revert()

        w.show_page(w.library_page)
        grid.selectAll()
        dialog = w.open_export()
        dialog.check_button.click()
        wait(app, lambda: dialog.summary.text().startswith(("Dry run", "Nothing")))
        settle(app, 0.5)
        save(dialog, "export")
        dialog.close()

        settings = w.open_settings()
        settle(app, 0.8)
        save(settings, "settings")
        settings.reject()
        duplicates_shot(app, w)
        w.close()
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
