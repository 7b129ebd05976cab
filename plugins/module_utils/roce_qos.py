# -*- coding: utf-8 -*-
# Copyright: (c) 2026, spectrumx.h200_benchmark contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""RoCE QoS arithmetic and ``mlnx_qos`` output parsing, shared by the roce_qos role and its tests.

``mlnx_qos -i IFACE`` (MLNX_OFED / mlnx-tools, ``python/mlnx_qos``) prints, among others::

    DCBX mode: OS controlled
    Priority trust state: dscp
    PFC configuration:
            priority    0   1   2   3   4   5   6   7
            enabled     0   0   0   1   0   0   0   0
            buffer      0   0   0   1   0   0   0   0

The traffic class written into RoCEv2 packets (``NCCL_IB_TC``, RDMA-CM ``default_roce_tos``) is the
IPv4 TOS byte: DSCP in the upper six bits, ECN in the lower two. ECN-capable transport ECT(0) is
``0b10``, so DSCP 26 gives ``26 << 2 | 2 = 106`` (the value in NVIDIA's Spectrum-X RoCE guides).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

PRIORITIES = 8
ECT0 = 2

_TRUST_RE = re.compile(r"^\s*Priority trust state:\s*(\S+)", re.MULTILINE)
_DCBX_RE = re.compile(r"^\s*DCBX mode:\s*(.+?)\s*$", re.MULTILINE)
_PFC_ENABLED_RE = re.compile(
    r"^\s*PFC configuration:\s*\n\s*priority[\s\d]*\n\s*enabled((?:\s+[01])+)\s*$", re.MULTILINE
)


class RoceQosError(ValueError):
    """Input or tool output the role cannot use; the message names the value and what is accepted."""


def _int_in_range(name, value, low, high):
    if isinstance(value, bool):
        raise RoceQosError("%s=%r is not accepted: an integer from %d to %d" % (name, value, low, high))
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise RoceQosError("%s=%r is not accepted: an integer from %d to %d" % (name, value, low, high)) from None
    if str(number) != str(value).strip() or not low <= number <= high:
        raise RoceQosError("%s=%r is not accepted: an integer from %d to %d" % (name, value, low, high))
    return number


def pfc_vector(priority):
    """``3`` -> ``[0, 0, 0, 1, 0, 0, 0, 0]``: PFC enabled on the RoCE priority only."""
    prio = _int_in_range("roce_qos_priority", priority, 0, PRIORITIES - 1)
    return [1 if index == prio else 0 for index in range(PRIORITIES)]


def pfc_argument(priority):
    """The ``mlnx_qos --pfc`` argument, e.g. ``0,0,0,1,0,0,0,0``."""
    return ",".join(str(bit) for bit in pfc_vector(priority))


def traffic_class(dscp, ecn=True):
    """TOS byte for a DSCP value: ``dscp << 2``, plus ECT(0) when ECN is enabled (26 -> 106)."""
    value = _int_in_range("roce_qos_dscp", dscp, 0, 63) << 2
    return value | ECT0 if ecn else value


def parse_mlnx_qos(text):
    """``mlnx_qos -i IFACE`` output -> ``{"trust", "dcbx_mode", "pfc_enabled"}``.

    A field the output does not hold is ``None``; output holding none of them raises RoceQosError.
    """
    text = text or ""
    trust = _TRUST_RE.search(text)
    dcbx = _DCBX_RE.search(text)
    pfc = _PFC_ENABLED_RE.search(text)
    result = {
        "trust": trust.group(1).lower() if trust else None,
        "dcbx_mode": dcbx.group(1) if dcbx else None,
        "pfc_enabled": [int(bit) for bit in pfc.group(1).split()] if pfc else None,
    }
    if result["trust"] is None and result["pfc_enabled"] is None:
        raise RoceQosError(
            "mlnx_qos output holds neither 'Priority trust state' nor 'PFC configuration': %r" % text[:200]
        )
    return result


def parse_ethtool_rings(text):
    """``ethtool -g IFACE`` output -> ``{"maximum": {"rx", "tx"}, "current": {"rx", "tx"}}``.

    Sections are ``Pre-set maximums:`` and ``Current hardware settings:``; a value ``n/a`` or a missing
    line leaves that key out. Output without either section raises RoceQosError.
    """
    sections = {"pre-set maximums": "maximum", "current hardware settings": "current"}
    result = {}
    section = None
    for line in (text or "").splitlines():
        head = line.strip().rstrip(":").lower()
        if head in sections:
            section = sections[head]
            result[section] = {}
            continue
        key, _sep, value = line.partition(":")
        if section and key.strip() in ("RX", "TX") and value.strip().isdigit():
            result[section][key.strip().lower()] = int(value.strip())
    if not result:
        raise RoceQosError("ethtool -g output holds no ring parameters: %r" % (text or "")[:200])
    return result


def qos_mismatches(parsed, priority, trust="dscp"):
    """What a parsed ``mlnx_qos`` state lacks against the wanted one; an empty list when it holds."""
    wanted_pfc = pfc_vector(priority)
    problems = []
    if parsed.get("trust") != trust:
        problems.append("trust is %s, wanted %s" % (parsed.get("trust"), trust))
    if parsed.get("pfc_enabled") != wanted_pfc:
        problems.append("PFC enabled %s, wanted %s" % (parsed.get("pfc_enabled"), wanted_pfc))
    return problems
