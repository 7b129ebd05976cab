#!/usr/bin/env bash
# Runs every molecule scenario under molecule/ (or those named as arguments); one summary line at the end.
set -uo pipefail
cd "$(dirname "$0")/.."
export ANSIBLE_CONFIG=$PWD/ansible.cfg
scenarios=("$@")
if [ ${#scenarios[@]} -eq 0 ]; then
  mapfile -t scenarios < <(find molecule -mindepth 2 -maxdepth 2 -name molecule.yml -printf '%h\n' | xargs -n1 basename | sort)
fi
# The local images the scenarios run on (spectrumx/NAME:latest from tests/images/NAME; no registry).
for s in "${scenarios[@]}"; do
  grep -ho 'image: spectrumx/[a-z0-9-]*:latest' "molecule/$s/molecule.yml" | sed 's|.*spectrumx/||; s|:latest||'
done | sort -u | while read -r name; do
  bash tests/images/build.sh "$name" || exit 1
done || { echo "molecule: 0 passed, ${#scenarios[@]} failed (image build)"; exit 1; }
passed=0; failed=0; failed_names=()
for s in "${scenarios[@]}"; do
  echo "=== molecule test -s $s"
  if molecule test -s "$s"; then passed=$((passed + 1)); else failed=$((failed + 1)); failed_names+=("$s"); fi
done
[ $failed -eq 0 ] || echo "failed scenarios: ${failed_names[*]}"
echo "molecule: $passed passed, $failed failed"
[ $failed -eq 0 ]
