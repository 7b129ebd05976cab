#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, spectrumx.h200_benchmark contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: campaign_report
short_description: One report over many benchmark runs (a campaign)
description:
  - Reads every run directory under O(runs) with the same code as each run's own report, and writes one
    Markdown report (and its JSON beside it) with one verdict, the targets judged on medians over the runs,
    SFT scaling from separate 1-, 2-, 4- and 8-node runs of the same configuration (model, preset, device,
    sequence length, micro-batch, ZeRO stage, GPUs per node), the spread of repeated runs, the collectives'
    median peak bus bandwidth against the line rate, and a link to each run's report.
  - A run directory that cannot be read (no run.json, or a damaged one) is listed as skipped, with why.
  - This is an action plugin; it runs on the controller. Fields are explained in docs/report.md.
version_added: 0.2.0
author: spectrumx.h200_benchmark contributors (@spectrumx)
options:
  runs:
    description: The folder that holds the run directories (C(results/)).
    type: path
    required: true
  out:
    description: The Markdown report to write; the JSON goes beside it. Default C(<runs>/campaign.md).
    type: path
  line_rate_gbps:
    description: Per-node line rate in Gb/s (2x400GbE = 800).
    type: float
    default: 800
  targets:
    description: Pass lines, as C(h200_targets) (gpu_util_pct, scaling_pct, busbw_gbps, latency_us).
    type: dict
    default: {}
  weak_tolerance:
    description: As C(h200_weak_tolerance), for reading weak-node results.
    type: float
    default: 0.1
"""

EXAMPLES = r"""
- name: One report over the whole campaign
  spectrumx.h200_benchmark.campaign_report:
    runs: results
    out: docs/final_benchmark_report.md
"""

RETURN = r"""
report:
  description: The Markdown report written.
  returned: always
  type: str
verdict:
  description:
    - verdict (PASS, FAIL or INCOMPLETE) and detail (how many targets passed, which failed or were not
      measured).
  returned: always
  type: dict
targets:
  description: Each target with name, target, unit, comparison, measured, pass, note, reason.
  returned: always
  type: list
  elements: dict
runs:
  description: The run ids read.
  returned: always
  type: list
  elements: str
skipped_runs:
  description: Run directories left out, with the reason.
  returned: always
  type: list
  elements: dict
"""
