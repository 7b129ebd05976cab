# -*- coding: utf-8 -*-
# Copyright: (c) 2026, spectrumx.h200_benchmark contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters of the roce_qos role (logic in module_utils/roce_qos.py)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
name: roce_qos
short_description: RoCE QoS helpers (mlnx_qos parsing, PFC vector, traffic class)
description:
  - C(mlnx_qos_parse) turns C(mlnx_qos -i IFACE) output into C(trust), C(dcbx_mode), C(pfc_enabled).
  - C(mlnx_qos_mismatches) lists what a parsed state lacks against a RoCE priority with trust dscp.
  - C(roce_pfc_argument) gives the C(mlnx_qos --pfc) argument for a priority, C(3) -> C(0,0,0,1,0,0,0,0).
  - C(ethtool_rings) turns C(ethtool -g IFACE) output into C(maximum) and C(current) C(rx)/C(tx) sizes.
  - C(roce_traffic_class) gives the TOS byte for a DSCP value with ECT(0), C(26) -> C(106).
author: spectrumx.h200_benchmark contributors
"""

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
