#!/usr/bin/env bash
# Builds the base image every container of the tests starts from, without a registry:
# a Debian 12 minbase rootfs from debootstrap, imported with `docker import`.
# Rebuilt only when missing. Usage: build_base.sh [IMAGE]   (default spectrumx/bookworm-base:1)
set -euo pipefail
image=${1:-spectrumx/bookworm-base:1}
if docker image inspect "$image" >/dev/null 2>&1; then exit 0; fi
command -v debootstrap >/dev/null || {
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap >/dev/null; }
rootfs=$(mktemp -d /tmp/rootfs.XXXXXX)
trap 'rm -rf "$rootfs"' EXIT
debootstrap --variant=minbase \
  --include=python3,python3-apt,sudo,openssh-server,iproute2,procps,ca-certificates,kmod \
  bookworm "$rootfs" http://deb.debian.org/debian >/tmp/debootstrap.log 2>&1 || {
  tail -n 20 /tmp/debootstrap.log >&2; exit 1; }
# apt inside later builds reaches the same mirror
echo 'deb http://deb.debian.org/debian bookworm main' >"$rootfs/etc/apt/sources.list"
echo 'deb http://deb.debian.org/debian-security bookworm-security main' >>"$rootfs/etc/apt/sources.list"
rm -f "$rootfs"/etc/ssh/ssh_host_*   # each container generates its own host keys
tar -C "$rootfs" -c . | docker import -c 'CMD ["/bin/bash"]' - "$image" >/dev/null
echo "built $image"
