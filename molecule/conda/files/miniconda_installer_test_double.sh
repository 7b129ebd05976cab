#!/bin/bash
# TEST DOUBLE for the Miniconda installer, used only by the conda molecule scenario (repo.anaconda.com
# is unreachable here). It honours the installer's batch contract `-b -p PREFIX`: PREFIX gets a Python
# (python3 -m venv) and a `conda` shim answering the three calls the role makes:
#   conda --version | conda create -y -p ENV python=X ... | conda list -p ENV --json
# `create` makes ENV with python3 -m venv (the container's Python, not conda's); `list` reports the
# env's pip packages in conda's JSON shape with channel "pypi". No conda solver is exercised. Every call (the
# installer's and the shim's) is appended to PREFIX/test_double_calls.log, so verify can assert what the role
# asked for rather than what the double answered.
set -euo pipefail
batch=0; prefix=""
while [ $# -gt 0 ]; do
  case "$1" in
    -b) batch=1; shift ;;
    -p) prefix=$2; shift 2 ;;
    *) echo "installer test double: unsupported argument $1" >&2; exit 2 ;;
  esac
done
[ "$batch" = 1 ] && [ -n "$prefix" ] || { echo "installer test double: needs -b -p PREFIX" >&2; exit 2; }
python3 -m venv "$prefix"
echo "installer -b -p $prefix" >> "$prefix/test_double_calls.log"
cat > "$prefix/bin/conda" <<'SHIM'
#!/bin/sh
# conda shim of the Miniconda installer TEST DOUBLE (molecule/conda): not conda.
set -eu
echo "conda $*" >> "$(dirname "$0")/../test_double_calls.log"
case "${1:-}" in
  --version) echo "conda 24.9.2 (test double)" ;;
  create)
    shift; env=""
    while [ $# -gt 0 ]; do case "$1" in -p) env=$2; shift 2 ;; *) shift ;; esac; done
    python3 -m venv "$env" ;;
  list)
    shift; env=""
    while [ $# -gt 0 ]; do case "$1" in -p) env=$2; shift 2 ;; *) shift ;; esac; done
    "$env/bin/python" -c 'import json, subprocess, sys
pkgs = json.loads(subprocess.check_output([sys.executable, "-m", "pip", "list", "--format=json"]))
print(json.dumps([{"name": p["name"], "version": p["version"], "channel": "pypi"} for p in pkgs]))' ;;
  *) echo "conda shim (test double): unsupported command $*" >&2; exit 2 ;;
esac
SHIM
chmod 755 "$prefix/bin/conda"
echo "PREFIX=$prefix (installer test double)"
