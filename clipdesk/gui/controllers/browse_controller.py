"""What the library page does: filters, searches, folders, keeping the grid current.

Browsing lists the filtered photos (read off the GUI thread). A search (a query in the
language of ``clipdesk/search/query.py``, an example photo, or both) runs on the worker (the model
lives there), restricted to the same filters, and the grid then shows the matches best
first with their scores, every match (the grid pages its rows in); the photos the cut-off
hid come with "Show N more", which lists the whole search best first.

A smart album shown in the grid takes the place of the filters and the search (the albums
controller lists it, when ``album_stale`` asks); a filter, a folder or a search chosen then
leaves it.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import replace
from enum import Flag, auto
from pathlib import Path

import numpy as np
from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import QFileDialog, QMessageBox

from clipdesk.catalog import browse
from clipdesk.catalog.albums import Album
from clipdesk.catalog.browse import PhotoFilter
from clipdesk.gui.adapters.reader import CatalogReader
from clipdesk.gui.adapters.thumbnails import ThumbnailLoader
from clipdesk.gui.adapters.worker_bridge import WorkerBridge
from clipdesk.gui.controllers.search_order import in_order
from clipdesk.gui.controllers.shortcuts import add_shortcut
from clipdesk.gui.views.library_page import LibraryPage
from clipdesk.gui.views.marks_badges import describe_filter
from clipdesk.gui.views.search_bar import BEST
from clipdesk.ops import forgetting as forget_ops
from clipdesk.ops import search as search_ops
from clipdesk.ops.relevance import Ranking
from clipdesk.pathnames import shown
from clipdesk.pipeline.library import ModelDownloading
from clipdesk.search.index import SearchCache
from clipdesk.search.query import Query, parse
from clipdesk.tagging.store import TagStore
from clipdesk.wording import plural

SETTLE_MS = 400  # the worker's notices come in bursts: what they left stale is read once


class Stale(Flag):
    """What change notices left out of date, read again once they pause."""

    GRID = auto()  # which photos the grid lists, in which order
    ROWS = auto()  # the details of every row read so far (the rows in view)
    COUNTS = auto()  # the status bar's counts
    FOLDERS = auto()  # the sidebar's folders and their counts
    TAGS = auto()  # the sidebar's tag tree and its counts
    ALBUM = auto()  # the album shown, when it is a text search (browsing's GRID: a listing)
    ALL = GRID | ROWS | COUNTS | FOLDERS | TAGS | ALBUM


class BrowseController(QObject):
    """Keeps the grid, the sidebar and the search row in step with the catalog."""

    message = Signal(str)
    counts_changed = Signal(dict)
    shown_changed = Signal(int, str)  # photos in the grid, and why not all ('' when all)
    folders_changed = Signal(list)
    album_shown = Signal(object)  # the Album the grid shows, or None
    album_stale = Signal(object, str)  # the Album shown, to list (again), and the order

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
        # The search shown: (its text, the example photo's id), either may be empty; None
        # while browsing.
        self.query: tuple[str, int | None] | None = None
        self.album: Album | None = None  # the smart album the grid shows, if any
        self._search_token = 0
        self._waiting_for_model = False  # a search failed for a model still downloading
        self.adding = 0  # folders asked for and not yet in the catalog
        self._stale, self._closed = Stale(0), False
        self._settle = QTimer(self, singleShot=True, interval=SETTLE_MS)
        self._settle.timeout.connect(self._catch_up)
        s, sb = page.sidebar, page.search
        s.folder_selected.connect(self._folder_selected)
        s.tag_filter_changed.connect(self._tags_selected)
        s.add_folder_requested.connect(self.choose_folder)
        s.remove_folder_requested.connect(self._confirm_remove)
        s.forget_missing_requested.connect(self.forget_missing)
        s.folders.itemClicked.connect(lambda _: self.show_album(None))  # the same folder too
        sb.search_requested.connect(self.search_text)
        sb.cleared.connect(self.clear_search)
        sb.show_more_requested.connect(self.show_more)
        sb.size_changed.connect(self.set_thumbnail_size)
        sb.order_changed.connect(lambda _: self._rerun())
        sb.dates_changed.connect(self._dates_selected)
        sb.marks_changed.connect(self._marks_selected)
        sb.album_closed.connect(lambda: self.show_album(None))
        page.grid.similar_requested.connect(self.search_similar)
        reader.changed.connect(self.refresh)
        add_shortcut(page, [QKeySequence.StandardKey.Find], lambda: sb.field.setFocus(), "Search")

    # -- keeping current -----------------------------------------------------------------

    def refresh(self) -> None:
        """The catalog as a whole moved on (start-up, a user's action): read it all again."""
        self._stale |= Stale.ALL
        self._catch_up()

    def photos_changed(self, photo_ids: Iterable[int]) -> None:
        """The worker found, lost, moved or indexed these photos: their rows now, and the
        list, counts and folders once the notices pause (incremental: see the grid model)."""
        self.page.model.refresh(photo_ids)
        self._later(Stale.GRID | Stale.COUNTS | Stale.FOLDERS)

    def thumbnails_made(self, photo_ids: Iterable[int] = ()) -> None:
        """New thumbnails exist: those cells, and any that showed a placeholder, load them."""
        self.page.model.refresh({*self.thumbs.retry_absent(), *photo_ids})

    def tags_changed(self, photo_ids: Iterable[int] = ()) -> None:
        """Tags changed on these photos (every photo when none): their cells' counts now,
        the tag tree's counts later, and the list only when a tag filter chooses it."""
        ids = tuple(photo_ids)
        self.page.model.refresh(ids or None)
        f, a = self.filter, self.album
        listed = f.include_tags or f.exclude_tags or (a and (a.filter.tags or a.filter.no_tags))
        self._later(Stale.TAGS | (Stale.GRID | Stale.ALBUM if listed else Stale(0)))

    def marks_changed(self, photo_ids: Iterable[int] = ()) -> None:
        """Stars, labels or flags changed on these photos (any photo when none): their cells
        now, and the list later when the filters, the order or the album shown use marks."""
        ids = tuple(photo_ids)
        self.page.model.refresh(ids or None)
        f, order = self.filter, self.page.search.order()
        if f.min_stars or f.label or f.flag or order in ("stars", "label") or self.album:
            self._later(Stale.GRID | Stale.ALBUM)

    def folders_changed_on_disk(self) -> None:
        """A folder went or came back: its photos' state and the folder list."""
        self._later(Stale.ALL)

    def shutdown(self) -> None:
        """The window closes: nothing more to catch up with."""
        self._settle.stop()
        self._closed = True

    def _later(self, stale: Stale) -> None:
        self._stale |= stale
        if not self._settle.isActive() and not self._closed:  # one catch-up per SETTLE_MS
            self._settle.start()

    def _catch_up(self) -> None:
        stale, self._stale = self._stale, Stale(0)
        self._settle.stop()
        if Stale.FOLDERS in stale:
            self.reader.read(browse.folders, self._folders_read, key="folders")
        if Stale.TAGS in stale:
            sidebar = self.page.sidebar
            self.reader.read(lambda c: TagStore(c).usage(), sidebar.set_tags, key="tags")
        if Stale.COUNTS in stale:
            self.reader.read(lambda c: c.status_counts(), self._counts_read, key="counts")
        searched = self.album is not None and bool(self.album.filter.text)
        if (Stale.ALBUM if searched else Stale.GRID) in stale and self.query is None:
            self._list()
        if Stale.ROWS in stale:
            self.page.model.refresh()

    def _folders_read(self, infos: list[browse.FolderInfo]) -> None:
        self.page.sidebar.set_folders(infos)
        self.folders_changed.emit(infos)

    def _counts_read(self, counts: dict[str, int]) -> None:
        self.counts_changed.emit(counts)

    def _list(self) -> None:
        if self.album is not None:
            self.album_stale.emit(self.album, self.page.search.order())
            return
        flt = self.filter
        order = self.page.search.order()
        self.reader.read(lambda c: browse.photo_ids(c, flt, order=order), self._listed, key="grid")

    def _listed(self, ids: np.ndarray) -> None:
        if self.query is not None or self.album is not None:
            return  # a search started meanwhile, or an album was opened
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

    def _marks_selected(self, min_stars: int, label: str | None, flag: str | None) -> None:
        self._set_filter(replace(self.filter, min_stars=min_stars, label=label, flag=flag))

    def _set_filter(self, flt: PhotoFilter) -> None:
        self.filter = flt
        n = len(flt.include_tags) + len(flt.exclude_tags)
        parts = [plural(n, "tag filter")] if n else []
        parts += describe_filter(flt.min_stars, flt.label, flt.flag)
        if flt.taken_from or flt.taken_to:
            parts.append("dates")
        self.page.search.set_filter_text(", ".join(parts))
        if self.album is not None:
            self.show_album(None)  # lists the library with the new filters
        else:
            self._rerun()

    def _rerun(self) -> None:
        if self.query is None:
            self._list()
        else:
            self._search(*self.query)

    # -- searching -----------------------------------------------------------------------

    def search_text(self, text: str) -> None:
        """The bar's query; with an example photo shown, photos like it with the text."""
        like = self.query[1] if self.query and self.page.search.similar_active else None
        self.show_album(None)
        self._search(text, like)

    def search_similar(self, photo_id: int) -> None:
        self.show_album(None)
        catalog = self.reader.catalog()
        row = catalog.photo(photo_id) if catalog is not None else None
        name = shown(os.path.basename(row.path)) if row else f"photo {photo_id}"
        self.page.search.show_similar(name)
        self._search("", photo_id)

    def _search(self, text: str, like: int | None, show_all: bool = False) -> None:
        self.query = (text, like)
        query = parse(text) if text.strip() else Query((), "")
        query = query.with_like(like) if like is not None else query
        self.page.search.set_searching(True)
        flt, cache, order = self.filter, self.cache, self.page.search.order()

        def job(lib):
            ranking = search_ops.rank_query(lib, cache, query, flt, show_all)
            if order == BEST:
                return ranking
            return in_order(ranking, browse.photo_ids(lib.catalog, flt, order=order))

        what = f"“{text}”" if text else ""
        if like is not None:
            what = f"photos like the example {what}".strip()
        self._run_search(job, f"Searching for {what}…")

    def _run_search(self, job, text: str) -> None:
        self._search_token += 1
        token = self._search_token
        self.message.emit(text)
        submitted = self.bridge.submit(
            job,
            done=lambda ranking: self._searched(token, ranking),
            failed=lambda exc: self._search_failed(token, exc),
        )
        if submitted is None:
            self.message.emit("Search is not available yet: the worker is starting")

    def _search_failed(self, token: int, exc: BaseException) -> None:
        if token != self._search_token:
            return
        if isinstance(exc, ModelDownloading):  # runs by itself once the model is in
            self._waiting_for_model = True
            self.page.search.show_error(
                "The model is still downloading: this search runs as soon as it is in."
            )
            self.message.emit("Search waits for the model to download")
            return
        self.page.search.show_error(str(exc))

    def worker_idle(self) -> None:
        """The worker has nothing left to do: catch up with the catalog once (another
        process may have changed it too); a search that waited for the model runs now (the
        photos embedded since the download); still downloading, it waits again."""
        self._later(Stale.ALL)
        if self._waiting_for_model:
            self._waiting_for_model = False
            if self.query is not None:
                self.page.search.show_error(None)
                self._search(*self.query)

    def _searched(self, token: int, ranking: Ranking) -> None:
        if token != self._search_token or self.query is None:
            return
        self._show_ranked(ranking.ids, ranking.scores, ranking.hidden)

    def show_more(self) -> None:
        """List the photos the cut-off hid too: the whole search, best first."""
        if self.query is not None:
            self._search(*self.query, show_all=True)

    def _show_ranked(self, ids: np.ndarray, scores: np.ndarray, hidden: int) -> None:
        self.page.grid.set_photos(ids, scores, keep_scroll=False)
        self.page.search.set_hidden(hidden)
        if not len(ids) and hidden:
            text = self.query[0] if self.query else ""
            self.page.show_empty(
                f"No photo matches “{text}” well.\nShow {hidden:,} more lists the closest."
            )
        else:
            self._show_empty(len(ids), searching=True)
        self.shown_changed.emit(len(ids), "found")
        if len(ids):
            self.page.grid.setCurrentIndex(self.page.model.index(0))
        more = f"; {hidden:,} weaker hidden" if hidden else ""
        sort = self.page.search.sort
        order = "best match first" if sort.currentData() == BEST else sort.currentText().lower()
        self.message.emit(f"{plural(len(ids), 'photo')}, {order}{more}")

    def clear_search(self) -> None:
        if self.query is None:
            return
        self.query = None
        self.page.search.set_hidden(0)
        self.page.search.set_searching(False)
        self._search_token += 1
        self._list()

    # -- smart albums ---------------------------------------------------------------------

    def show_album(self, album: Album | None) -> None:
        """Show an album's photos in the grid (None: back to the library, filtered)."""
        if album is None and self.album is None:
            return
        self.album = album
        self.page.search.show_album(album.name if album is not None else None)
        if album is not None:
            self.query = None
            self.page.search.set_searching(False)
            self._search_token += 1  # a search still running is not shown
        self.album_shown.emit(album)
        self._list()

    def album_listed(self, album: Album, ids: np.ndarray, scores: list[float] | None) -> None:
        """An album's photos, as the albums controller found them (scores: a text search)."""
        if self.album is None or self.album.id != album.id:
            return  # left, or another album chosen, meanwhile
        ranked = None if scores is None else np.asarray(scores, np.float32)
        self.page.grid.set_photos(ids, ranked)
        self._show_empty(len(ids), searching=True)
        self.shown_changed.emit(len(ids), "filtered" if scores is None else "found")

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

    def forget_missing(self, folder_id: int | None) -> None:
        """Forget the missing photos of a folder (None: of every folder that is there), once
        the user has said yes to how many."""
        folders = None if folder_id is None else [folder_id]
        self.bridge.submit(
            lambda lib: forget_ops.plan_missing(lib, folder_ids=folders),
            done=self._confirm_forget,
        )

    def _confirm_forget(self, plan: forget_ops.ForgetPlan) -> None:
        kept = "".join(
            f"\n\n{plural(n, 'missing photo')} of {shown(f)}, a folder not found (unplugged?), "
            "are kept: select that folder to forget them."
            for f, n in plan.kept
        )
        if not plan.photos:
            self.message.emit("No missing photos to forget" + (kept and " (see the folders)"))
            return
        one = len(plan.photos) == 1
        text = (
            f"Forget {plural(len(plan.photos), 'missing photo')}?\n\n"
            f"{'Its file is' if one else 'Their files are'} gone. "
            f"{'Its record leaves' if one else 'Their records leave'} the catalog with "
            f"{forget_ops.their_tags(plan.tags)}; this cannot be undone. No file is touched."
        )
        text += "".join(f"\n\nThe folder {shown(f)} (not found) goes too." for _, f in plan.folders)
        answer = QMessageBox.question(self.page, "Forget missing photos", text + kept)
        if answer == QMessageBox.StandardButton.Yes:
            self.bridge.forget(plan, done=self._forgotten)

    def _forgotten(self, done: forget_ops.Forgotten) -> None:
        self.reader.notify_changed(now=True)
        line = done.lines()[0]
        self.message.emit(line[:1].upper() + line[1:])

    def set_thumbnail_size(self, size: int) -> None:
        self.thumbs.set_size(size)
        self.page.grid.set_thumbnail_size(size)
