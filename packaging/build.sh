#!/usr/bin/env bash
# Build the one-folder desktop bundle (dist/clipdesk/) with PyInstaller, then smoke-run it:
# --version, add and search with the built-in test model on a few generated photos, the
# recommended model downloaded as a ready-made ONNX export from a local model hub (a stand-in
# of the real files: packaging/readymade_hub.py), and a model the bundle cannot export (one
# line, exit 1). Slow (minutes) and not part of CI.
#
# The stand-in files are made with torch (open_clip's ViT-B-32-256 with random weights, as
# rclip exports it): EXPORT_PYTHON names a Python with the export extra (default: $PYTHON);
# without one, that step is skipped, and says so.
#
# The bundle has no torch (see clipdesk.spec), so it cannot export a model to ONNX; this
# script first puts the test model's export into build/prebuilt-onnx/ (the real
# load_embedder, which copies the package data models/test/onnx/ and adds the int8 graphs:
# no torch needed), and the spec ships that folder.
#
#   packaging/build.sh                 # with the build venv (`pip install .` is enough) active
#   PYTHON=/path/to/venv/bin/python packaging/build.sh
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python}
if ! "$PY" -m PyInstaller --version >/dev/null 2>&1; then
    echo "installing pyinstaller into $("$PY" -c 'import sys; print(sys.prefix)')"
    "$PY" -m pip install -q pyinstaller
fi

start=$(date +%s)
rm -rf build/prebuilt-onnx build/prebuilt-weights
# The bundle's own prebuilt folder must not stand in for the export made here. The test
# model is the repository's models/test/ (what the spec ships), however the build venv
# installed clipdesk: run from here, Python imports the repository's clipdesk, which finds
# models/ (package data mapped at build time) only through an editable install.
env -u CLIPDESK_PREBUILT_ONNX CLIPDESK_TEST_MODEL="$PWD/models/test" "$PY" -c "
from pathlib import Path
from clipdesk.embedding import load_embedder
load_embedder('test', backend='onnx', int8=True, onnx_dir=Path('build/prebuilt-onnx'),
              weights_dir=Path('build/prebuilt-weights'))
"
"$PY" -m PyInstaller --noconfirm --clean --log-level WARN \
    --distpath dist --workpath build/pyinstaller packaging/clipdesk.spec
build_s=$(($(date +%s) - start))
app=dist/clipdesk/clipdesk
for left_out in torch torchvision open_clip nvidia triton; do
    if [ -e "dist/clipdesk/_internal/$left_out" ]; then
        echo "smoke: FAILED ($left_out is in the bundle)"
        exit 1
    fi
done

smoke=$(mktemp -d)
hub=""
trap 'if [ -n "$hub" ]; then kill "$hub" 2>/dev/null || true; fi; rm -rf "$smoke"' EXIT
"$PY" -c "from clipdesk.testing.synthetic import write_folder; write_folder('$smoke/photos', 12, seed=3)"
EXPORT_PY=${EXPORT_PYTHON:-$PY}
if "$EXPORT_PY" -c "import open_clip" 2>/dev/null; then
    "$EXPORT_PY" packaging/readymade_hub.py build/readymade-hub "$smoke/hub-url" \
        >"$smoke/hub.log" 2>&1 &
    hub=$!
    for _ in $(seq 600); do
        [ -s "$smoke/hub-url" ] && break
        kill -0 "$hub" 2>/dev/null || { cat "$smoke/hub.log"; echo "smoke: FAILED (no hub)"; exit 1; }
        sleep 1
    done
fi
cd "$smoke"  # outside the repository: the bundle must carry everything it needs
"$OLDPWD/$app" --version
"$OLDPWD/$app" --home "$smoke/home" --model test add "$smoke/photos"
"$OLDPWD/$app" --home "$smoke/home" search "red circle" --limit 3 | tee "$smoke/search.txt"
head -1 "$smoke/search.txt" | grep -q red_circle || {
    echo "smoke: FAILED (the best match for 'red circle' is not a red circle)"
    exit 1
}
# The recommended model: its ready-made export downloaded (verified) from the local hub,
# then the photos embedded and searched (random weights: any order of results will do).
if [ -n "$hub" ]; then
    env -u HF_HUB_OFFLINE HF_ENDPOINT="$(cat "$smoke/hub-url")" "$OLDPWD/$app" \
        --home "$smoke/readymade" --model ViT-B-32-256:datacomp_s34b_b86k \
        add "$smoke/photos" 2>"$smoke/rm-err.txt" | tee "$smoke/rm-out.txt" || true
    if ! grep -q "12 embedded" "$smoke/rm-out.txt" \
        || ! grep -q "visual.onnx, verified" "$smoke/rm-err.txt" \
        || ! grep -q "textual.onnx, verified" "$smoke/rm-err.txt"; then
        cat "$smoke/rm-err.txt"
        echo "smoke: FAILED (the recommended model did not download and run)"
        exit 1
    fi
    HF_HUB_OFFLINE=1 "$OLDPWD/$app" --home "$smoke/readymade" \
        --model ViT-B-32-256:datacomp_s34b_b86k search "red circle" --limit 3 --all
else
    echo "smoke: the recommended model's download SKIPPED (no torch in $EXPORT_PY to make" \
        "the stand-in files: set EXPORT_PYTHON)"
fi
# A model with no export (nor a ready-made one): one line naming what to do, exit 1.
if HF_HUB_OFFLINE=1 "$OLDPWD/$app" --home "$smoke/other" \
    --model ViT-B-16:datacomp_xl_s13b_b90k add "$smoke/photos" 2>"$smoke/err.txt"; then
    echo "smoke: FAILED (a model without an export ran)"
    exit 1
fi
cat "$smoke/err.txt"
if [ "$(wc -l <"$smoke/err.txt")" -ne 1 ] || ! grep -q "has no torch" "$smoke/err.txt"; then
    echo "smoke: FAILED (expected one line saying this build has no torch)"
    exit 1
fi
cd "$OLDPWD"
echo "smoke: passed"
echo "build time: ${build_s}s"
echo "bundle size: $(du -sh dist/clipdesk | cut -f1) ($(find dist/clipdesk -type f | wc -l) files)"
