"""`clipdesk repair` never swaps the catalog under another ClipDesk process (issue 26, item 2).

Real `clipdesk` processes on a real SQLite catalog: a repair refuses while another process
has the catalog open, a command started during a repair waits for it and its write
survives, two repairs at once give one clear message and leave no `.recovering` file, and a
healthy catalog is reported healthy and left alone.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

from tests.support.cli import CLI, one_line_error, run
from tests.support.damage import damage_embeddings
from tests.support.polling import wait_until

# A process that opens the catalog for writing, as every command does, and holds it until
# told to go (a line on its stdin): an `add` or `export` in flight, minus the timing.
HOLDER = textwrap.dedent(
    """
    import sys
    from clipdesk.catalog import Catalog
    catalog = Catalog(sys.argv[1])
    print("open", flush=True)
    sys.stdin.readline()
    catalog.close()
    """
)


def _catalog(home: Path) -> Path:
    return home / "data" / "catalog.sqlite3"


def _leftovers(home: Path) -> list[str]:
    names = (p.name for p in (home / "data").iterdir())
    return sorted(n for n in names if ".damaged-" in n or ".recover" in n)


def test_repair_refuses_while_another_process_has_the_catalog_open(home, shapes):
    run("--model", "test", "add", str(shapes))
    cat = _catalog(home)
    damage_embeddings(cat)
    before = cat.read_bytes()
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(cat)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "open"
        proc = run("repair", check=False)
        one_line_error(proc, "another ClipDesk process has the catalog", "nothing was changed")
        assert proc.stdout == ""
        assert cat.read_bytes() == before  # not swapped under the process that has it open
        assert _leftovers(home) == []
    finally:
        holder.communicate("\n", timeout=30)
    # Once it is done, the repair goes ahead.
    assert "backed up the damaged catalog" in run("repair").stdout


def _held_sqlite3(bin_dir: Path, marker: Path, go: Path) -> dict:
    """PATH with a `sqlite3` that says when repair calls it, then waits for ``go`` before
    doing its work: a repair of a large catalog, held in the middle to act during it."""
    real = shutil.which("sqlite3")
    bin_dir.mkdir()
    script = bin_dir / "sqlite3"
    wait = f'touch "{marker}"\nwhile [ ! -e "{go}" ]; do sleep 0.1; done\n'
    # Without the shell, repair copies the rows itself; held all the same.
    script.write_text("#!/bin/sh\n" + wait + (f'exec "{real}" "$@"\n' if real else "exit 1\n"))
    script.chmod(0o755)
    return {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}"}


def test_a_command_during_a_repair_waits_and_keeps_its_write(home, shapes, tmp_path):
    run("--model", "test", "add", str(shapes))
    photo = str(sorted(shapes.glob("*.jpg"))[0])
    run("tag", photo, "--add", "Before")
    cat = _catalog(home)
    damage_embeddings(cat)
    marker, go = tmp_path / "repairing", tmp_path / "go"
    env = _held_sqlite3(tmp_path / "bin", marker, go)
    pipes = {"stdout": subprocess.PIPE, "stderr": subprocess.PIPE, "text": True}
    first = subprocess.Popen([*CLI, "repair"], env=env, **pipes)
    try:
        wait_until(marker.exists, timeout=120)  # the first repair is rebuilding the catalog
        # (a time limit: a second repair that went ahead would wait on the held sqlite3)
        second = subprocess.run(
            [*CLI, "repair"], env=env, capture_output=True, text=True, timeout=60
        )
        tag = subprocess.Popen([*CLI, "tag", photo, "--add", "During"], **pipes)
        waiting = tag.stderr.readline()  # it waits for the repair, saying so
        assert "waiting for `clipdesk repair` to finish" in waiting, waiting
        assert tag.poll() is None
    finally:
        go.touch()
    out, err = first.communicate(timeout=300)
    assert first.returncode == 0, out + err
    assert "backed up the damaged catalog" in out and "recovered" in out
    tag_out, tag_err = tag.communicate(timeout=300)
    assert tag.returncode == 0, tag_out + tag_err
    one_line_error(second, "another `clipdesk repair` is already working on")
    assert second.stdout == ""
    # Nothing lost: the decision made before the repair and the one made during it.
    tags = run("tags", photo).stdout
    assert "Before" in tags and "During" in tags
    left = _leftovers(home)
    assert not [n for n in left if ".recover" in n], left
    assert len([n for n in left if n.endswith(tuple("0123456789"))]) == 1, left  # one backup


def test_a_healthy_catalog_is_reported_healthy_and_left_alone(home, shapes):
    run("--model", "test", "add", str(shapes))
    cat = _catalog(home)
    before = cat.read_bytes()
    proc = run("repair")
    assert "is healthy" in proc.stdout and "nothing was changed" in proc.stdout, proc.stdout
    assert "backed up" not in proc.stdout and "damaged" not in proc.stdout
    assert cat.read_bytes() == before
    assert _leftovers(home) == []
