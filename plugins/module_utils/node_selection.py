# -*- coding: utf-8 -*-
# Copyright: (c) 2026, spectrumx.h200_benchmark contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Node selection from the alias map: ``-e nodes=N`` and the sweep form ``-e nodes=1,2,4,8``; the GPU-count
sweep inside one node (``-e gpus=1,2,4,8``) and the configurations (nodes x GPUs per node) a run measures.

Pure functions, shared by the filter plugins and the tests. Everything that names hosts (the play's
host list, Slurm node lists, PDSH host lists, DeepSpeed hostfiles, /etc/hosts) is derived from the
ordered alias map by these functions, so there is one place that says which host is ``node008``.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import ipaddress
import re

_INTEGER = re.compile(r"^[0-9]+$")


class NodeSelectionError(ValueError):
    """The value given for ``nodes`` (or the alias map) is not acceptable."""


def ordered_aliases(alias_map, inventory_hosts=None):
    """Return ``[(alias, host), ...]`` ordered by alias (node001, node002, ...).

    With ``inventory_hosts`` (the inventory's GPU nodes), aliases of hosts that inventory lacks are left
    out, so a one-host inventory (a single GPU machine) accepts nodes=1 only. Without an alias map (an
    empty one: an inventory other than the real cluster's) every inventory host is its own alias, in
    inventory order.
    """
    if alias_map == {} and inventory_hosts:
        return [(str(host), str(host)) for host in inventory_hosts]
    if not isinstance(alias_map, dict) or not alias_map:
        raise NodeSelectionError(
            "h200_node_aliases must be a non-empty mapping of alias to inventory host, "
            "for example {node001: hgx-0001}; got %r" % (alias_map,)
        )
    pairs = sorted(((str(k), str(v)) for k, v in alias_map.items()), key=lambda kv: kv[0])
    if inventory_hosts is not None:
        present = set(str(h) for h in inventory_hosts)
        pairs = [(alias, host) for alias, host in pairs if host in present]
        if not pairs:
            raise NodeSelectionError(
                "none of the hosts in h200_node_aliases is in the inventory's gpu_nodes group (%s)"
                % ", ".join(sorted(present))
            )
    return pairs


def _sweep_example(available):
    sweep = [1]
    while sweep[-1] * 2 < available:
        sweep.append(sweep[-1] * 2)
    if sweep[-1] != available:
        sweep.append(available)
    return ",".join(str(n) for n in sweep)


def _reject(value, available):
    return NodeSelectionError(
        "nodes=%r is not accepted: give a whole number from 1 to %d (the inventory's GPU nodes in the alias map "
        "h200_node_aliases), or a comma-separated sweep of such numbers in increasing order, e.g. nodes=%s"
        % (value, available, _sweep_example(available))
    )


def _reject_gpus(value, available):
    return NodeSelectionError(
        "gpus=%r is not accepted: give a whole number from 1 to %d (h200_gpus_per_node, or h200_ranks_per_node on "
        "a CPU inventory), or a comma-separated sweep of such numbers in increasing order, e.g. gpus=%s"
        % (value, available, _sweep_example(available))
    )


def _parse_counts(value, available, reject):
    """Parse a count or an increasing comma-separated sweep of counts from 1 to ``available``."""
    if isinstance(value, bool):
        raise reject(value, available)
    if isinstance(value, int):
        parts = [str(value)]
    elif isinstance(value, (list, tuple)):
        parts = [str(v).strip() for v in value]
    elif isinstance(value, str):
        parts = [p.strip() for p in value.split(",")]
    else:
        raise reject(value, available)
    counts = []
    for part in parts:
        # a digit-limit error of int() on a very long value must not replace the message
        if not _INTEGER.match(part) or len(part) > 6:
            raise reject(value, available)
        count = int(part)
        if count < 1 or count > available:
            raise reject(value, available)
        counts.append(count)
    if not counts or any(b <= a for a, b in zip(counts, counts[1:])):
        raise reject(value, available)
    return counts


def parse_node_counts(value, available):
    """Parse ``nodes`` into a list of node counts, validating each against ``available``.

    Accepted: ``"4"``, ``4``, ``"1,2,4,8"`` (strictly increasing, no duplicates). Rejected with a
    message that names ``nodes``, the value and the accepted range: 0, negatives, more than
    ``available``, non-integers (``"2.5"``, ``"abc"``), empty strings, anything with other characters.
    """
    return _parse_counts(value, available, _reject)


def parse_gpu_counts(value, available):
    """Parse ``gpus`` (GPUs of one node to sweep) like ``nodes``; ``available`` is the GPUs (ranks) per node."""
    return _parse_counts(value, int(available or 0), _reject_gpus)


def config_label(nodes, gpus_used=None, gpus_per_node=None):
    """The folder name of one configuration in the run directory: ``n<N>`` with every GPU of each node,
    ``n1-g<k>`` for k of a node's GPUs (the GPU sweep)."""
    if gpus_used is None or gpus_used == gpus_per_node:
        return "n%d" % int(nodes)
    return "n%d-g%d" % (int(nodes), int(gpus_used))


_LABEL = re.compile(r"^n(\d+)(?:-g(\d+))?(?:-([A-Za-z][A-Za-z0-9_]*))?$")


def parse_config_label(label):
    """``n2`` -> (2, None, None); ``n1-g2`` -> (1, 2, None); ``n2-ring`` -> (2, None, "ring"); else None."""
    match = _LABEL.match(str(label))
    if not match:
        return None
    return int(match.group(1)), (int(match.group(2)) if match.group(2) else None), match.group(3)


def sweep_configs(node_counts, gpu_counts, gpus_per_node, ranks_per_node):
    """The configurations a run measures, in order: the GPU sweep on one node (k GPUs for each k of
    ``gpu_counts`` below a full node), then each node count with every GPU of each node.

    One dict each: ``nodes``, ``gpus`` (GPUs per node used; 0 on CPU), ``ranks_per_node``, ``label``,
    ``sweep`` ("gpus" or "nodes"). On a CPU inventory (``gpus_per_node`` 0) the GPU sweep counts ranks.
    A subset always takes the node's first k GPUs (CUDA_DEVICE_ORDER=PCI_BUS_ID, NVML's index order).
    """
    gpus_per_node, ranks_per_node = int(gpus_per_node), int(ranks_per_node)
    slots = gpus_per_node if gpus_per_node > 0 else ranks_per_node
    configs = []
    for k in gpu_counts or []:
        k = int(k)
        if k == slots and 1 in node_counts:
            continue  # the full node is the node sweep's 1-node configuration
        configs.append({"nodes": 1, "gpus": k if gpus_per_node > 0 else 0,
                        "ranks_per_node": ranks_per_node if k == slots else k,
                        "label": config_label(1, k, slots), "sweep": "gpus"})
    for n in node_counts:
        configs.append({"nodes": int(n), "gpus": gpus_per_node, "ranks_per_node": ranks_per_node,
                        "label": config_label(n), "sweep": "nodes"})
    return configs


def select_hosts(alias_map, count, inventory_hosts=None):
    """The inventory hosts of the first ``count`` aliases (``node001``...), in alias order."""
    pairs = ordered_aliases(alias_map, inventory_hosts)
    if count < 1 or count > len(pairs):
        raise _reject(count, len(pairs))
    return [host for _alias, host in pairs[:count]]


def alias_of(alias_map, host):
    """The alias of an inventory host (``hgx-0009`` -> ``node008``)."""
    for alias, mapped in ordered_aliases(alias_map):
        if mapped == host:
            return alias
    raise NodeSelectionError("host %r is not in the alias map h200_node_aliases" % (host,))


def deepspeed_hostfile(hosts, slots):
    """A DeepSpeed hostfile: one ``host slots=N`` line per host."""
    return "".join("%s slots=%d\n" % (host, int(slots)) for host in hosts)


def slurm_nodelist(hosts):
    """A Slurm node list (comma-separated; Slurm accepts it wherever a hostlist is expected)."""
    return ",".join(hosts)


_HOST_PART = r"[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_HOST_NAME = re.compile(r"^%s(\.%s)*$" % (_HOST_PART, _HOST_PART))


def etc_hosts_lines(alias_map, addresses, variable="node_aliases_addresses"):
    """``/etc/hosts`` lines ``ADDRESS HOST ALIAS``, one per alias of ``alias_map``, in alias order.

    Every mapped host needs an IP address in ``addresses`` (host -> address) and every name must be a valid
    host name: anything else is an error naming the host and ``variable``, so no partial block is written.
    """
    lines, problems = [], []
    for alias, host in ordered_aliases(alias_map):
        for name in (alias, host):
            if not _HOST_NAME.match(name):
                problems.append("%r is not a host name (letters, digits, - and .)" % (name,))
        address = str((addresses or {}).get(host) or "")
        try:
            address = str(ipaddress.ip_address(address))
        except ValueError:
            problems.append("%s (%s) has no IP address: got %r" % (host, alias, address or None))
            continue
        lines.append("%s %s %s" % (address, host, alias))
    if problems:
        raise NodeSelectionError("/etc/hosts lines of h200_node_aliases not written: %s; set %s (host: address) "
                                 "or each host's ansible_host" % ("; ".join(problems), variable))
    return lines
