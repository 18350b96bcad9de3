"""A search's matches in the order the sort box names (by name, by date, ...), when it names
one: the matches are the search's, the order is browsing's."""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from clipdesk.ops.relevance import Ranking


def in_order(ranking: Ranking, listed: np.ndarray) -> Ranking:
    """``ranking``'s photos, each with its score, in the order of ``listed`` (the filtered
    library in the order chosen, a superset of the matches)."""
    ids = np.asarray(ranking.ids, np.int64)
    ordered = listed[np.isin(listed, ids)]
    by_id = np.argsort(ids, kind="stable")
    where = by_id[np.searchsorted(ids, ordered, sorter=by_id)]
    return replace(ranking, ids=ordered, scores=np.asarray(ranking.scores)[where])
