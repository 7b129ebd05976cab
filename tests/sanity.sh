#!/usr/bin/env bash
# ansible-test sanity on the built collection artifact, unpacked as ansible_collections/spectrumx/h200_benchmark
# (ansible-test insists on that path). Offline: ansible-test's pip bootstrap would download get-pip.py
# from a host that is not reachable, so a local stand-in that uses ensurepip is put in its cache first.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(mktemp -d /tmp/sanity.XXXXXX)
trap 'rm -rf "$root"' EXIT
dest=$root/ansible_collections/spectrumx/h200_benchmark
mkdir -p "$dest"
# What ships: the built artifact (galaxy.yml's build_ignore leaves out molecule/, test harnesses, benchmarks).
ansible-galaxy collection build --force --output-path "$root" . >/dev/null
tar -C "$dest" -xzf "$root"/spectrumx-h200_benchmark-*.tar.gz
pip_version=$(python - <<'PY'
import re, ansible_test._internal.python_requirements as r
print(re.search(r"pip='([0-9.]+)'", open(r.__file__).read()).group(1))
PY
)
cache=~/.ansible/test/cache/get_pip_${pip_version//./_}.py
mkdir -p "$(dirname "$cache")"
cat >"$cache" <<'PY'
# Offline stand-in for get-pip.py: bootstraps pip with ensurepip, then installs what was asked.
import subprocess
import sys

subprocess.check_call([sys.executable, "-m", "ensurepip", "--upgrade", "--default-pip"])
# get-pip.py's own flags are not pip-install flags
args = [a for a in sys.argv[1:] if a not in ("--no-setuptools", "--no-wheel")]
if args:
    subprocess.check_call([sys.executable, "-m", "pip", "install"] + args)
PY
cd "$dest"
ansible-test sanity --python 3.11 --requirements --color no "$@"
