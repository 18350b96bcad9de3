"""The indexer's cache of decoded photos is bounded and keyed by content."""

from __future__ import annotations


def test_the_decoded_cache_is_bounded_and_keyed_by_content():
    import numpy as np

    from clipdesk.pipeline.decoded import DecodedCache, _Decoded

    cache = DecodedCache(max_bytes=3 * 4000, max_entries=10)
    entry = lambda h: _Decoded(h, 256, pixels=np.zeros(1000, np.float32), model="m")  # noqa: E731
    assert all(cache.put(i, entry(f"h{i}")) for i in range(3))
    assert not cache.put(3, entry("h3")) and cache.refused == 1 and len(cache) == 3
    assert cache.take(0, "other") is None  # the file changed since: decode again
    assert cache.take(1, "h1") is not None and cache.take(1, "h1") is None
    assert cache.put(3, entry("h3")) and cache.nbytes == 2 * 4000
    cache.clear()
    assert len(cache) == 0 and cache.nbytes == 0
