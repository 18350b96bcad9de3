#!/usr/bin/env bash
# Build the one-folder desktop bundle (dist/clipdesk/) with PyInstaller, then smoke-run it:
# --version, then add and search with the built-in test model on a few generated photos.
# Slow (minutes) and not part of CI.
#
#   packaging/build.sh                 # with the build venv active (CPU torch: see clipdesk.spec)
#   PYTHON=/path/to/venv/bin/python packaging/build.sh
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python}
if ! "$PY" -m PyInstaller --version >/dev/null 2>&1; then
    echo "installing pyinstaller into $("$PY" -c 'import sys; print(sys.prefix)')"
    "$PY" -m pip install -q pyinstaller
fi

start=$(date +%s)
"$PY" -m PyInstaller --noconfirm --clean --log-level WARN \
    --distpath dist --workpath build/pyinstaller packaging/clipdesk.spec
build_s=$(($(date +%s) - start))
app=dist/clipdesk/clipdesk

smoke=$(mktemp -d)
trap 'rm -rf "$smoke"' EXIT
"$PY" -c "from clipdesk.synthetic import write_folder; write_folder('$smoke/photos', 12, seed=3)"
cd "$smoke"  # outside the repository: the bundle must carry everything it needs
"$OLDPWD/$app" --version
"$OLDPWD/$app" --home "$smoke/home" --model test add "$smoke/photos"
"$OLDPWD/$app" --home "$smoke/home" search "red circle" --limit 3 | tee "$smoke/search.txt"
head -1 "$smoke/search.txt" | grep -q red_circle || {
    echo "smoke: FAILED (the best match for 'red circle' is not a red circle)"
    exit 1
}
cd "$OLDPWD"
echo "smoke: passed"
echo "build time: ${build_s}s"
echo "bundle size: $(du -sh dist/clipdesk | cut -f1) ($(find dist/clipdesk -type f | wc -l) files)"
