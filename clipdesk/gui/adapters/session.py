"""What one run of the window shares: folders, settings, the catalog reader, the worker.

Creating a Session imports no model code and opens no catalog: the worker starts after the
window is shown, and the read connection opens on first use.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from clipdesk.embedding.choice import EngineChoice
from clipdesk.gui.adapters.prefs import Prefs
from clipdesk.gui.adapters.reader import CatalogReader
from clipdesk.gui.adapters.thumbnails import ThumbnailLoader
from clipdesk.gui.adapters.worker_bridge import WorkerBridge
from clipdesk.home import AppPaths, app_paths
from clipdesk.pipeline.library import STEP_SWITCHES
from clipdesk.search.index import SearchCache
from clipdesk.settings import Settings


@dataclass
class Session:
    paths: AppPaths
    settings: Settings
    prefs: Prefs
    engine: EngineChoice  # in use this run: the command line's, else the settings'
    reader: CatalogReader
    bridge: WorkerBridge
    thumbs: ThumbnailLoader
    cache: SearchCache  # used on the worker thread only, by the searches it runs

    @classmethod
    def create(
        cls,
        home: str | Path | None = None,
        model: str | None = None,
        backend: str | None = None,
        int8: bool | None = None,
        watch: bool = True,
    ) -> Session:
        paths = app_paths(home).ensure()
        settings = Settings.load(paths.settings_file)
        prefs = Prefs.load(paths.config_dir / "gui.json")
        engine = EngineChoice.resolve(settings, model, backend, int8)
        return cls(
            paths=paths,
            settings=settings,
            prefs=prefs,
            engine=engine,
            reader=CatalogReader(paths.catalog),
            bridge=WorkerBridge(home, engine, watch=watch),
            thumbs=ThumbnailLoader(paths.thumbnails, prefs.thumbnail_size),
            cache=SearchCache(),
        )

    @property
    def prefs_file(self) -> Path:
        return self.paths.config_dir / "gui.json"

    def apply_settings(self, new: Settings) -> bool:
        """Save new settings; True when the worker must restart (model or backend changed)."""
        engine = EngineChoice.resolve(new)
        restart = engine != self.engine
        old, self.settings = self.settings, new
        new.save(self.paths.settings_file)
        if restart:
            self.engine = engine
            self.bridge.restart(engine)
            return True
        switched = {n: getattr(new, n) for n in STEP_SWITCHES if getattr(new, n) != getattr(old, n)}
        if switched:  # the running worker's library follows; a step turned on catches up
            bridge = self.bridge
            bridge.submit(
                lambda lib: lib.use_switches(**switched),
                done=lambda _: bridge.request_index() if any(switched.values()) else None,
            )
        return False

    def close(self) -> None:
        """Stop the worker (it finishes its batch), background reads and thumbnail loads."""
        self.bridge.stop()
        self.thumbs.close()
        self.reader.close()
