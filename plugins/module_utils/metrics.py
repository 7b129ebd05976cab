# -*- coding: utf-8 -*-
# Copyright: (c) 2026, spectrumx.h200_benchmark contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one definition of the report's derived numbers: scaling efficiency and line-rate fraction.

MFU and busbw are not defined here: the workload computes them (``files/h200_workload/flops.py`` and
``collectives.py``, see docs/architecture.md) and the report only reads them.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

BITS_PER_BYTE = 8


def scaling_efficiency(tokens_per_s_per_gpu_n, tokens_per_s_per_gpu_1):
    """Weak-scaling efficiency of an N-node run against the 1-node run.

    efficiency = per-GPU tokens/s at N nodes / per-GPU tokens/s at 1 node

    (the per-GPU form of "throughput(N) / (N x throughput(1))" used by NVIDIA's dgxc-benchmarking and
    torchtitan scaling tables). 1.0 is perfect scaling. Returns None when either value is missing or
    the 1-node value is not positive, so an absent number is never reported as 0.
    """
    if tokens_per_s_per_gpu_n is None or tokens_per_s_per_gpu_1 is None:
        return None
    if float(tokens_per_s_per_gpu_1) <= 0:
        return None
    return float(tokens_per_s_per_gpu_n) / float(tokens_per_s_per_gpu_1)


def peak_busbw(rows):
    """The peak bus bandwidth of a collective's rows (GB/s), the one rule of the project: the out-of-place
    column of each row, the in-place one only where a row has no out-of-place value. An in-place operation
    can be a no-op, e.g. sendrecv of one rank to itself, whose in-place column read 153,243 GB/s on the H200
    against 1,842 GB/s out of place (tests/unit/data/nccl/h200_sendrecv_1rank.log). None without a value."""
    values = []
    for row in rows or []:
        out_of_place, in_place = row.get("out_of_place") or {}, row.get("in_place") or {}
        place = out_of_place if out_of_place.get("busbw_gbps") is not None else in_place
        if place.get("busbw_gbps") is not None:
            values.append(place["busbw_gbps"])
    return max(values) if values else None


def line_rate_fraction(busbw_gbytes_per_s, line_rate_gbits_per_s):
    """Fraction of a node's network line rate that a bus bandwidth represents.

    fraction = busbw (GB/s, 10^9 bytes/s as nccl-tests prints it) x 8 / line rate (Gb/s)

    For 2x400GbE the per-node line rate is 800 Gb/s = 100 GB/s, so busbw 96 GB/s is 0.96. busbw is
    per rank in nccl-tests (doc/PERFORMANCE.md), comparable with one node's links for the inter-node
    ring. Returns None when an input is missing or the line rate is not positive.
    """
    if busbw_gbytes_per_s is None or line_rate_gbits_per_s is None:
        return None
    if float(line_rate_gbits_per_s) <= 0:
        return None
    return float(busbw_gbytes_per_s) * BITS_PER_BYTE / float(line_rate_gbits_per_s)


def gbytes_to_gbits(gbytes_per_s):
    """GB/s (10^9 bytes/s) to Gb/s (10^9 bits/s); None stays None."""
    return None if gbytes_per_s is None else float(gbytes_per_s) * BITS_PER_BYTE


# NVLink bandwidth per GPU, each way (GB/s), from the vendor's datasheets: H100 SXM and H200 SXM have 18
# NVLink 4 links, "900 GB/s" counted both ways; the H200 NVL's bridge is also quoted at 900 GB/s; A100 SXM has
# 12 NVLink 3 links, "600 GB/s" both ways. nccl-tests' busbw counts one direction, so it compares with half.
# Matched against the GPU name NVML reports (first match wins); a GPU not listed has no reference.
NVLINK_GBYTES_PER_S_EACH_WAY = (
    ("H200", 450.0, "NVIDIA H200 datasheet: NVLink 900 GB/s (18 links x 50 GB/s, both ways)"),
    ("H100 80GB HBM3", 450.0, "NVIDIA H100 SXM datasheet: NVLink 900 GB/s (18 links x 50 GB/s, both ways)"),
    ("A100-SXM", 300.0, "NVIDIA A100 SXM datasheet: NVLink 600 GB/s (12 links x 50 GB/s, both ways)"),
)


def nvlink_reference(gpu_name):
    """(GB/s each way, source) of the NVLink of a GPU model named as NVML names it, or (None, reason)."""
    for key, gbytes, source in NVLINK_GBYTES_PER_S_EACH_WAY:
        if gpu_name and key in str(gpu_name):
            return gbytes, source
    return None, "no documented NVLink figure for %s" % (gpu_name or "an unknown GPU model")
