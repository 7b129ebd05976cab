# -*- coding: utf-8 -*-
# Copyright: (c) 2026, spectrumx.h200_benchmark contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters of the roce_qos role (logic in module_utils/roce_qos.py).

``mlnx_qos_parse``: ``mlnx_qos -i IFACE`` output -> ``trust``, ``dcbx_mode``, ``pfc_enabled``.
``mlnx_qos_mismatches(priority, trust)``: what a parsed state lacks; empty when it holds.
``roce_pfc_argument``: priority -> ``mlnx_qos --pfc`` argument (3 -> ``0,0,0,1,0,0,0,0``).
``roce_traffic_class(ecn)``: DSCP -> TOS byte with ECT(0) (26 -> 106).
``ethtool_rings``: ``ethtool -g IFACE`` output -> ``maximum`` and ``current`` rx/tx.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible.errors import AnsibleFilterError
from ansible_collections.spectrumx.h200_benchmark.plugins.module_utils import roce_qos as rq


def _wrap(func):
    def run(*args, **kwargs):
        try:
            return func(*args, **kwargs)
        except rq.RoceQosError as exc:
            raise AnsibleFilterError(str(exc)) from None

    run.__doc__ = func.__doc__
    return run


class FilterModule(object):
    def filters(self):
        return {
            "mlnx_qos_parse": _wrap(rq.parse_mlnx_qos),
            "mlnx_qos_mismatches": _wrap(rq.qos_mismatches),
            "roce_pfc_argument": _wrap(rq.pfc_argument),
            "roce_traffic_class": _wrap(rq.traffic_class),
            "ethtool_rings": _wrap(rq.parse_ethtool_rings),
        }
