#!/usr/bin/env bash
# Builds the collection artifact, installs it into an empty collections path, and checks that the
# installed artifact works: playbooks, roles and plugins reachable by their fully qualified names.
set -euo pipefail
cd "$(dirname "$0")/.."
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
# every role's options by FQCN
for role in $(ls "$OLDPWD/roles"); do
  ansible-doc -t role "spectrumx.h200_benchmark.$role" >/dev/null
done
# every module's documentation
for module in $(ls "$OLDPWD/plugins/modules" | sed -n 's/\.py$//p'); do
  ansible-doc -t module "spectrumx.h200_benchmark.$module" >/dev/null
done
echo "collection build and install: ok"
