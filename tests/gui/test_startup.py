"""Start-up: `clipdesk` opens the window, before torch or a model is imported, and imports
the worker's modules in a thread beside it; first run welcomes the user and says what will
run and what will download; closing stops the worker."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

from clipdesk.gui.adapters.model_choices import choice_for, needs_download
from clipdesk.gui.views.welcome import plan_text

# Runs `clipdesk --home H` (no command) in a fresh process. A timer set before main() records
# what the user would see at the first moment the window is on screen, then quits.
PROBE = textwrap.dedent(
    """
    import json, sys, time
    t0 = time.perf_counter()
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication
    app = QApplication(sys.argv[:1])
    seen = {}
    def probe():
        shown = [w for w in QApplication.topLevelWidgets()
                 if w.isVisible() and w.windowTitle() == "ClipDesk"]
        if not shown:
            QTimer.singleShot(5, probe)
            return
        w = shown[0]
        seen.update(shown=True, torch="torch" in sys.modules,
                    open_clip="open_clip" in sys.modules,
                    onnxruntime="onnxruntime" in sys.modules,
                    page=type(w.pages.currentWidget()).__name__,
                    plan=w.welcome_page.plan.text(), seconds=time.perf_counter() - t0)
        w.close()
    QTimer.singleShot(0, probe)
    import threading
    importers = []  # the threads that import the worker's modules (a finder that finds none)
    class Spy:
        def find_spec(self, name, path=None, target=None):
            if name in ("clipdesk.worker.service", "watchdog"):
                importers.append(threading.current_thread().name)
    sys.meta_path.insert(0, Spy())
    from clipdesk.cli import main
    rc = main(["--home", sys.argv[1], "--model", "test", "--backend", "onnx"])
    print(json.dumps({**seen, "rc": rc, "importers": importers}))
    """
)


def test_clipdesk_without_a_command_opens_the_window_before_torch(tmp_path):
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    proc = subprocess.run(
        [sys.executable, "-c", PROBE, str(tmp_path / "home")],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
    )
    assert proc.returncode == 0, proc.stderr
    seen = json.loads(proc.stdout.strip().splitlines()[-1])
    assert seen["shown"] and seen["rc"] == 0
    assert not seen["torch"] and not seen["open_clip"] and not seen["onnxruntime"]
    assert seen["page"] == "WelcomePage"
    assert "test model" in seen["plan"] and "Nothing needs downloading" in seen["plan"]
    # the worker's modules are imported beside the window, not in its event loop
    assert seen["importers"] and "MainThread" not in seen["importers"], seen["importers"]


def test_welcome_says_what_downloads_and_where_it_runs(tmp_path):
    text = plan_text("ViT-B-32-256:datacomp_s34b_b86k", "auto", False, tmp_path, False)
    assert "605 MB" in text and str(tmp_path) in text
    assert "GPU if there is one, otherwise the CPU" in text
    cached = tmp_path / "models--laion--CLIP-ViT-B-32-256x256-DataComp-s34B-b86K"
    cached.mkdir()
    assert not needs_download("ViT-B-32-256:datacomp_s34b_b86k", tmp_path)
    assert "Nothing needs downloading" in plan_text(
        "ViT-B-32-256:datacomp_s34b_b86k", "onnx", True, tmp_path, False
    )


def test_welcome_in_a_light_install_says_what_the_model_needs(tmp_path):
    """No torch (`pip install clipdesk` without the export extra): a model with no
    ready-made export cannot run yet, and the welcome says so and what to do, not that it
    downloads 598 MB; the recommended model downloads its ready-made export."""
    text = plan_text("ViT-B-16:datacomp_xl_s13b_b90k", "auto", False, tmp_path, True)
    assert "cannot run yet" in text and "clipdesk[export]" in text and "test model" in text
    assert "598 MB" not in text
    text = plan_text("ViT-B-32-256:datacomp_s34b_b86k", "auto", False, tmp_path, True)
    assert "605 MB (its ready-made ONNX export)" in text and "cannot run" not in text
    assert "runs on the CPU (ONNX Runtime)" in text
    test = plan_text("test", "auto", False, tmp_path, True)
    assert "runs on the CPU (ONNX Runtime)" in test and "GPU" not in test
    assert choice_for("test").describe().endswith("no download, very fast")


def test_first_run_shows_the_welcome_and_closing_stops_the_worker(home, open_window, qtbot):
    window = open_window(home)
    assert window.pages.currentWidget() is window.welcome_page
    assert "test model" in window.welcome_page.plan.text()
    qtbot.waitUntil(lambda: window.session.bridge.running, timeout=10_000)
    worker = window.session.bridge._worker
    window.close()
    assert not window.session.bridge.running and not worker.running
    # The guard fixture then checks that no thread, pool task or timer is left behind.
