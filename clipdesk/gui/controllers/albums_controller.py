"""The smart albums in the sidebar (ops/albums.py): read with how many photos each holds now,
shown in the grid when chosen, listed again when the browse controller says the one shown is
stale, saved from the search and filters in force, removed from their menu.

An album is a saved search: one without text is a listing, read here as browsing is; one with
text is a search, run on the worker (the model lives there) as the search bar's is.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtWidgets import QMessageBox

from clipdesk.catalog import Catalog, browse
from clipdesk.catalog import albums as album_store
from clipdesk.catalog.albums import Album, AlbumFilter
from clipdesk.catalog.browse import PhotoFilter
from clipdesk.gui.adapters.reader import CatalogReader
from clipdesk.gui.adapters.worker_bridge import WorkerBridge
from clipdesk.gui.controllers.browse_controller import SETTLE_MS, BrowseController
from clipdesk.gui.views.album_dialog import AlbumDialog
from clipdesk.gui.views.album_list import AlbumRow
from clipdesk.gui.views.library_page import LibraryPage
from clipdesk.gui.views.marks_badges import describe_filter
from clipdesk.gui.views.name_dialog import open_over
from clipdesk.ops import albums as album_ops
from clipdesk.tagging.store import TagStore


def holds(f: AlbumFilter, paths: dict[int, str]) -> str:
    """What an album (or a search about to be saved) asks for, in words."""
    parts = [f"“{f.text}”"] if f.text else []
    parts += [f"+{paths.get(t, t)}" for t in f.tags] + [f"−{paths.get(t, t)}" for t in f.no_tags]
    parts += describe_filter(f.min_stars, f.label, f.flag)
    if f.taken_from or f.taken_to:
        parts.append(f"taken {f.taken_from or '…'} to {f.taken_to or '…'}")
    return ", ".join(parts)


def _read(catalog: Catalog) -> list[AlbumRow]:
    """Every album, with how many photos it holds when that needs no model (off the GUI
    thread: each count is a listing)."""
    paths = TagStore(catalog).paths()
    rows = []
    for album in album_store.albums(catalog):
        flt = album_ops.photo_filter(album)
        n = None if album.filter.text else len(browse.photo_ids(catalog, flt))
        rows.append(AlbumRow(album.id, album.name, n, holds(album.filter, paths)))
    return rows


def _saved_filter(text: str, flt: PhotoFilter) -> AlbumFilter:
    return AlbumFilter.of(text, flt)


class AlbumsController(QObject):
    message = Signal(str)

    def __init__(
        self,
        page: LibraryPage,
        reader: CatalogReader,
        bridge: WorkerBridge,
        browse_controller: BrowseController,
    ):
        super().__init__(page)
        self.page, self.reader, self.bridge = page, reader, bridge
        self.browse = browse_controller
        self.albums: dict[int, Album] = {}
        self.dialog: AlbumDialog | None = None
        self._token, self._closed = 0, False
        self._recount = QTimer(self, singleShot=True, interval=SETTLE_MS)
        self._recount.timeout.connect(self.load)
        view = page.sidebar.albums
        view.album_chosen.connect(self.show)
        view.save_requested.connect(self.ask_save)
        view.remove_requested.connect(self.ask_remove)
        browse_controller.album_shown.connect(
            lambda album: view.set_current(album.id if album is not None else None)
        )
        browse_controller.album_stale.connect(self.list_photos)
        reader.changed.connect(self.load)

    # -- the list -------------------------------------------------------------------------

    def load(self) -> None:
        """Read the albums and their counts again."""
        self._recount.stop()
        catalog = self.reader.catalog()
        if catalog is None:
            return
        self.albums = {a.id: a for a in album_store.albums(catalog)}  # small: names, filters
        shown = self.browse.album
        if shown is not None and self.albums.get(shown.id) != shown:  # changed or removed
            self.browse.show_album(self.albums.get(shown.id))
        self.reader.read(_read, self.page.sidebar.albums.set_albums, key="albums")

    def photos_changed(self, *_) -> None:
        """Marks or tags changed: the counts, once the notices pause."""
        if not self._closed and not self._recount.isActive():
            self._recount.start()

    def shutdown(self) -> None:
        self._recount.stop()
        self._closed = True

    # -- one album in the grid ------------------------------------------------------------

    def show(self, album_id: int) -> None:
        album = self.albums.get(album_id)
        if album is not None:
            self.browse.show_album(album)

    def list_photos(self, album: Album, order: str) -> None:
        """List the album's photos into the grid (the browse controller shows them)."""
        self._token += 1
        token = self._token
        if not album.filter.text:
            flt = album_ops.photo_filter(album)
            self.reader.read(
                lambda c: browse.photo_ids(c, flt, order=order),
                lambda ids: self.browse.album_listed(album, ids, None),
                key="grid",  # the newest listing of the grid wins, an album's or the library's
            )
            return

        def done(found: album_ops.AlbumPhotos) -> None:
            if token == self._token:
                self.browse.album_listed(album, np.asarray(found.ids, np.int64), found.scores)

        def failed(exc: BaseException) -> None:
            if token == self._token:
                self.page.search.show_error(f"The album “{album.name}” cannot be shown: {exc}")

        self.message.emit(f"Searching for the album “{album.name}”…")
        submitted = self.bridge.submit(
            lambda lib: album_ops.photos(lib, album, order), done, failed=failed
        )
        if submitted is None:
            failed(RuntimeError("its search needs the worker, which is not running"))

    # -- saving and removing --------------------------------------------------------------

    def ask_save(self) -> AlbumDialog | None:
        """Ask for a name for the search and the filters in force."""
        b = self.browse
        if b.album is not None:
            self.message.emit(f"This is the album “{b.album.name}”: leave it (✕) to save another")
            return None
        text = b.query[0].strip() if b.query is not None else ""
        saved = _saved_filter(text, b.filter)
        if saved == AlbumFilter():
            self.message.emit(
                "Nothing to save: an album keeps a search or filters (tags, stars, label, "
                "flag, dates)"
            )
            return None
        left_out = ["the folder chosen"] if b.filter.folder_ids else []
        if b.query is not None and b.query[1] is not None:
            left_out.append("the example photo")
        note = f"Not kept: {' and '.join(left_out)}." if left_out else ""
        catalog = self.reader.catalog()
        paths = TagStore(catalog).paths() if catalog is not None else {}
        names = [a.name for a in self.albums.values()]
        self.dialog = dialog = AlbumDialog(holds(saved, paths), names, note, self.page)
        dialog.accepted.connect(lambda: self._save(dialog.name(), saved, dialog.existing()))
        open_over(dialog, self.page.grid)
        return dialog

    def _save(self, name: str, saved: AlbumFilter, existing: str | None) -> None:
        def job(lib):
            paths = TagStore(lib.catalog).paths()
            return album_ops.add(
                lib,
                name,
                saved.text,
                [paths[t] for t in saved.tags if t in paths],
                [paths[t] for t in saved.no_tags if t in paths],
                saved.min_stars,
                saved.label,
                saved.flag,
                saved.taken_from,
                saved.taken_to,
                replace=existing is not None,
            )

        def done(album: Album) -> None:
            self.message.emit(f"Saved the album “{album.name}”: it is in the sidebar")
            self.load()

        self.bridge.submit(
            job, done, failed=lambda exc: self.message.emit(f"Album not saved: {exc}")
        )

    def ask_remove(self, album_id: int, name: str) -> None:
        answer = QMessageBox.question(
            self.page,
            "Remove album",
            f"Remove the album “{name}”?\n\nOnly the saved search goes: its photos stay as "
            "they are.",
        )
        if answer != QMessageBox.StandardButton.Yes:
            return

        def done(_result) -> None:
            self.message.emit(f"Removed the album “{name}”")
            self.load()

        self.bridge.submit(
            lambda lib: album_ops.remove(lib, name),
            done,
            failed=lambda exc: self.message.emit(f"Album not removed: {exc}"),
        )
