#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, spectrumx.h200_benchmark contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: sft_wait
short_description: Wait for the background SFT job and print one progress line per poll
description:
  - Polls the async job O(jid) on the launching node every O(interval) seconds until it ends or O(timeout)
    passes, and prints one line per poll from the last record of O(metrics_path) (step N/M, tokens/s,
    tokens/s per GPU, loss, ETA), instead of a page of included and skipped tasks.
  - A job that ended with an error is returned with its exit status (RV(job_rc)), not failed; the caller
    reads the launcher's log to name the node or rank that failed.
  - This is an action plugin; it runs C(async_status) and C(tail) on the node it is delegated to.
version_added: 0.2.0
author: spectrumx.h200_benchmark contributors (@spectrumx)
options:
  jid:
    description: The job id of the task started with C(async) and C(poll 0).
    type: str
    required: true
  metrics_path:
    description: The workload's metrics.jsonl on the node.
    type: str
    required: true
  total_steps:
    description: Warm-up and timed steps, for N/M and the ETA.
    type: int
    required: true
  interval:
    description: Seconds between polls.
    type: float
    default: 30
  first_interval:
    description: Seconds before the first poll.
    type: float
    default: 5
  timeout:
    description: Seconds to wait at most.
    type: float
    required: true
  label:
    description: The configuration named in each line (n2, n1-g2).
    type: str
    default: SFT
"""

EXAMPLES = r"""
- name: Wait for SFT
  spectrumx.h200_benchmark.sft_wait:
    jid: "{{ job.ansible_job_id }}"
    metrics_path: /var/tmp/h200_benchmark/run/sft/n2/metrics.jsonl
    total_steps: 23
    interval: 30
    timeout: 7200
    label: n2
"""

RETURN = r"""
finished:
  description: Whether the job ended within the timeout.
  returned: always
  type: bool
job_rc:
  description: The job's exit status, when it ended (null otherwise).
  returned: always
  type: int
msg:
  description: async_status' message (why the job's status could not be read, if so).
  returned: always
  type: str
polls:
  description: How many polls were made.
  returned: always
  type: int
timed_out:
  description: True when the job had not ended at the timeout.
  returned: always
  type: bool
"""
