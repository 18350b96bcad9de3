"""A local model hub serving a stand-in for the recommended model's ready-made ONNX export,
for the bundle's smoke test (packaging/build.sh): the files of rclip-models
(clipdesk/embedding/readymade.py, docs/models.md) with the same names, inputs, outputs and
conventions, exported as rclip exports them from open_clip's ViT-B-32-256 with random
weights (the real architecture: 256 px, 77 tokens, 512 dimensions). The bundle, pointed at
it by HF_ENDPOINT, downloads and runs it as it would the real files.

Needs torch and open_clip (the export extra) to make the files; the bundle needs neither.

    python packaging/readymade_hub.py build/readymade-hub URL_FILE
        # makes the files once (kept in the folder), serves them, writes the hub's URL into
        # URL_FILE, and serves until killed
"""

from __future__ import annotations

import sys
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # the repository's clipdesk and tests/support


def files(folder: Path) -> dict[str, bytes]:
    from clipdesk.embedding.readymade import RCLIP

    made = {RCLIP.image.path: folder / "visual.onnx", RCLIP.text.path: folder / "textual.onnx"}
    if not all(p.is_file() for p in made.values()):
        from tests.support.readymade_exports import random_vit_b_32_256, rclip_files

        rclip_files(folder, random_vit_b_32_256())
    return {name: path.read_bytes() for name, path in made.items()}


def main(folder: str, url_file: str) -> None:
    from clipdesk.embedding.readymade import RCLIP
    from tests.support.model_hub import HubServer

    server = HubServer(RCLIP.repo, files(Path(folder)))
    Path(url_file).write_text(server.url)
    print(f"serving {RCLIP.repo} at {server.url}", flush=True)
    try:
        threading.Event().wait()
    finally:
        server.close()


if __name__ == "__main__":
    main(*sys.argv[1:3])
