#!/usr/bin/env bash
# Makes sure a Docker engine answers: installs docker.io and starts dockerd when none runs
# (CI machines and fresh developer machines have only the client).
set -euo pipefail
if docker info >/dev/null 2>&1; then exit 0; fi
if ! command -v dockerd >/dev/null 2>&1; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq docker.io >/dev/null
fi
mkdir -p /var/log
# no inherited descriptor beyond stdio: the daemon outlives this script, and would hold open whatever its caller
# had open (a lock file held by flock, a pipe a CI log is read from)
nohup dockerd >/var/log/dockerd.log 2>&1 </dev/null 3>&- 4>&- 5>&- 6>&- 7>&- 8>&- 9>&- &
for _ in $(seq 1 60); do
  if docker info >/dev/null 2>&1; then exit 0; fi
  sleep 1
done
echo "dockerd did not answer within 60 s; see /var/log/dockerd.log" >&2
exit 1
