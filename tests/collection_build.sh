#!/usr/bin/env bash
# Builds the collection artifact, installs it into an empty collections path, and checks that the
# installed artifact works: playbooks, roles and plugins reachable by their fully qualified names.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD
work=$(mktemp -d /tmp/collection-build.XXXXXX)
trap 'rm -rf "$work"' EXIT
ansible-galaxy collection build --force --output-path "$work" . >/dev/null
artifact=$(ls "$work"/spectrumx-h200_benchmark-*.tar.gz)
echo "built $(basename "$artifact") ($(du -h "$artifact" | cut -f1))"
if tar -tzf "$artifact" | grep -E '(^|/)(molecule|tests/e2e|tests/unit|\.venv|results)/' >/dev/null; then
  echo "test-only content leaked into the artifact:"; tar -tzf "$artifact" | grep -E '(molecule|tests/e2e|tests/unit|\.venv|results)/' | head; exit 1
fi
printf "[defaults]\ncollections_path = %s\n" "$work/collections" >"$work/ansible.cfg"
export ANSIBLE_CONFIG="$work/ansible.cfg"
unset ANSIBLE_COLLECTIONS_PATH
ansible-galaxy collection install --offline -p "$work/collections" "$artifact" >/dev/null
cd "$work"   # away from the checkout, so nothing resolves from it
printf '[gpu_nodes]\na ansible_connection=local\nb ansible_connection=local\n' >hosts.ini
# playbooks by FQCN: node selection accepts a good value and rejects a bad one
ansible-playbook -i hosts.ini spectrumx.h200_benchmark.select_nodes -e nodes=2 \
  -e '{"h200_node_aliases": {"node001": "a", "node002": "b"}}' >/dev/null
if ansible-playbook -i hosts.ini spectrumx.h200_benchmark.select_nodes -e nodes=3 \
  -e '{"h200_node_aliases": {"node001": "a", "node002": "b"}}' >out.txt 2>&1; then
  echo "installed select_nodes accepted nodes=3 with 2 nodes"; exit 1
fi
grep -q "nodes='3' is not accepted" out.txt
# The benchmark by its full name from an empty folder, against a two-host inventory without alias map or
# group_vars (docs/architecture.md "Installed"): every default ships in the role, results land in ./results.
# These hosts have no GPU, NIC or /etc/nccl.conf: preflight fails them, the report says so, and the run fails.
mkdir run && cd run
printf '[gpu_nodes]\na ansible_connection=local\nb ansible_connection=local\n' >hosts.ini
node_dir=$work/node
set +e
ansible-playbook -i hosts.ini spectrumx.h200_benchmark.benchmark -e nodes=2 -e phases=nccl,report \
  -e "h200_node_dir=$node_dir" -e "h200_python=$(command -v python3)" >benchmark.log 2>&1
rc=$?
set -e
if grep -E "undefined|is not defined" benchmark.log; then echo "installed benchmark: undefined variable"; exit 1; fi
report=$(ls results/*/report.md 2>/dev/null || true)
[ -n "$report" ] || { echo "installed benchmark wrote no results/<run>/report.md (rc=$rc)"; tail -30 benchmark.log; exit 1; }
[ "$rc" -ne 0 ] || { echo "installed benchmark ended rc 0 although preflight failed"; exit 1; }
grep -q "preflight failed on a, b" benchmark.log || { echo "the run's failure does not name the nodes"; tail -20 benchmark.log; exit 1; }
grep -q '| a |' "$report" && grep -q '| b |' "$report" || { echo "report.md does not list both hosts"; exit 1; }
python3 -c 'import json, sys; v = json.load(open(sys.argv[1]))["collection_version"]; assert v == sys.argv[2], v' \
  "$(dirname "$report")/run.json" "$(basename "$artifact" .tar.gz | sed 's/.*-//')"
# --check validates, writes nothing, touches no node, and ends rc 0
rm -rf results "$node_dir"
ansible-playbook --check -i hosts.ini spectrumx.h200_benchmark.benchmark -e nodes=2 >check.log 2>&1 \
  || { echo "benchmark --check failed"; tail -20 check.log; exit 1; }
[ ! -e results ] && [ ! -e "$node_dir" ] || { echo "benchmark --check wrote something"; exit 1; }
# bad input is still refused in check mode
if ansible-playbook --check -i hosts.ini spectrumx.h200_benchmark.benchmark -e nodes=2 -e preset=fast >bad.log 2>&1; then
  echo "benchmark --check accepted preset=fast"; exit 1
fi
grep -q "preset=fast" bad.log
# one phase from a site playbook: the documented example, as shipped in the artifact
cp "$work/collections/ansible_collections/spectrumx/h200_benchmark/docs/examples/site_preflight.yml" .
set +e
ansible-playbook -i hosts.ini site_preflight.yml -e nodes=1 -e "h200_node_dir=$node_dir" >site.log 2>&1
rc=$?
set -e
site_report=$(ls results/*/report.md 2>/dev/null || true)
[ -n "$site_report" ] && [ "$rc" -ne 0 ] && grep -q "preflight failed on a" site.log \
  || { echo "site_preflight.yml: no report, or the failed preflight was not named (rc=$rc)"; tail -20 site.log; exit 1; }
cd "$work"
# every role's options by FQCN
for role in $(ls "$repo/roles"); do
  ansible-doc -t role "spectrumx.h200_benchmark.$role" >/dev/null
done
# every module's documentation
for module in $(ls "$repo/plugins/modules" | sed -n 's/\.py$//p'); do
  ansible-doc -t module "spectrumx.h200_benchmark.$module" >/dev/null
done
echo "collection build and install: ok"
