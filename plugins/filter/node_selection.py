# -*- coding: utf-8 -*-
# Copyright: (c) 2026, spectrumx.h200_benchmark contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters that derive host lists from the alias map (logic in module_utils/node_selection.py)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible.errors import AnsibleFilterError
from ansible_collections.spectrumx.h200_benchmark.plugins.module_utils import node_selection as ns


def _wrap(func):
    def run(*args, **kwargs):
        try:
            return func(*args, **kwargs)
        except ns.NodeSelectionError as exc:
            raise AnsibleFilterError(str(exc)) from exc

    run.__doc__ = func.__doc__
    return run


def node_counts(value, alias_map, inventory_hosts=None):
    """``nodes`` -> list of node counts, validated against the GPU nodes the alias map and inventory share."""
    return ns.parse_node_counts(value, len(ns.ordered_aliases(alias_map, inventory_hosts)))


def node_counts_error(value, alias_map, inventory_hosts=None):
    """The message that rejects ``nodes``, or an empty string when it is acceptable."""
    try:
        node_counts(value, alias_map, inventory_hosts)
    except ns.NodeSelectionError as exc:
        return str(exc)
    return ""


def gpu_counts(value, available):
    """``gpus`` -> list of GPU counts of one node, validated against the GPUs (ranks) each node has."""
    return ns.parse_gpu_counts(value, available)


def gpu_counts_error(value, available):
    """The message that rejects ``gpus``, or an empty string when it is acceptable."""
    try:
        gpu_counts(value, available)
    except ns.NodeSelectionError as exc:
        return str(exc)
    return ""


def node_alias_lines(alias_map, hostvars, overrides=None):
    """``/etc/hosts`` lines of the alias map; each host's address from ``overrides`` (host: address), else its
    ``ansible_host`` in ``hostvars``."""
    addresses = {}
    for _alias, host in ns.ordered_aliases(alias_map):
        if host in (overrides or {}):
            addresses[host] = overrides[host]
        elif host in hostvars:
            addresses[host] = hostvars[host].get("ansible_host")
    return ns.etc_hosts_lines(alias_map, addresses)


def node_alias_checks(lines, getent_outputs):
    """One check per ``ADDRESS HOST ALIAS`` line: does ``getent hosts ALIAS`` (its output, in order) answer ADDRESS?"""
    checks = []
    for line, output in zip(lines, getent_outputs, strict=True):
        address, _host, alias = line.split()
        answered = (output or "").split()[:1]
        checks.append({"name": "alias " + alias,
                       "status": "pass" if answered == [address] else "fail",
                       "detail": "%s resolves to %s, expected %s"
                       % (alias, answered[0] if answered else "nothing", address)})
    return checks


class FilterModule(object):
    def filters(self):
        return {
            "node_counts": _wrap(node_counts),
            "node_counts_error": node_counts_error,
            "gpu_counts": _wrap(gpu_counts),
            "gpu_counts_error": gpu_counts_error,
            "sweep_configs": _wrap(ns.sweep_configs),
            "select_hosts": _wrap(ns.select_hosts),
            "node_alias": _wrap(ns.alias_of),
            "deepspeed_hostfile": _wrap(ns.deepspeed_hostfile),
            "slurm_nodelist": _wrap(ns.slurm_nodelist),
            "etc_hosts_lines": _wrap(ns.etc_hosts_lines),
            "node_alias_lines": _wrap(node_alias_lines),
            "node_alias_checks": node_alias_checks,
        }
