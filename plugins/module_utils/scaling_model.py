# -*- coding: utf-8 -*-
# Copyright: (c) 2026, spectrumx.h200_benchmark contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What a run should reach at N nodes (or k GPUs), predicted from parts that were measured: the per-GPU step
at the baseline, and the collectives' times per message size at each count. docs/scaling-model.md has the
formulas and their sources; the report puts the prediction beside the measurement.

Per optimizer step and rank, the bytes DeepSpeed moves (bf16 parameters and gradients, 2 bytes each, P
parameters; Rajbhandari et al. 2020, "ZeRO", section 7, and DeepSpeed's stage 1/2/3 engines):

* ZeRO-0 (plain data parallel): one all_reduce of the gradients (2P) per step.
* ZeRO-1: reduce_scatter of the gradients (2P) per step, all_gather of the updated parameters (2P) per step.
* ZeRO-2: reduce_scatter of the gradients (2P) per micro-step (the partitioned gradients are reduced as the
  backward pass makes them), all_gather of the updated parameters (2P) per step.
* ZeRO-3: all_gather of the parameters (2P) in the forward and again in the backward pass, and reduce_scatter of
  the gradients (2P), per micro-step.

Each is sent in buckets (``reduce_bucket_size``, ``stage3_prefetch_bucket_size`` elements); one bucket's time is
the nccl-tests time of that message size at the same rank count, interpolated log-log between the measured rows
(below the smallest size: the smallest size's time, the latency term; above the largest: the largest size's
bus bandwidth). Optimizer offload traffic runs over PCIe inside a node and is part of the measured baseline step.

With T1 the measured step at the baseline and C1, CN the communication at the baseline and at N:
no overlap, TN = T1 - C1 + CN; full overlap (``overlap_comm``), TN = max(T1 - C1, CN). Efficiency = T1 / TN,
capped at 1 (weak scaling cannot beat its own baseline in this model); where the tokens per rank and step differ
(a fixed global batch over more ranks), the compute scales with them (``predict``'s work_ratio). Pure Python, no
Ansible imports.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import math

BYTES_PER_VALUE = 2  # bf16 parameters and gradients
DEFAULT_BUCKET_ELEMENTS = 500000000  # DeepSpeed's reduce_bucket_size / stage3_prefetch_bucket_size default


class ScalingModelError(ValueError):
    """An input of the model is missing or not usable."""


def _busbw_factor(op, ranks):
    """nccl-tests' busbw / algbw factor (doc/PERFORMANCE.md)."""
    if op == "all_reduce":
        return 2.0 * (ranks - 1) / ranks
    return (ranks - 1.0) / ranks


def collectives_per_step(n_params, zero_stage, grad_accum, reduce_bucket=None, prefetch_bucket=None):
    """The collectives of one optimizer step of one rank: [{op, total_bytes, calls, message_bytes, per, why}]."""
    if n_params is None or n_params <= 0 or zero_stage not in (0, 1, 2, 3) or not grad_accum or grad_accum < 1:
        raise ScalingModelError("need parameters > 0, ZeRO stage 0-3 and accumulation >= 1, got %r, %r, %r"
                                % (n_params, zero_stage, grad_accum))
    size = BYTES_PER_VALUE * float(n_params)
    reduce_bytes = BYTES_PER_VALUE * float(reduce_bucket or DEFAULT_BUCKET_ELEMENTS)
    gather_bytes = BYTES_PER_VALUE * float(prefetch_bucket or DEFAULT_BUCKET_ELEMENTS)

    def item(op, times, message, why):
        message = min(message, size)
        return {"op": op, "total_bytes": size * times, "message_bytes": message,
                "calls": math.ceil(size / message) * times, "why": why}

    if zero_stage == 0:
        return [item("all_reduce", 1, reduce_bytes, "gradients, once per step")]
    if zero_stage == 1:
        return [item("reduce_scatter", 1, reduce_bytes, "gradients, once per step"),
                item("all_gather", 1, gather_bytes, "updated parameters, once per step")]
    if zero_stage == 2:
        return [item("reduce_scatter", grad_accum, reduce_bytes, "gradients, every micro-step"),
                item("all_gather", 1, gather_bytes, "updated parameters, once per step")]
    return [item("all_gather", 2 * grad_accum, gather_bytes, "parameters, forward and backward of every micro-step"),
            item("reduce_scatter", grad_accum, reduce_bytes, "gradients, every micro-step")]


def call_time_s(rows, message_bytes, op, ranks):
    """Seconds of one collective of message_bytes, from nccl-tests rows [(size_bytes, time_us)] at this rank count."""
    points = sorted((float(s), float(t)) for s, t in rows if s and s > 0 and t is not None and t > 0)
    if not points:
        raise ScalingModelError("no measured time for %s" % op)
    if ranks < 2:
        return 0.0
    if message_bytes <= points[0][0]:
        return points[0][1] / 1e6
    if message_bytes >= points[-1][0]:
        size, time_us = points[-1]
        busbw = size / (time_us / 1e6) * _busbw_factor(op, ranks)
        return message_bytes * _busbw_factor(op, ranks) / busbw
    for (s0, t0), (s1, t1) in zip(points, points[1:]):
        if s0 <= message_bytes <= s1:
            frac = (math.log(message_bytes) - math.log(s0)) / (math.log(s1) - math.log(s0))
            return math.exp(math.log(t0) + frac * (math.log(t1) - math.log(t0))) / 1e6
    raise ScalingModelError("message size %r outside the measured rows" % message_bytes)


def communication_s(plan, rows_by_op, ranks):
    """Seconds of communication per step, and each term: [{op, why, seconds}]."""
    terms = []
    for entry in plan:
        rows = rows_by_op.get(entry["op"])
        if rows is None:
            raise ScalingModelError("%s was not measured at %d ranks" % (entry["op"], ranks))
        terms.append({"op": entry["op"], "why": entry["why"], "calls": entry["calls"],
                      "seconds": entry["calls"] * call_time_s(rows, entry["message_bytes"], entry["op"], ranks)})
    return sum(t["seconds"] for t in terms), terms


def predict(step_s_1, comm_s_1, comm_s_n, overlap, work_ratio=1.0):
    """Efficiency range (low, high) at N from the baseline step and the communication at both counts.

    work_ratio = tokens per rank and step at N / at the baseline (1 where the configuration is the same; below 1
    where a fixed global batch is shared by more ranks, as the owners' seed configs do): the compute scales with
    it at the baseline's rate, and efficiency = work_ratio x T1 / TN (per-GPU throughput at N over the baseline's).
    """
    if step_s_1 is None or step_s_1 <= 0 or work_ratio <= 0:
        raise ScalingModelError("need the baseline step time and work ratio > 0, got %r, %r" % (step_s_1, work_ratio))
    compute = max(step_s_1 - comm_s_1, 0.0) * work_ratio
    no_overlap = compute + comm_s_n
    full_overlap = max(compute, comm_s_n) if overlap else no_overlap
    return min(1.0, work_ratio * step_s_1 / no_overlap), min(1.0, work_ratio * step_s_1 / full_overlap)


def dominant(compute_s, terms):
    """The largest part of a step: 'compute' or the collective that takes longest."""
    largest = max(terms, key=lambda t: t["seconds"], default=None)
    if largest is None or compute_s >= largest["seconds"]:
        return "compute"
    return "%s (%s)" % (largest["op"], largest["why"])


def verdict(measured, low, high, tolerance=0.01):
    """Where the measured efficiency stands against the predicted range."""
    if measured is None:
        return "not measured"
    if measured < low - tolerance:
        return ("below what the measured collectives allow: look at stragglers, GPU activity between steps, "
                "and the fabric under load (counters, pause frames)")
    if measured > high + tolerance:
        return "above the predicted range: the model overstates the communication (it overlaps more than assumed)"
    return "as predicted"
