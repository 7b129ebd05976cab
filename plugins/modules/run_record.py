#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, spectrumx.h200_benchmark contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: run_record
short_description: Write one record of a benchmark run directory from structured data
description:
  - Writes C(run.json), a line of C(phases.jsonl), C(env/<host>.json), C(preflight/<host>.json),
    C(counters/<label>/<host>.json), C(nccl/<label>/<collective>.json) or C(sft/<label>/nccl_loaded.json) into a
    run directory on the
    controller. Paths and record shapes come from one contract, C(plugins/module_utils/run_dir.py), which
    the report and the callback read through too (docs/architecture.md).
  - Strict JSON (no NaN or Infinity); whole files are replaced atomically, phase lines are appended.
  - This is an action plugin; it runs on the controller and never connects to a node. In check mode it
    returns the record and writes nothing.
version_added: 0.2.0
author: spectrumx.h200_benchmark contributors (@spectrumx)
options:
  run_dir:
    description: The run directory, C(results/<run_id>) on the controller.
    type: path
    required: true
  record:
    description: Which record.
    type: str
    required: true
    choices: [collective, counters, env, phase, preflight, preflight_failure, run, sft_nccl]
  data:
    description:
      - The record's facts. run, the run (run_id, run_dir, phases, hosts, ...); the collection's version is
        added. phase, phase, nodes, status (ok, failed, skipped), label, gpus_per_node, reason, hosts, started;
        the end time is added. env and preflight, a node's environment record and checks (node_facts) with its host.
        preflight_failure, host and reason. counters, host, before (readings) and
        after (the roce_counters result). collective, tool (nccl-tests or torch.distributed), collective,
        nodes, gpus_per_node, hosts, algo, and result (the nccl_tests module's result or the PyTorch
        benchmark's JSON) or error. sft_nccl, hosts, loaded (per host, NCCL's version and network lines), built
        (per host, the NCCL nccl_build installed), hostnames (per host, its own name, as NCCL logs it), device,
        preloaded.
    type: dict
    required: true
  label:
    description: The configuration or phase label of counters, collective and sft_nccl records (n2, n1-g2, sft-n2).
    type: str
  collective:
    description: The collective of a collective record (all_reduce, ...).
    type: str
"""

EXAMPLES = r"""
- name: Record a phase
  spectrumx.h200_benchmark.run_record:
    run_dir: "{{ h200_run_dir }}"
    record: phase
    data: {phase: sft, nodes: 2, status: ok, label: n2, hosts: [hgx-0001, hgx-0002]}
"""

RETURN = r"""
path:
  description: The file written (or that would be written in check mode).
  returned: always
  type: str
record:
  description: The record as written.
  returned: always
  type: dict
"""
