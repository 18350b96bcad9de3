"""New tags' prompts are encoded in bounded batches: however many tags come at once (a
keyword import, a 60,000-tag vocabulary), each call of the text encoder, the memory held
and each write transaction stay bounded, and a cancel stops the work between batches.
The text encoder here is a stand-in that records its calls; the catalog is a real one."""

from __future__ import annotations

import threading
import tracemalloc
import zlib

import numpy as np

from clipdesk.catalog import Catalog
from clipdesk.embedding import Embedder
from clipdesk.tagging.store import TagStore
from clipdesk.tagging.tagger import TEXT_BATCH, Tagger
from clipdesk.tagging.vocabulary import TagSpec

DIM = 256
_VECTORS = np.random.default_rng(0).standard_normal((4099, DIM)).astype(np.float32)


class TextTower:
    """A deterministic text encoder: each text its own fixed vector; the batch sizes seen."""

    def __init__(self, on_call=None):
        self.batches: list[int] = []
        self.on_call = on_call

    def tokenize(self, texts: list[str]) -> np.ndarray:
        return np.array([[zlib.crc32(t.encode())] for t in texts], np.int64)

    def encode(self, tokens: np.ndarray) -> np.ndarray:
        self.batches.append(len(tokens))
        if self.on_call:
            self.on_call()
        return _VECTORS[tokens[:, 0] % len(_VECTORS)]

    def embedder(self) -> Embedder:
        return Embedder(
            "tower",
            "test",
            DIM,
            8,
            lambda image: np.zeros((3, 8, 8), np.float32),
            self.tokenize,
            lambda pixels: np.zeros((len(pixels), DIM), np.float32),
            self.encode,
        )


def _catalog(tmp_path, n: int) -> Catalog:
    """A catalog with ``n`` new tags, for a model photos were embedded with."""
    cat = Catalog(tmp_path / f"catalog-{n}.db")
    TagStore(cat).import_specs([TagSpec(f"keyword {i}") for i in range(n)])
    cat.model_id("tower", DIM)
    return cat


def _tagger(cat: Catalog, tower: TextTower) -> Tagger:
    """The tagger as a library makes it: the model loads when first needed."""
    return Tagger(cat, tower.embedder, "tower")


def _fill(tmp_path, n: int, tower: TextTower, cancel=None) -> tuple[Catalog, Tagger, int]:
    """fill_cache for ``n`` new tags; (catalog, tagger, peak bytes Python allocated)."""
    cat = _catalog(tmp_path, n)
    tagger = _tagger(cat, tower)
    tracemalloc.start()
    try:
        tagger.fill_cache() if cancel is None else tagger.fill_cache(cancel)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    return cat, tagger, peak


def test_each_encoder_call_and_the_memory_stay_bounded(tmp_path):
    tower = TextTower()
    cat, _, peak = _fill(tmp_path, 800, tower)
    with cat:
        fresh = _tagger(cat, TextTower())  # one that has not loaded the model
        tags = fresh.store.all()
        assert len(fresh.cached(tags)) == len(tags) == 800  # all encoded and stored
    assert max(tower.batches) <= TEXT_BATCH
    # 800 tags' prompts and twins at once would hold 28,000 vectors (30 MB here); batched,
    # the peak is about that of 100 tags.
    small_cat, _, small_peak = _fill(tmp_path, 100, TextTower())
    small_cat.close()
    assert peak < 1.5 * small_peak + 2 * 2**20, (peak, small_peak)


def test_vectors_are_stored_in_short_transactions(tmp_path):
    cat = _catalog(tmp_path, 1_000)
    statements: list[int] = []  # per write transaction
    inside = [False]

    def trace(sql: str) -> None:
        if sql.startswith("BEGIN"):
            statements.append(0)
            inside[0] = True
        elif sql in ("COMMIT", "ROLLBACK"):
            inside[0] = False
        elif inside[0]:
            statements[-1] += 1

    with cat:
        cat.conn.set_trace_callback(trace)
        _tagger(cat, TextTower()).fill_cache()
        cat.conn.set_trace_callback(None)
    assert len(statements) > 10 and max(statements) <= TEXT_BATCH + 10, statements


def test_a_cancel_stops_between_batches_and_the_next_call_goes_on(tmp_path):
    cancel = threading.Event()
    tower = TextTower(on_call=lambda: len(tower.batches) == 3 and cancel.set())
    cat, tagger, _ = _fill(tmp_path, 1_000, tower, cancel)
    with cat:
        assert len(tower.batches) == 3  # the call under way finished, no other began
        stored = cat.conn.execute("SELECT COUNT(*) FROM tag_vectors").fetchone()[0]
        assert stored == 3 * TEXT_BATCH // 4  # its batch was stored (four prompts a tag)
        assert _tagger(cat, TextTower()).fill_cache() is True
        fresh = _tagger(cat, TextTower())
        tags = fresh.store.all()
        assert len(fresh.cached(tags)) == len(tags)
