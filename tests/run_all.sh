#!/usr/bin/env bash
# The README's test command (`make test`): every suite in turn, each reported, then one closing line.
# Suites: unit (pytest), lint (ruff, ansible-lint production, no JSON built in Jinja), sanity (ansible-test),
# build (the artifact installed and run from an empty folder), molecule, e2e.
set -uo pipefail
cd "$(dirname "$0")/.."
export PATH=$PWD/.venv/bin:$PATH ANSIBLE_CONFIG=$PWD/ansible.cfg
suites=${SUITES:-unit lint sanity build molecule e2e}
passed=0; failed=0; failed_names=()
run() {
  local name=$1; shift
  echo "=== $name: $*"
  local start=$SECONDS
  if "$@"; then passed=$((passed + 1)); echo "=== $name passed in $((SECONDS - start)) s"
  else failed=$((failed + 1)); failed_names+=("$name"); echo "=== $name FAILED in $((SECONDS - start)) s"; fi
}
for suite in $suites; do
  case $suite in
    # Two processes: Ansible replaces sys.intern on import, which torch._dynamo (the workload's
    # flex attention and compile paths) refuses to trace through in the same interpreter.
    unit) run unit-plugins pytest -q -p no:cacheprovider tests/unit --ignore=tests/unit/workload
          run unit-workload pytest -q -p no:cacheprovider tests/unit/workload ;;
    lint) run ruff ruff check plugins files tests benchmarks
          run ansible-lint ansible-lint --profile production
          # records are written from structured data (run_record on the controller through module_utils/run_dir.py,
          # json_record on the nodes), never assembled as JSON text in Jinja
          run no-jinja-json bash -c '! grep -rnE "to_(nice_)?json" roles playbooks --include=*.yml' ;;
    sanity) run sanity bash tests/sanity.sh ;;
    build) run collection-build bash tests/collection_build.sh ;;
    molecule) run molecule bash tests/molecule.sh ;;
    e2e) run e2e pytest -q -p no:cacheprovider --durations=15 tests/e2e ;;
    *) echo "unknown suite $suite"; failed=$((failed + 1)) ;;
  esac
done
[ $failed -eq 0 ] || echo "failed suites: ${failed_names[*]}"
echo "suites: $passed passed, $failed failed"
[ $failed -eq 0 ]
