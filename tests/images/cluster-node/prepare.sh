#!/usr/bin/env bash
# Fills wheels/ (git-ignored) with what the cluster-node image installs, then builds the image with
# tests/images/build.sh (which rebuilds only when this folder's content changed). The wheels come from
# the control node's pip configuration (the CPU build of torch lies on local disk; PyPI's torch is a
# multi-GB CUDA build); versions from requirements/workload.txt. Usage: prepare.sh
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../../.." && pwd)
pip=${PIP:-$repo/.venv/bin/pip}
wheels="$here/wheels"
mkdir -p "$wheels"
log=$(mktemp); trap 'rm -f "$log"' EXIT
pip_quiet() {  # pip's output only when it fails (the host's extra indexes print harmless warnings)
  "$pip" "$@" >"$log" 2>&1 || { grep -v '^WARNING: Location' "$log" >&2; exit 1; }
}
# Linux x86_64 CPython 3.11 wheels: what Debian 12's python3 in the image runs.
pip_quiet download -q --disable-pip-version-check -d "$wheels" --only-binary :all: \
  --python-version 3.11 --implementation cp --abi cp311 --abi abi3 --abi none \
  --platform manylinux_2_28_x86_64 --platform manylinux_2_17_x86_64 --platform manylinux2014_x86_64 \
  --platform manylinux2010_x86_64 --platform manylinux_2_12_x86_64 --platform manylinux_2_27_x86_64 \
  --platform linux_x86_64 \
  -c "$repo/requirements/workload.txt" -r "$here/requirements.in"
ds_pin=$(grep -E '^deepspeed==' "$repo/requirements/workload.txt" | cut -d' ' -f1)
pip_quiet download -q --disable-pip-version-check -d "$wheels" --no-deps --no-binary :all: --no-build-isolation \
  "$ds_pin"
# One version of each: pip download leaves older files behind when versions move.
count=$(find "$wheels" -maxdepth 1 -name 'deepspeed-*.tar.gz' | wc -l)
[ "$count" -eq 1 ] || { echo "expected one DeepSpeed sdist in $wheels, found $count" >&2; exit 1; }
ls "$wheels"/torch-*.whl >/dev/null
bash "$repo/tests/images/build.sh" cluster-node
