#!/bin/bash
# PID 1's child of a virtual cluster node (no systemd; docker's --init reaps): installs the keys and
# configuration that up.yml mounts read-only at /etc/virtual_cluster, starts munged, slurmctld on the
# host slurm.conf names as controller, slurmd, then runs sshd on 44222 in the foreground.
set -euo pipefail
conf=/etc/virtual_cluster
for f in authorized_keys cluster_key cluster_key.pub ssh_config deepspeed_env munge.key slurm.conf; do
  [ -f "$conf/$f" ] || { echo "missing $conf/$f: start this container with tests/virtual_cluster/up.yml" >&2; exit 1; }
done
install -d -m 0700 /root/.ssh
install -m 0600 "$conf/authorized_keys" /root/.ssh/authorized_keys
install -m 0600 "$conf/cluster_key" /root/.ssh/id_ed25519
install -m 0644 "$conf/cluster_key.pub" /root/.ssh/id_ed25519.pub
install -m 0600 "$conf/ssh_config" /root/.ssh/config
install -m 0644 "$conf/deepspeed_env" /root/.deepspeed_env
install -o munge -g munge -m 0400 "$conf/munge.key" /etc/munge/munge.key
install -m 0644 "$conf/slurm.conf" /etc/slurm/slurm.conf
ssh-keygen -A >/dev/null
install -d -o munge -g munge -m 0755 /run/munge
runuser -u munge -- /usr/sbin/munged
controller=$(sed -n 's/^SlurmctldHost=\([^(]*\).*/\1/p' /etc/slurm/slurm.conf)
if [ "$(hostname)" = "$controller" ]; then /usr/sbin/slurmctld; fi
/usr/sbin/slurmd
install -d -m 0755 /run/sshd
exec /usr/sbin/sshd -D -e
