"""Keyword import from sidecars: linear work in short transactions another writer gets
between, a per-photo limit that is reported, a cancel honoured between photos, and
keywords taken as text (control characters refused, a flat ``a||b`` kept as written)."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

import pytest

from clipdesk.catalog import Catalog
from clipdesk.sidecars.keyword_import import BATCH_KEYWORDS, MAX_KEYWORDS, import_keywords
from clipdesk.sidecars.sync import export_library
from clipdesk.tagging import tagpath
from clipdesk.tagging.store import TagStore
from tests.support.files import photo_file
from tests.support.sidecars import keyword_xmp


def _library(tmp_path: Path, sidecars: list[dict]) -> tuple[Catalog, list[tuple[int, str]]]:
    """A catalog with one photo per entry, each with a sidecar of those keywords."""
    cat = Catalog(tmp_path / "catalog.db")
    folder = tmp_path / "photos"
    rows = []
    for i, keywords in enumerate(sidecars):
        photo = photo_file(folder / f"p{i:02d}.jpg", (10 * i % 256, 90, 40), (16, 12))
        Path(f"{photo}.xmp").write_text(keyword_xmp(**keywords), "utf-8")
        rows.append((photo, i))
    folder_id = cat.add_folder(folder)
    return cat, [(cat.insert_photo(folder_id, str(p), 1, 1, f"h{i}"), str(p)) for p, i in rows]


def _words(photo: int, n: int) -> dict:
    return {"flat": [f"keyword {photo}.{j}" for j in range(n)]}


def _sqlite_steps(cat: Catalog, run) -> int:
    """SQLite's virtual-machine steps (in thousands) that ``run()`` costs on the catalog."""
    steps = [0]

    def count() -> int:
        steps[0] += 1
        return 0

    cat.conn.set_progress_handler(count, 1000)
    try:
        run()
    finally:
        cat.conn.set_progress_handler(None, 0)
    return steps[0]


def test_the_work_grows_with_the_keywords_not_their_square(tmp_path):
    """Four times the keywords (all new tags) cost about four times the catalog's work."""
    costs = []
    for n in (1, 4):
        cat, rows = _library(tmp_path / str(n), [_words(i, 800) for i in range(n)])
        with cat:
            costs.append(_sqlite_steps(cat, lambda cat=cat, rows=rows: import_keywords(cat, rows)))
            assert len(TagStore(cat).paths()) == 800 * n
    assert costs[1] < 6 * costs[0], costs


def test_another_writer_gets_in_between_short_transactions(tmp_path):
    """`clipdesk tag --add` while a keyword-heavy import runs: it never waits for more
    than one short transaction, and a tag it makes meanwhile is the one import uses."""
    cat, rows = _library(tmp_path, [_words(i, MAX_KEYWORDS) for i in range(5)])
    other = sqlite3.connect(cat.path, isolation_level=None, timeout=0)  # never waits
    statements: list[int] = []  # per write transaction of the import
    got_in: list[str] = []

    def trace(sql: str) -> None:
        if sql.startswith("BEGIN"):
            # The import is about to write: right now, between its transactions, another
            # process must be able to write at once (timeout 0).
            other.execute("BEGIN IMMEDIATE")
            name = f"KEYWORD 4.{len(got_in)}"  # the user's spelling of a keyword to come
            other.execute(
                "INSERT INTO tags(name, threshold, enabled, updated_at) VALUES (?, 0.5, 1, 0)",
                (name,),
            )
            other.execute("COMMIT")
            got_in.append(name)
            statements.append(0)
        elif statements:
            statements[-1] += 1

    with cat:
        cat.conn.set_trace_callback(trace)
        report = import_keywords(cat, rows)
        cat.conn.set_trace_callback(None)
        assert report.photos == 5 and not report.errors
        assert len(got_in) >= 3  # 5,000 keywords: not one transaction
        assert max(statements) <= 2 * (BATCH_KEYWORDS + MAX_KEYWORDS) + 50, statements
        paths = TagStore(cat).paths()
        assert sorted(p for p in paths.values() if p.lower().startswith("keyword 4.")) == sorted(
            {f"keyword 4.{j}" for j in range(MAX_KEYWORDS)} - {n.lower() for n in got_in}
            | set(got_in)
        )
    other.close()


def test_a_photo_with_too_many_keywords_is_reported_not_imported(tmp_path):
    heavy = _words(0, 20_000)  # a 1 MB sidecar: far under the size cap
    cat, rows = _library(tmp_path, [heavy, {"flat": ["Sunset"]}])
    with cat:
        report = import_keywords(cat, rows)
        assert list(TagStore(cat).paths().values()) == ["Sunset"]
        assert cat.keywords_unread() == []  # read: the next index does not read it again
        (reason,) = [r for p, r in cat.keyword_problems() if p == rows[0][1]]
        assert "20,000 keywords" in reason and f"{MAX_KEYWORDS:,}" in reason
        assert [p for p, _ in report.errors] == [rows[0][1]]


def test_cancel_stops_between_photos_and_the_next_run_goes_on(tmp_path):
    cat, rows = _library(tmp_path, [_words(i, MAX_KEYWORDS) for i in range(4)])
    cancel = threading.Event()

    def trace(sql: str) -> None:
        if sql == "COMMIT":  # Ctrl-C as the first transaction ends
            cancel.set()

    with cat:
        cat.conn.set_trace_callback(trace)
        report = import_keywords(cat, rows, cancel=cancel)
        cat.conn.set_trace_callback(None)
        assert report.cancelled
        unread = cat.keywords_unread()
        assert 0 < len(unread) < len(rows)
        assert import_keywords(cat, unread).photos == len(unread)
        assert cat.keywords_unread() == []
        assert len(TagStore(cat).paths()) == 4 * MAX_KEYWORDS


def test_keywords_are_text_not_control_codes(tmp_path):
    flat = ["Sunset", "evil\nlabel", "tab\there", "cr\rx", "rlo\u202eabc", "a||b"]
    cat, rows = _library(tmp_path, [{"flat": flat, "hierarchical": ["Places|Ro\u202eme"]}])
    with cat:
        TagStore(cat).ensure("A")  # the user's tag: a flat 'a||b' is not 'A' > 'b'
        import_keywords(cat, rows)
        paths = set(TagStore(cat).paths().values())
        assert paths == {"A", "Sunset", "a||b"}
        ((_, reason),) = cat.keyword_problems()
        assert "5 keywords not imported" in reason and "control characters" in reason
        assert "\n" not in reason and "\u202e" not in reason
        assert tagpath.shown("evil\nlabel\u202e") == "evil\\nlabel\\u202e"


def test_a_flat_keyword_with_a_bar_is_left_alone_by_export(tmp_path):
    cat, rows = _library(tmp_path, [{"flat": ["a||b", "Sunset"]}])
    sidecar = Path(f"{rows[0][1]}.xmp")
    with cat:
        import_keywords(cat, rows)
        store = TagStore(cat)
        with cat.transaction():
            store.ensure("Sky")
        cat.conn.execute(
            "INSERT INTO photo_tags(photo_id, tag_id, state, source, updated_at) "
            "VALUES (?, ?, 'confirmed', 'user', 0)",
            (rows[0][0], store.get("Sky").id),
        )
        export_library(cat)
    text = sidecar.read_text("utf-8")
    assert "a||b" in text and "Sky" in text
    assert ">a|b<" not in text and ">b<" not in text


@pytest.mark.parametrize("name", ["x\u202ey", "line\nbreak", "a\u2066b"])
def test_a_typed_name_with_a_direction_override_is_refused(name):
    from clipdesk.tagging.vocabulary import VocabularyError, check_name

    with pytest.raises(VocabularyError, match="control characters"):
        check_name(name)
