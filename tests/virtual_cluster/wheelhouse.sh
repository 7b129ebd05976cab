#!/usr/bin/env bash
# Fills the virtual cluster's wheelhouse, .cache/wheelhouse (git-ignored), which up.yml mounts read-only at
# /srv/wheelhouse in every node: the site package mirror of an offline cluster, from which the conda role's
# venv backend installs the workload environment (inventory/virtual.yml). The wheels come from the control
# node's pip configuration (the CPU build of torch lies on local disk; PyPI's torch is a multi-GB CUDA build),
# the versions from requirements/workload.txt. DeepSpeed is built here from its sdist into a wheel with its
# shared-memory comm op compiled ahead (DS_BUILD_SHM_COMM=1): otherwise every rank JIT-compiles it for about
# 50 s at init_distributed. Idempotent: a second run downloads and builds nothing. Usage: wheelhouse.sh
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
pip=${PIP:-$repo/.venv/bin/pip}
wheels="$repo/.cache/wheelhouse"
sdist_dir="$repo/.cache/wheelhouse-sdist"
mkdir -p "$wheels" "$sdist_dir"
log=$(mktemp); trap 'rm -f "$log"' EXIT
pip_quiet() {  # pip's output only when it fails (the host's extra indexes print harmless warnings)
  "$pip" "$@" >"$log" 2>&1 || { grep -v '^WARNING: Location' "$log" >&2; exit 1; }
}
ds_pin=$(grep -E '^deepspeed==' "$repo/requirements/workload.txt" | cut -d' ' -f1)
ds_version=${ds_pin#deepspeed==}
if ! ls "$wheels"/deepspeed-"$ds_version"-*.whl >/dev/null 2>&1; then
  # Linux x86_64 CPython 3.11 wheels: what Debian 12's python3 in the nodes runs.
  pip_quiet download -q --disable-pip-version-check -d "$wheels" --only-binary :all: \
    --python-version 3.11 --implementation cp --abi cp311 --abi abi3 --abi none \
    --platform manylinux_2_28_x86_64 --platform manylinux_2_17_x86_64 --platform manylinux2014_x86_64 \
    --platform manylinux2010_x86_64 --platform manylinux_2_12_x86_64 --platform manylinux_2_27_x86_64 \
    --platform linux_x86_64 \
    -c "$repo/requirements/workload.txt" -r "$repo/tests/virtual_cluster/wheelhouse.in"
  pip_quiet download -q --disable-pip-version-check -d "$sdist_dir" --no-deps --no-binary :all: \
    --no-build-isolation "$ds_pin"
  # built against the control node's torch (the same pinned CPU build the nodes install)
  DS_ACCELERATOR=cpu DS_BUILD_OPS=0 DS_BUILD_SHM_COMM=1 pip_quiet wheel -q --no-cache-dir --no-index --no-deps \
    --no-build-isolation -w "$wheels" "$sdist_dir/deepspeed-$ds_version.tar.gz"
  echo "filled $wheels"
fi
# One version of each: pip download leaves older files behind when versions move.
count=$(find "$wheels" -maxdepth 1 -name 'deepspeed-*.whl' | wc -l)
[ "$count" -eq 1 ] || { echo "expected one DeepSpeed wheel in $wheels, found $count" >&2; exit 1; }
ls "$wheels"/torch-*.whl >/dev/null
