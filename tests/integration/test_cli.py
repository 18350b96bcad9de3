"""The ``clipdesk`` command, run as a user runs it: a real process, a real home folder."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import time

import pytest

from tests.support.cli import CLI, run


def test_help_lists_the_commands(home):
    # With no command at all, `clipdesk` opens the window (tests/gui/test_startup.py).
    proc = run("--help")
    assert "usage: clipdesk" in proc.stdout and "search" in proc.stdout


def test_add_search_similar_status(home, shapes):
    (shapes / "broken.jpg").write_bytes(b"\xff\xd8\xff\xe0 not really")
    added = run("--model", "test", "add", str(shapes))
    assert "36 embedded, 1 skipped" in added.stdout and "broken.jpg" in added.stdout

    hits = json.loads(run("search", "red circle", "--limit", "3", "--json").stdout)
    assert [os.path.basename(h["path"]).split("_", 1)[1] for h in hits[:2]] == [
        "red_circle.jpg"
    ] * 2
    assert {"path", "score", "width", "height"} <= set(hits[0])
    assert hits[0]["score"] >= hits[1]["score"] and hits[0]["width"] > 0
    # A search ends its process without the interpreter's teardown (cli.entry): every
    # line is still written, and a reader that has gone costs no traceback.
    buffered = {k: v for k, v in os.environ.items() if k != "PYTHONUNBUFFERED"}
    every = run("search", "red circle", "--all", "--limit", "100", env=buffered).stdout
    every = every.splitlines()
    assert len(every) == 36 and all(line.rstrip().endswith(".jpg") for line in every)
    gone = subprocess.Popen([*CLI, "search", "red circle", "--all"], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)  # fmt: skip
    gone.stdout.close()  # before it writes its first line
    assert gone.wait(timeout=600) == 0 and gone.stderr.read() == ""

    example = sorted(shapes.glob("*blue_square.jpg"))[0]
    similar = json.loads(run("similar", str(example), "--json", "--limit", "3").stdout)
    assert "_blue_" in similar[0]["path"]  # the test model knows colour best (test_search.py)
    assert any(h["path"].endswith("blue_square.jpg") for h in similar)

    status = json.loads(run("status", "--json").stdout)
    assert status["model"] == "test" and status["backend"] == "onnx-cpu"
    assert status["counts"]["indexed"] == 36 and status["counts"]["failed"] == 1
    assert status["failed"][0]["path"].endswith("broken.jpg") and status["failed"][0]["reason"]

    again = run("index")
    assert "0 new" in again.stdout and "0 embedded" in again.stdout


def test_home_flag_keeps_everything_in_one_folder(tmp_path, shapes, monkeypatch):
    monkeypatch.delenv("CLIPDESK_HOME", raising=False)
    h = tmp_path / "portable"
    run("--home", str(h), "status")
    assert (h / "data" / "catalog.sqlite3").is_file()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("add", "/no/such/folder"), "no such folder"),
        (("--model", "nonsense", "search", "x"), "unknown model"),
        # The model loads only when a photo needs it; then a missing download is one line.
        (("--model", "ViT-B-32:laion2b_s34b_b79k", "add", "{shapes}"), "could not be downloaded"),
        (("--model", "ViT-B-32:laion2b_s34b_b79k", "search", "dog"), "no photos are indexed"),
        (("index",), "no folders yet"),
    ],
)
def test_fatal_problems_exit_nonzero_with_one_clear_line(home, shapes, args, message):
    proc = run(*(a.format(shapes=shapes) for a in args), check=False)
    assert proc.returncode == 1
    assert message in proc.stderr and "Traceback" not in proc.stderr


def test_killed_run_resumes_where_it_stopped(home, tmp_path):
    from clipdesk.testing.synthetic import write_folder

    photos = tmp_path / "many"
    write_folder(photos, 240, seed=3, size=(160, 120))
    (home / "config").mkdir(parents=True, exist_ok=True)
    (home / "config" / "settings.json").write_text(json.dumps({"model": "test", "batch_size": 4}))
    proc = subprocess.Popen(
        [*CLI, "add", str(photos)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    catalog = home / "data" / "catalog.sqlite3"
    done = 0
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and proc.poll() is None:
        if catalog.exists():
            try:
                conn = sqlite3.connect(catalog, timeout=1)
                done = conn.execute("SELECT COUNT(*) FROM embeddings").fetchone()[0]
                conn.close()
            except sqlite3.OperationalError:
                pass
            if done >= 8:
                break
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert 8 <= done < 240, "the run must be killed part-way"

    conn = sqlite3.connect(catalog)
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    kept = conn.execute("SELECT COUNT(*) FROM embeddings").fetchone()[0]
    conn.close()
    resumed = run("index")
    assert f"{240 - kept} embedded" in resumed.stdout
    conn = sqlite3.connect(catalog)
    assert conn.execute("SELECT COUNT(*) FROM embeddings").fetchone()[0] == 240


def test_an_offline_first_run_is_one_line_naming_the_ways_on(home, shapes, monkeypatch):
    """No internet (here: a model hub that refuses connections), a model not downloaded yet:
    one line at once, no retry noise, and it names the test model and a local file."""
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.setenv("HF_ENDPOINT", "http://127.0.0.1:9")  # nothing listens: refused
    proc = run("--model", "ViT-B-32:laion2b_s34b_b79k", "add", str(shapes), check=False)
    assert proc.returncode == 1
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, proc.stderr
    assert "no connection to the model hub" in lines[0] and "--model test" in lines[0]
    assert "--model ViT-B-32:/path/to/that/file" in lines[0] and "Retrying" not in proc.stderr
