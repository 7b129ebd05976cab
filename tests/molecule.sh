#!/usr/bin/env bash
# Runs every molecule scenario under molecule/ (or those named as arguments); one summary line at the end.
set -uo pipefail
cd "$(dirname "$0")/.."
export ANSIBLE_CONFIG=$PWD/ansible.cfg
scenarios=("$@")
if [ ${#scenarios[@]} -eq 0 ]; then
  mapfile -t scenarios < <(find molecule -mindepth 2 -maxdepth 2 -name molecule.yml -printf '%h\n' | xargs -n1 basename | sort)
fi
passed=0; failed=0; failed_names=()
for s in "${scenarios[@]}"; do
  echo "=== molecule test -s $s"
  if molecule test -s "$s"; then passed=$((passed + 1)); else failed=$((failed + 1)); failed_names+=("$s"); fi
done
[ $failed -eq 0 ] || echo "failed scenarios: ${failed_names[*]}"
echo "molecule: $passed passed, $failed failed"
[ $failed -eq 0 ]
