"""`clipdesk status` says where the library keeps its files (the README sends users there to
find the weights): the one home folder, or each per-user folder."""

from __future__ import annotations

import json
import os
import sys

import pytest

from tests.support.cli import run


def test_status_shows_the_home_folder(home):
    out = run("status").stdout
    assert f"home:     {home}  (catalog, caches and settings)" in out.splitlines()
    kept = json.loads(run("status", "--json").stdout)
    assert kept["home"] == str(home) and kept["folders_kept"]["cache"] == str(home / "cache")


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="platformdirs' Linux folders")
def test_status_without_a_home_shows_each_per_user_folder(tmp_path):
    """No --home and no $CLIPDESK_HOME: the catalog's folder, the caches' and the settings'
    (platformdirs, here under a made-up $HOME and XDG folders)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CLIPDESK_", "XDG_"))}
    env["HOME"] = str(tmp_path)
    out = run("status", env=env).stdout.splitlines()
    home = tmp_path / ".local" / "share" / "clipdesk"
    assert any(line.startswith(f"home:     {home}  (catalog") for line in out), out
    assert f"caches:   {tmp_path / '.cache' / 'clipdesk'}" in "\n".join(out)
    assert f"settings: {tmp_path / '.config' / 'clipdesk'}" in out
    kept = json.loads(run("status", "--json", env=env).stdout)["folders_kept"]
    assert kept["home"] is None and kept["data"] == str(home)
