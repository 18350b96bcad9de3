"""Lanes (clipdesk/pipeline/lanes.py): each thread prepares photos and encodes its own batches."""

from __future__ import annotations

import math
import threading
import time

import pytest

from clipdesk.pipeline.lanes import run_lanes


def _run(todo, lanes=2, batch=4, prepare=None, encode=None, cancel=None):
    prepared, encoded = [], []
    lock = threading.Lock()

    def prep(unit):
        with lock:
            prepared.append(unit)
        return prepare(unit) if prepare else unit

    def enc(units):
        if encode:
            encode(units)
        with lock:
            encoded.append(list(units))
        return [u * 10 for u in units]

    done = list(run_lanes(todo, prep, lambda u: u >= 0, enc, lanes, batch, cancel))
    return done, prepared, encoded


def test_every_unit_is_prepared_once_and_encoded_once_with_its_result():
    done, prepared, encoded = _run(list(range(37)), lanes=3, batch=5)
    assert sorted(prepared) == list(range(37))
    assert sorted(u for batch in encoded for u in batch) == list(range(37))
    assert all(1 <= len(batch) <= 5 for batch in encoded)
    for d in done:  # each result belongs to its batch
        assert d.encoded == [u * 10 for u in d.batch]


def test_units_that_fail_to_prepare_are_reported_and_never_encoded():
    done, _, encoded = _run([0, -1, 2, -3, 4, 5], prepare=lambda u: u)
    failed = sorted(u for d in done for u in d.failed)
    assert failed == [-3, -1]
    assert sorted(u for batch in encoded for u in batch) == [0, 2, 4, 5]


def test_lanes_encode_side_by_side():
    """Two batches are in the encoder at the same moment: one lane per core, not one
    encoder that the lanes queue for (the barrier breaks if the second never comes)."""
    meet = threading.Barrier(2, timeout=10)
    calls, met = iter(range(1000)), []

    def encode(units):
        if next(calls) < 2:  # the first two batches wait for each other
            met.append(meet.wait())

    _run(list(range(16)), lanes=2, batch=4, encode=encode)
    assert sorted(met) == [0, 1]


def test_the_last_photos_are_split_between_the_lanes():
    """With 9 photos left for 2 lanes, no lane takes a whole batch of 8 and leaves the
    other idle: batches shrink as the end nears."""
    _, _, encoded = _run(list(range(9)), lanes=2, batch=8)
    sizes = [len(b) for b in encoded]
    assert sum(sizes) == 9 and max(sizes) <= math.ceil(9 / 4)


def test_a_cancelled_run_encodes_what_is_prepared_and_prepares_nothing_more():
    cancel = threading.Event()

    def prepare(unit):
        if unit == 5:
            cancel.set()
        return unit

    done, prepared, encoded = _run(list(range(100)), lanes=2, batch=4, prepare=prepare,
                                   cancel=cancel)  # fmt: skip
    assert len(prepared) < 10
    assert sorted(u for batch in encoded for u in batch) == sorted(prepared)


def test_an_error_in_a_lane_stops_the_lanes_and_is_raised_in_the_caller():
    calls = []

    def encode(units):
        calls.append(units)
        raise RuntimeError("the encoder broke")

    cancel = threading.Event()  # the caller's: a failure is not the user stopping
    with pytest.raises(RuntimeError, match="the encoder broke"):
        _run(list(range(1000)), lanes=2, batch=4, encode=encode, cancel=cancel)
    assert len(calls) <= 2 and not cancel.is_set()
    assert not [t for t in threading.enumerate() if t.name.startswith("clipdesk-lane")]


def test_a_caller_that_stops_reading_leaves_no_lane_running():
    cancel = threading.Event()
    prepared = []

    def prepare(unit):
        prepared.append(unit)
        time.sleep(0.002)  # 1,000 of them take a lane 2 s: the caller stops long before
        return unit

    results = run_lanes(list(range(1000)), prepare, lambda u: True, list, 2, 4, cancel)
    next(results)
    results.close()
    assert not [t for t in threading.enumerate() if t.name.startswith("clipdesk-lane")]
    assert len(prepared) < 1000 and not cancel.is_set()
