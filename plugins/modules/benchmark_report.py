#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, spectrumx.h200_benchmark contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: benchmark_report
short_description: Write report.md, plots and summary.json of a benchmark run directory
description:
  - Reads a run directory written by C(playbooks/benchmark.yml) (layout in docs/architecture.md) on the
    controller and writes C(summary.json), C(report.md) and C(plots/*.png) into it.
  - Missing results (failed phase, GPU or counter not present) are reported with their reason, never as 0.
  - Scaling efficiency is measured against the 1-node SFT result of the same run, or else of the newest
    run under O(results_root) with the same model, preset, device, sequence length, micro-batch and ZeRO stage.
  - This is an action plugin; it runs on the controller and never connects to a node. Meaning of every
    field is in docs/report.md.
version_added: 0.1.0
author: spectrumx.h200_benchmark contributors (@spectrumx)
options:
  run_dir:
    description: The run directory, C(results/<run_id>) on the controller.
    type: path
    required: true
  line_rate_gbps:
    description: Per-node network line rate in Gb/s (2x400GbE = 800) that busbw is compared with.
    type: float
    default: 800
  targets:
    description:
      - Pass lines, merged over the defaults.
      - "C(gpu_util_pct) (90), C(scaling_pct) (C({2: 98, 4: 95, 8: 90})), C(busbw_gbps) (920), C(latency_us) (50)."
      - A bandwidth target above O(line_rate_gbps) is reported as physically impossible.
    type: dict
    default: {}
  results_root:
    description: Where other runs are looked for as a stored 1-node baseline; default the parent of O(run_dir).
    type: path
  weak_tolerance:
    description: A node or pair whose busbw is below (1 - this) x the median of its kind is flagged as slow.
    type: float
    default: 0.1
attributes:
  check_mode:
    support: full
    description: Reads the run directory and returns the summary without writing anything.
  diff_mode:
    support: none
    description: Writes new files into a new run directory; there is nothing to diff.
  platform:
    support: full
    platforms: posix
    description: Runs on the controller only.
notes:
  - Needs pandas and matplotlib on the controller.
"""

EXAMPLES = r"""
- name: Write the report
  spectrumx.h200_benchmark.benchmark_report:
    run_dir: "{{ h200_run_dir }}"
    line_rate_gbps: 800
    targets:
      gpu_util_pct: 90
      scaling_pct: {2: 98, 4: 95, 8: 90}
      busbw_gbps: 920
      latency_us: 50
"""

RETURN = r"""
report:
  description: Path of report.md.
  returned: always
  type: str
summary_path:
  description: Path of summary.json.
  returned: always
  type: str
plots:
  description: Paths of the PNG plots written (empty in check mode).
  returned: always
  type: list
  elements: str
targets:
  description: Each target with name, target, unit, comparison, measured, pass (null when not measured), note, reason.
  returned: always
  type: list
  elements: dict
scaling:
  description: Per node count, tokens/s per GPU and efficiency against the 1-node baseline.
  returned: always
  type: list
  elements: dict
latency_us:
  description: 2-node sendrecv time of the smallest message, or null.
  returned: always
  type: float
sft:
  description:
    - SFT figures of the largest successful node count.
    - tokens_per_s, tokens_per_s_per_gpu, mfu, gpu_util_mean.
  returned: always
  type: dict
"""
