"""The main window: composes the pages and routes the worker's reports. Behaviour lives in
the controllers, layout in the page widgets."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QByteArray, QSize
from PySide6.QtGui import QAction, QActionGroup, QCloseEvent, QKeySequence, QShowEvent
from PySide6.QtWidgets import (
    QMainWindow,
    QMessageBox,
    QStackedWidget,
    QToolBar,
    QVBoxLayout,
    QWidget,
)

from clipdesk.catalog import browse
from clipdesk.catalog.faults import catalog_problem
from clipdesk.gui.adapters.face_crops import FaceCrops
from clipdesk.gui.adapters.grid_model import PhotoGridModel
from clipdesk.gui.adapters.model_choices import choice_for
from clipdesk.gui.adapters.session import Session
from clipdesk.gui.controllers import shortcuts
from clipdesk.gui.controllers.albums_controller import AlbumsController
from clipdesk.gui.controllers.browse_controller import BrowseController
from clipdesk.gui.controllers.duplicates_controller import DuplicatesController
from clipdesk.gui.controllers.face_boxes_controller import FaceBoxesController
from clipdesk.gui.controllers.marks_controller import MarksController
from clipdesk.gui.controllers.people_controller import PeopleController
from clipdesk.gui.controllers.review_controller import ReviewController
from clipdesk.gui.controllers.tagging_controller import TaggingController
from clipdesk.gui.controllers.vocab_controller import VocabController
from clipdesk.gui.controllers.vocabulary_offer import VocabularyOffer
from clipdesk.gui.views.about import about_html
from clipdesk.gui.views.banner import Banner
from clipdesk.gui.views.banner_text import reason_html
from clipdesk.gui.views.download_row import DownloadRow
from clipdesk.gui.views.duplicates_page import DuplicatesPage
from clipdesk.gui.views.export_dialog import ExportDialog
from clipdesk.gui.views.library_page import LibraryPage
from clipdesk.gui.views.people_page import PeoplePage
from clipdesk.gui.views.review_view import ReviewView
from clipdesk.gui.views.settings_dialog import SettingsDialog
from clipdesk.gui.views.status_bar import StatusBar
from clipdesk.gui.views.vocab_editor import VocabEditor
from clipdesk.gui.views.welcome import WelcomePage
from clipdesk.progress import Phase, Progress
from clipdesk.worker.events import EventKind, WorkerEvent


class MainWindow(QMainWindow):
    def __init__(self, session: Session):
        super().__init__()
        self.session = s = session
        self.setWindowTitle("ClipDesk")
        self._fit_to_screen(QSize(1320, 820))
        self.welcome_page = WelcomePage(self)
        self.library_page = LibraryPage(s.reader, s.thumbs, s.prefs.thumbnail_size, self)
        self.review_page = ReviewView(self)
        self.vocab_page = VocabEditor(PhotoGridModel(s.reader.catalog, s.thumbs, self), self)
        self.duplicates_page = DuplicatesPage(self)
        self.face_crops = FaceCrops(s.thumbs.cache.path_for, parent=self)
        self.people_page = PeoplePage(self.face_crops, self)
        self.pages = QStackedWidget(self)
        for page in (
            self.welcome_page,
            self.library_page,
            self.review_page,
            self.vocab_page,
            self.duplicates_page,
            self.people_page,
        ):
            self.pages.addWidget(page)
        self.banner = Banner(self)
        self.download_row = DownloadRow(self)
        self.download_row.cancel_requested.connect(s.bridge.cancel_download)
        central = QWidget(self)
        column = QVBoxLayout(central)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(0)
        column.addWidget(self.banner)
        column.addWidget(self.download_row)
        column.addWidget(self.pages, 1)
        self.setCentralWidget(central)
        self.status = StatusBar(self)
        self.setStatusBar(self.status)
        self.status.set_model(choice_for(s.engine.model_name).name, s.engine.describe())

        lib = self.library_page
        self.browse_controller = BrowseController(lib, s.reader, s.bridge, s.thumbs, s.cache)
        self.tagging_controller = TaggingController(lib.photo, lib.grid, s.reader, s.bridge, lib)
        self.review_controller = ReviewController(self.review_page, s.reader, s.bridge)
        self.vocab_controller = VocabController(self.vocab_page, s.reader, s.bridge, s.cache)
        self.duplicates_controller = DuplicatesController(
            self.duplicates_page, s.bridge, s.thumbs.cache.path_for
        )
        self.people_controller = PeopleController(
            self.people_page, s.bridge, self.face_crops, lambda: self.session.settings.faces
        )
        self.marks_controller = MarksController(lib, s.bridge)
        self.albums_controller = AlbumsController(lib, s.reader, s.bridge, self.browse_controller)
        self.marks_controller.marks_changed.connect(self.browse_controller.marks_changed)
        self.marks_controller.marks_changed.connect(self.albums_controller.photos_changed)
        self.face_boxes = FaceBoxesController(lib, s.bridge)
        self.face_boxes.people_changed.connect(self.people_controller.faces_found)
        self.vocabulary_offer = VocabularyOffer(
            self.banner, s.bridge, s.reader, s.engine.model_name, self
        )
        self.vocabulary_offer.vocabulary_changed.connect(self.vocab_controller.load)
        for c in (
            self.browse_controller,
            self.tagging_controller,
            self.marks_controller,
            self.albums_controller,
            self.review_controller,
            self.vocab_controller,
            self.duplicates_controller,
            self.people_controller,
            self.face_boxes,
            self.vocabulary_offer,
        ):
            c.message.connect(lambda text: self.status.showMessage(text, 6000))
        self.tagging_controller.similar_requested.connect(self._similar)
        lib.grid.open_requested.connect(lambda _: lib.set_large(True))
        lib.photo.leave_requested.connect(lambda: lib.set_large(False))
        self.browse_controller.counts_changed.connect(self.status.set_counts)
        self.browse_controller.shown_changed.connect(self.status.set_shown)
        self.browse_controller.folders_changed.connect(self._folders_changed)
        self.welcome_page.folder_chosen.connect(self._first_folder)
        self.welcome_page.settings_requested.connect(self.open_settings)
        self._show_plan()
        self.status.pause_toggled.connect(lambda p: s.bridge.pause() if p else s.bridge.resume())
        s.bridge.progress.connect(self._progress)
        self._route = self._routes()
        s.bridge.event.connect(self._event)
        s.bridge.failed.connect(lambda text: self.banner.show_message("job", f"Problem: {text}"))
        self._make_actions()
        self._restore()
        self.pages.currentChanged.connect(self._page_shown)
        self.pages.setCurrentWidget(self.library_page if s.reader.exists else self.welcome_page)
        self._page_shown()
        self._started = self._closed = False

    def _show_plan(self) -> None:
        s = self.session
        e = s.engine
        self.welcome_page.set_plan(e.model_name, e.backend, e.int8, s.paths.model_weights)

    def _make_actions(self) -> None:
        bar = QToolBar("Pages", self)
        bar.setObjectName("pages")
        bar.setMovable(False)
        self.addToolBar(bar)
        group = QActionGroup(self)
        self.page_actions: dict[QWidget, QAction] = {}
        pages = (
            ("Library", self.library_page),
            ("Review", self.review_page),
            ("Vocabulary", self.vocab_page),
            ("Duplicates", self.duplicates_page),
            ("People", self.people_page),
        )
        for key, (text, page) in enumerate(pages, 1):
            action = QAction(text, self, checkable=True)
            action.setShortcut(QKeySequence(f"Ctrl+{key}"))
            action.triggered.connect(lambda _=False, p=page: self.show_page(p))
            group.addAction(action)
            bar.addAction(action)
            self.page_actions[page] = action
        bar.addSeparator()
        file_menu = self.menuBar().addMenu("&File")
        for text, keys, slot in (
            ("Add folder…", "Ctrl+O", self.browse_controller.choose_folder),
            ("Export sidecars…", "Ctrl+E", self.open_export),
            ("Settings…", "Ctrl+,", self.open_settings),
            ("Quit", "Ctrl+Q", self.close),
        ):
            action = QAction(text, self)
            action.setShortcut(QKeySequence(keys))
            action.triggered.connect(slot)
            file_menu.addAction(action)
            if text != "Quit":
                bar.addAction(action)
        view = self.menuBar().addMenu("&View")
        for action in self.page_actions.values():
            view.addAction(action)
        help_menu = self.menuBar().addMenu("&Help")
        help_menu.addAction(
            "Keyboard shortcuts",
            lambda: QMessageBox.information(self, "Keyboard shortcuts", shortcuts.HELP),
        )
        help_menu.addAction("About ClipDesk", self.show_about)

    def about_text(self) -> str:
        return about_html(self.session.engine)

    def show_about(self) -> None:
        QMessageBox.about(self, "About ClipDesk", self.about_text())

    def _page_shown(self, *_) -> None:  # the Library's counts are not another page's
        self.status.show_counts(self.pages.currentWidget() is self.library_page)

    def show_page(self, page: QWidget) -> None:
        if self.pages.currentWidget() is self.review_page and page is not self.review_page:
            self.review_controller.deactivate()
        if page is not self.people_page:
            self.people_controller.deactivate()
        self.pages.setCurrentWidget(page)
        for shown, action in self.page_actions.items():
            action.setChecked(shown is page)
        if page is self.review_page:
            self.review_controller.activate()
        elif page is self.vocab_page:
            self.vocab_controller.load()
        elif page is self.people_page:
            self.people_controller.activate()
        elif page is self.library_page:
            self.library_page.grid.setFocus()

    # -- start-up and the worker's reports --------------------------------------------------

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if not self._started:
            self._started = True
            self.session.reader.notify_changed(now=True)  # the grid fills from the catalog
            # Start the worker once the window is on screen and its modules are imported
            # (in a thread, as the window was built); the model loads in the worker's thread.
            self.session.bridge.prepare(self._start_worker)

    def _start_worker(self) -> None:
        problem = catalog_problem(self.session.paths.catalog)
        if problem is not None:  # damaged, too new, read-only: say so until it is fixed
            self.banner.show_message(
                "catalog",
                f"<b>Catalog problem.</b> {reason_html(problem)}",
                [("Check again", self.check_catalog_again)],
            )
            self.status.set_blocked("The catalog needs attention (see above)")
            return
        if self.session.bridge.start():
            self.session.reader.notify_changed()

    def check_catalog_again(self) -> None:
        """The user fixed the catalog (``clipdesk repair``, made it writable): look again, and
        when it is fine now, read it afresh and start as a normal start does."""
        if catalog_problem(self.session.paths.catalog) is None:
            self.status.set_blocked(None)
            self.session.reader.reopen()  # a connection opened on the old file sees that one
            self.session.reader.notify_changed(now=True)
        self._start_worker()  # still wrong: the banner comes back with what is wrong now

    def _progress(self, p: Progress) -> None:
        if p.phase == Phase.DOWNLOAD:  # its own row: the status bar goes on with the photos
            self.download_row.show_progress(p)
            self.status.set_blocked("Downloading the model: photos are tagged once it is in")
            return
        self.status.show_progress(p)
        if p.phase == Phase.IDLE:
            self.browse_controller.worker_idle()

    def _routes(self) -> dict[EventKind, Callable[[WorkerEvent], None]]:
        """Where each kind of report goes: to what it changes, with its ids."""
        browse = self.browse_controller

        def photos(e: WorkerEvent) -> None:
            browse.photos_changed(e.photo_ids)

        def folder(e: WorkerEvent) -> None:
            self._folder_event(e)
            browse.folders_changed_on_disk()

        return {
            EventKind.PHOTO_ADDED: photos,
            EventKind.PHOTO_CHANGED: photos,
            EventKind.PHOTO_MOVED: photos,
            EventKind.PHOTO_MISSING: photos,
            EventKind.PHOTO_RESTORED: photos,
            EventKind.PHOTO_FAILED: photos,
            EventKind.PHOTO_INDEXED: self._indexed,
            EventKind.THUMBNAILS_READY: lambda e: browse.thumbnails_made(e.photo_ids),
            EventKind.TAGS_CHANGED: self._tags_changed,
            EventKind.MARKS_CHANGED: self._marks_changed,
            EventKind.ALBUMS_CHANGED: lambda e: self.albums_controller.load(),
            EventKind.FACES_FOUND: self._faces_found,
            EventKind.FOLDER_MISSING: folder,
            EventKind.FOLDER_RESTORED: folder,
            EventKind.MODEL_UNAVAILABLE: self._model_event,
            EventKind.DOWNLOAD_FINISHED: self._model_event,
            EventKind.ERROR: self._job_failed,
            EventKind.BACKEND_FALLBACK: self._backend_fallback,
        }  # WATCH_MODE and IDLE change nothing shown (idle comes as progress too)

    def _event(self, e: WorkerEvent) -> None:
        route = self._route.get(e.kind)
        if route is not None:
            route(e)

    def _model_works(self) -> None:
        self.banner.clear("model")
        self.status.set_blocked(None)
        self.status.set_failed(None)

    def _job_failed(self, e: WorkerEvent) -> None:
        """A background job failed: the banner says what; the status bar, while photos
        wait, that they do and why. (A report about some photos' files, with a path, is no
        job that failed.)"""
        self.banner.show_message(f"error:{e.message}", f"Problem: {e.message}")
        if e.path is None:
            self.status.set_failed("a background job failed")

    def _backend_fallback(self, e: WorkerEvent) -> None:
        """The model runs elsewhere than it would (torch is installed but broken): say why
        and what repairs it, until dismissed; the model's label says where it runs."""
        engine = self.session.engine
        why = reason_html(e.message or "")
        self.banner.show_message("backend", f"<b>Running on the CPU.</b> {why}")
        self.status.set_model(choice_for(engine.model_name).name, engine.describe())

    def _indexed(self, e: WorkerEvent) -> None:
        self._model_works()
        self.browse_controller.photos_changed(e.photo_ids)

    def _tags_changed(self, e: WorkerEvent) -> None:  # the user's tags too: not the model's
        self.browse_controller.tags_changed(e.photo_ids)
        self.albums_controller.photos_changed()
        self.tagging_controller.tags_changed(e.photo_ids)
        self.review_controller.tags_changed()
        self.people_controller.tags_changed(e.tag_ids)
        self.face_boxes.faces_changed(e.photo_ids)

    def _marks_changed(self, e: WorkerEvent) -> None:  # the albums' counts follow
        self.marks_controller.refresh(e.photo_ids)

    def _faces_found(self, e: WorkerEvent) -> None:
        self.people_controller.faces_found(e.photo_ids)
        self.face_boxes.faces_changed(e.photo_ids)

    def _model_event(self, e: WorkerEvent) -> None:
        self.download_row.finish()
        if e.kind == EventKind.MODEL_UNAVAILABLE:
            self._model_unavailable(e.message or "")
        else:
            self._model_works()
            self.status.showMessage("Model downloaded: tagging the photos", 10000)

    def _folder_event(self, e: WorkerEvent) -> None:
        if e.kind == EventKind.FOLDER_RESTORED:
            self.banner.clear(f"folder:{e.path}")
            return
        self.banner.show_message(
            f"folder:{e.path}",
            f"Folder not found (drive unplugged?): {e.path}. Its photos are kept, with "
            "their tags, and come back when the folder does.",
        )

    def _model_unavailable(self, why: str) -> None:
        """Photos wait for a model: say so until the user picks a way on."""
        self.status.set_blocked("Waiting for a model: photos are not tagged (see above)")
        self.banner.show_message(
            "model",
            f"<b>Photos wait for a model.</b> {reason_html(why)}",
            [
                ("Retry", lambda: self.session.bridge.restart(self.session.engine)),
                ("Choose a file…", self.open_settings),
                ("Use the test model", self.use_test_model),
            ],
        )

    def use_test_model(self) -> None:
        """The built-in test model (coloured shapes): to try the app without a download."""
        from dataclasses import replace

        self._apply_settings(replace(self.session.settings, model="test", backend="auto"))

    def _folders_changed(self, infos: list) -> None:
        current = self.pages.currentWidget()
        if not infos and current is self.library_page and not self.browse_controller.adding:
            self.pages.setCurrentWidget(self.welcome_page)
        elif infos and current is self.welcome_page:
            self.show_page(self.library_page)

    def _first_folder(self, path: str) -> None:
        self.browse_controller.add_folder(path)
        self.show_page(self.library_page)

    def _similar(self, photo_id: int) -> None:
        self.library_page.set_large(False)
        self.browse_controller.search_similar(photo_id)

    # -- dialogs -------------------------------------------------------------------------

    def open_export(self) -> ExportDialog:
        paths = []
        model, selected = self.library_page.model, self.library_page.grid.selected_ids()
        for pid in selected:  # one photo selected: the dialog still offers all by default
            row = model.row_of(pid)
            b = model.brief(row) if row is not None else None
            if b is not None:
                paths.append(b.path)
        s = self.session
        dialog = ExportDialog(s.bridge, s.settings, paths, self)
        dialog.open()
        return dialog

    def open_settings(self) -> SettingsDialog:
        s = self.session
        catalog = s.reader.catalog()
        folders = browse.folders(catalog) if catalog is not None else []
        dialog = SettingsDialog(s.settings, folders, self)
        dialog.add_folder_requested.connect(self.browse_controller.choose_folder)
        dialog.remove_folder_requested.connect(self._remove_folder)
        dialog.forget_faces_requested.connect(self.people_controller.forget_all)

        read = self.browse_controller.folders_changed  # the folders as the sidebar reads them
        read.connect(dialog.set_folders)
        dialog.finished.connect(lambda _: read.disconnect(dialog.set_folders))
        dialog.accepted.connect(lambda: self._settings_accepted(dialog))
        dialog.open()
        return dialog

    def _remove_folder(self, folder_id: int, path: str) -> None:
        self.session.bridge.remove_folder(
            folder_id, done=lambda _: self.session.reader.notify_changed(now=True)
        )

    def _settings_accepted(self, dialog: SettingsDialog) -> None:
        self._apply_settings(dialog.result_settings())

    def _apply_settings(self, settings) -> None:
        s = self.session
        faces_before = s.settings.faces
        restart = s.apply_settings(settings)
        if not restart and settings.faces != faces_before:
            self.people_controller.faces_switched()
        if restart:
            self.status.set_blocked(None)
            self.status.set_model(choice_for(s.engine.model_name).name, s.engine.describe())
            self._show_plan()
            self.status.showMessage(
                "Model changed: photos are tagged again in the background", 10000
            )
            self.vocabulary_offer.model_switched(s.engine.model_name)

    # -- state across restarts, and a clean exit ----------------------------------------------

    def _fit_to_screen(self, wanted: QSize) -> None:
        """Open at ``wanted`` size, or smaller, to fit the screen with room for its panels."""
        screen = self.screen().availableGeometry()
        size = wanted.boundedTo(QSize(screen.width() - 40, screen.height() - 60))
        self.resize(size)
        self.move(screen.center() - self.rect().center())

    def _restore(self) -> None:
        p = self.session.prefs
        if p.geometry:
            self.restoreGeometry(QByteArray.fromHex(p.geometry.encode()))
            screen = self.screen().availableGeometry()
            if not screen.contains(self.frameGeometry()):  # another, smaller screen now
                self._fit_to_screen(self.size())
        if p.splitter:
            self.library_page.splitter.restoreState(QByteArray.fromHex(p.splitter.encode()))

    def _save(self) -> None:
        p = self.session.prefs
        p.geometry = bytes(self.saveGeometry().toHex()).decode()
        p.splitter = bytes(self.library_page.splitter.saveState().toHex()).decode()
        p.thumbnail_size = self.library_page.search.size_slider.value()
        p.save(self.session.prefs_file)

    def closeEvent(self, event: QCloseEvent) -> None:
        """Save the window's state and stop every thread before the window goes."""
        if self._closed:
            event.accept()
            return
        self._closed = True
        self._save()
        self.hide()
        for c in (
            self.browse_controller,
            self.albums_controller,
            self.review_controller,
            self.vocab_controller,
            self.people_controller,
        ):
            c.shutdown()
        self.face_crops.close()
        for preview in (self.library_page.photo.preview, self.review_page.preview):
            preview.close_loader()
        self.session.close()
        event.accept()
