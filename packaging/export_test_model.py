"""Export the test model (models/test/) to ONNX into models/test/onnx/, the package data
that lets an installation without torch (`pip install clipdesk`) run it.

Run it after retraining the test model (models/train_test_model.py), with torch and
open_clip installed (`pip install -e '.[export]'`), and commit the result:

    .venv/bin/python packaging/export_test_model.py

It runs ClipDesk's own export (clipdesk/embedding/onnx_runtime.py, ``export_model``), as a
first run with torch would, and writes the fp32 graphs only: ``--int8`` quantises them
into the user's cache on first use, with no torch (tests/unit/test_package_data.py checks
the export is the weights' own; models/test/SOURCES.md says where everything comes from).
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MODEL = ROOT / "models" / "test"


def main() -> int:
    # The repository's code and test model, however clipdesk is installed in this venv.
    os.environ["CLIPDESK_TEST_MODEL"] = str(MODEL)
    sys.path.insert(0, str(ROOT))
    from clipdesk.embedding import parse_model
    from clipdesk.embedding.onnx_runtime import export_model
    from clipdesk.embedding.prebuilt import TEST_MODEL_EXPORT
    from clipdesk.embedding.weights import check_hash

    spec = parse_model("test")
    dest = MODEL / TEST_MODEL_EXPORT
    with tempfile.TemporaryDirectory() as scratch:
        digest = check_hash(spec, MODEL / "open_clip_model.safetensors", Path(scratch))
        export_model(spec, digest, dest, Path(scratch))  # atomic: replaces the old export
    dest.chmod(0o755)
    for path in sorted(dest.iterdir()):
        path.chmod(0o644)
        print(f"{path.relative_to(ROOT)}  {path.stat().st_size:,} bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
