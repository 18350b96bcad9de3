"""What the library page does: filters, searches, folders, keeping the grid current.

Browsing lists the filtered photos (read off the GUI thread). A text or "similar" search
runs on the worker (the model lives there), restricted to the same filters, and the grid
then shows the hits best first with their scores.
"""

from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path

import numpy as np
from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QFileDialog, QMessageBox

from clipdesk.catalog import browse
from clipdesk.catalog.browse import PhotoFilter
from clipdesk.gui.library_page import LibraryPage
from clipdesk.gui.reader import CatalogReader
from clipdesk.gui.thumbnails import ThumbnailLoader
from clipdesk.gui.worker_bridge import WorkerBridge
from clipdesk.ops import search as search_ops
from clipdesk.pathnames import shown
from clipdesk.search import SearchCache
from clipdesk.tagging.store import TagStore

SEARCH_LIMIT = 2000


class BrowseController(QObject):
    """Keeps the grid, the sidebar and the search row in step with the catalog."""

    message = Signal(str)
    counts_changed = Signal(dict)
    shown_changed = Signal(int, str)  # photos in the grid, and why not all ('' when all)
    folders_changed = Signal(list)

    def __init__(
        self,
        page: LibraryPage,
        reader: CatalogReader,
        bridge: WorkerBridge,
        thumbs: ThumbnailLoader,
        cache: SearchCache,
    ):
        super().__init__(page)
        self.page, self.reader, self.bridge, self.thumbs = page, reader, bridge, thumbs
        self.cache = cache
        self.filter = PhotoFilter()
        self.query: tuple[str, object] | None = None  # ("text", str) or ("similar", id)
        self._search_token = 0
        self.adding = 0  # folders asked for and not yet in the catalog
        s, sb = page.sidebar, page.search
        s.folder_selected.connect(self._folder_selected)
        s.tag_filter_changed.connect(self._tags_selected)
        s.add_folder_requested.connect(self.choose_folder)
        s.remove_folder_requested.connect(self._confirm_remove)
        sb.search_requested.connect(self.search_text)
        sb.cleared.connect(self.clear_search)
        sb.size_changed.connect(self.set_thumbnail_size)
        sb.order_changed.connect(lambda _: self._rerun())
        sb.dates_changed.connect(self._dates_selected)
        page.grid.similar_requested.connect(self.search_similar)
        reader.changed.connect(self.refresh)
        focus = QAction("Search", page)
        focus.setShortcut(QKeySequence.StandardKey.Find)
        focus.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        focus.triggered.connect(lambda: sb.field.setFocus())
        page.addAction(focus)

    # -- keeping current -----------------------------------------------------------------

    def refresh(self) -> None:
        """The catalog changed: sidebar counts, and the grid when browsing."""
        self.reader.read(browse.folders, self._folders_read, key="folders")
        self.reader.read(lambda c: TagStore(c).usage(), self.page.sidebar.set_tags, key="tags")
        self.reader.read(lambda c: c.status_counts(), self._counts_read, key="counts")
        if self.query is None:
            self._list()
        else:
            self.page.model.refresh()

    def thumbnails_made(self, photo_ids: list[int] | None = None) -> None:
        """New thumbnails exist: cells that showed a placeholder load them now."""
        retry = self.thumbs.retry_absent()
        self.page.model.refresh(retry if photo_ids is None else list(set(retry) | set(photo_ids)))

    def _folders_read(self, infos: list[browse.FolderInfo]) -> None:
        self.page.sidebar.set_folders(infos)
        self.folders_changed.emit(infos)

    def _counts_read(self, counts: dict[str, int]) -> None:
        self.counts_changed.emit(counts)

    def _list(self) -> None:
        flt = self.filter
        order = self.page.search.order()
        self.reader.read(lambda c: browse.photo_ids(c, flt, order=order), self._listed, key="grid")

    def _listed(self, ids: np.ndarray) -> None:
        if self.query is not None:
            return  # a search started meanwhile
        self.page.grid.set_photos(ids)
        self._show_empty(len(ids), searching=False)
        self.shown_changed.emit(len(ids), "filtered" if self.filter.active else "")

    def _show_empty(self, n: int, searching: bool) -> None:
        if n:
            self.page.show_empty(None)
        elif searching or self.filter.active:
            self.page.show_empty("No photos match. Try other words or clear the filters.")
        else:
            self.page.show_empty(
                "No photos yet.\nAdd a folder (in the sidebar) and they appear here "
                "as soon as their thumbnails are made."
            )

    # -- filters -------------------------------------------------------------------------

    def _folder_selected(self, folder_id: int | None) -> None:
        folders = () if folder_id is None else (folder_id,)
        self._set_filter(replace(self.filter, folder_ids=folders))

    def _tags_selected(self, include: tuple, exclude: tuple) -> None:
        self._set_filter(replace(self.filter, include_tags=include, exclude_tags=exclude))

    def _dates_selected(self, start: str | None, end: str | None) -> None:
        self._set_filter(replace(self.filter, taken_from=start, taken_to=end))

    def _set_filter(self, flt: PhotoFilter) -> None:
        self.filter = flt
        n = len(flt.include_tags) + len(flt.exclude_tags)
        parts = [f"{n} tag filter(s)"] if n else []
        if flt.taken_from or flt.taken_to:
            parts.append("dates")
        self.page.search.set_filter_text(", ".join(parts))
        self._rerun()

    def _rerun(self) -> None:
        if self.query is None:
            self._list()
        elif self.query[0] == "text":
            self.search_text(str(self.query[1]))
        else:
            self.search_similar(int(self.query[1]))  # type: ignore[arg-type]

    # -- searching -----------------------------------------------------------------------

    def search_text(self, text: str) -> None:
        self.query = ("text", text)
        flt, cache = self.filter, self.cache

        def job(lib):
            return search_ops.rank_text(lib, cache, text, flt, SEARCH_LIMIT)

        self._run_search(job, f"Searching for “{text}”…")

    def search_similar(self, photo_id: int) -> None:
        self.query = ("similar", photo_id)
        catalog = self.reader.catalog()
        row = catalog.photo(photo_id) if catalog is not None else None
        name = shown(os.path.basename(row.path)) if row else f"photo {photo_id}"
        self.page.search.show_similar(name)
        flt, cache = self.filter, self.cache

        def job(lib):
            return search_ops.rank_similar(lib, cache, photo_id, flt, SEARCH_LIMIT)

        self._run_search(job, f"Finding photos like {name}…")

    def _run_search(self, job, text: str) -> None:
        self._search_token += 1
        token = self._search_token
        self.message.emit(text)
        if self.bridge.submit(job, done=lambda hits: self._searched(token, hits)) is None:
            self.message.emit("Search is not available yet: the worker is starting")

    def _searched(self, token: int, hits: list[tuple[int, float]]) -> None:
        if token != self._search_token or self.query is None:
            return
        ids = np.array([h[0] for h in hits], np.int64)
        scores = np.array([h[1] for h in hits], np.float32)
        self.page.grid.set_photos(ids, scores, keep_scroll=False)
        self._show_empty(len(ids), searching=True)
        self.shown_changed.emit(len(ids), "found")
        if len(ids):
            self.page.grid.setCurrentIndex(self.page.model.index(0))
        self.message.emit(f"{len(ids):,} photos, best match first")

    def clear_search(self) -> None:
        if self.query is None:
            return
        self.query = None
        self._search_token += 1
        self._list()

    # -- folders -------------------------------------------------------------------------

    def choose_folder(self) -> None:
        path = QFileDialog.getExistingDirectory(self.page, "Add a photo folder", str(Path.home()))
        if path:
            self.add_folder(path)

    def add_folder(self, path: str) -> None:
        """Watch a folder: the worker scans it, makes thumbnails, then tags."""
        self.adding += 1

        def added(_folder_id: int | None = None) -> None:
            self.adding -= 1
            self.reader.notify_changed(now=True)

        self.bridge.add_folder(path, done=added, failed=lambda exc: added())
        self.message.emit(f"Adding {path}: thumbnails first, then tagging in the background")

    def _confirm_remove(self, folder_id: int, path: str) -> None:
        answer = QMessageBox.question(
            self.page,
            "Remove folder",
            f"Stop watching {path}?\n\nIts photos leave the catalog with their tags. "
            "The photo files themselves are not touched.",
        )
        if answer == QMessageBox.StandardButton.Yes:
            self.bridge.remove_folder(
                folder_id, done=lambda _: self.reader.notify_changed(now=True)
            )

    def set_thumbnail_size(self, size: int) -> None:
        self.thumbs.set_size(size)
        self.page.grid.set_thumbnail_size(size)
