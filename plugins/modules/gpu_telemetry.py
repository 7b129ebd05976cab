#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, spectrumx.h200_benchmark contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: gpu_telemetry
short_description: Start and stop the GPU/host telemetry sampler of a benchmark phase, and summarise it
description:
  - V(started) starts C(files/h200_workload/telemetry.py) (already copied to the node, O(sampler))
    detached, with the workload's Python (O(python)); it appends one JSON line per sample to
    O(output_path). Starting again while the same sampler runs changes nothing.
  - V(stopped) asks the sampler to stop (stop file, then SIGTERM), waits for it, and returns the
    summary of the samples (per GPU and overall mean/median/max of utilisation, SM and tensor
    activity, power, clocks, memory, temperature; throttle reasons seen; host CPU and memory; an
    C(absent) list). Summary arithmetic is in C(module_utils/telemetry.py).
  - Where the node has neither NVML (pynvml) nor nvidia-smi, the sampler writes one record saying
    C(not present) and exits; the summary then lists the GPU under C(absent).
version_added: 0.1.0
author: spectrumx.h200_benchmark contributors (@spectrumx)
options:
  state:
    description: Start or stop the sampler.
    type: str
    required: true
    choices: [started, stopped]
  output_path:
    description: JSON-lines file of the samples; C(OUTPUT_PATH.pid), C(.stop) and C(.log) sit beside it.
    type: path
    required: true
  sampler:
    description: Path of C(telemetry.py) on the node (needed for V(started)).
    type: path
  python:
    description: Interpreter that runs the sampler (the workload's, where pynvml is installed).
    type: path
    default: python3
  interval:
    description: Seconds between samples.
    type: float
    default: 1.0
  stop_timeout:
    description: Seconds to wait for the sampler to stop before it is sent SIGTERM (then SIGKILL).
    type: int
    default: 15
  summary_path:
    description: Also write the summary as JSON to this path on the node (V(stopped)).
    type: path
notes:
  - Check mode is supported; nothing is started or stopped, and V(stopped) summarises what is there.
  - Only the process recorded in C(OUTPUT_PATH.pid) is ever signalled, and only while its command
    line still names O(output_path).
"""

EXAMPLES = r"""
- name: Sample GPUs during the SFT phase
  spectrumx.h200_benchmark.gpu_telemetry:
    state: started
    sampler: /opt/h200_workload/telemetry.py
    python: /opt/conda/envs/h200/bin/python
    output_path: /var/tmp/h200_benchmark/telemetry-sft-n8.jsonl

- name: Stop it and get the summary
  spectrumx.h200_benchmark.gpu_telemetry:
    state: stopped
    output_path: /var/tmp/h200_benchmark/telemetry-sft-n8.jsonl
  register: __telemetry
"""

RETURN = r"""
pid:
  description: Process id of the sampler (V(started)).
  returned: state=started
  type: int
running:
  description: Whether the sampler runs after the task.
  returned: always
  type: bool
output_path:
  description: The samples file.
  returned: always
  type: str
summary:
  description: Summary of the samples (see C(module_utils/telemetry.py)); metrics never measured are null.
  returned: state=stopped
  type: dict
  sample:
    source: nvml
    samples: 27
    gpus:
      "0":
        util_pct: {mean: 44.4, median: 0.0, max: 100.0, n: 27}
        tensor_active_pct: {mean: 41.0, median: 0.0, max: 93.78, n: 26}
        throttle_seen: {gpu_idle: 12, sw_power_cap: 12}
    absent: []
"""

import json
import os
import signal
import time

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.spectrumx.h200_benchmark.plugins.module_utils import telemetry


def sampler_pid(output_path):
    """The pid in OUTPUT.pid if that process is alive and is the sampler of this output, else None."""
    try:
        with open(output_path + ".pid") as handle:
            pid = int(handle.read().strip())
        with open("/proc/%d/cmdline" % pid, "rb") as handle:
            cmdline = handle.read().split(b"\0")
    except (IOError, OSError, ValueError):
        return None
    return pid if output_path.encode() in cmdline else None


def _exited(pid):
    try:
        finished, _status = os.waitpid(pid, os.WNOHANG)  # reaps it when it is our child
        if finished:
            return True
    except ChildProcessError:
        pass
    try:
        with open("/proc/%d/stat" % pid) as handle:
            return handle.read().split(") ", 1)[-1].startswith("Z")
    except (IOError, OSError):
        return True


def wait_exit(pid, seconds):
    deadline = time.time() + seconds
    while time.time() < deadline:
        if _exited(pid):
            return True
        time.sleep(0.2)
    return _exited(pid)


def start(module, params):
    output_path = params["output_path"]
    pid = sampler_pid(output_path)
    if pid:
        module.exit_json(changed=False, pid=pid, running=True, output_path=output_path)
    if not params["sampler"]:
        module.fail_json(msg="sampler (the path of telemetry.py on the node) is required with state=started")
    if not os.path.isfile(params["sampler"]):
        module.fail_json(msg="sampler %s does not exist on the node" % params["sampler"])
    if params["interval"] <= 0:
        module.fail_json(msg="interval must be a positive number of seconds, got %s" % params["interval"])
    if not os.path.isdir(os.path.dirname(output_path) or "."):
        module.fail_json(msg="the directory of output_path %s does not exist" % output_path)
    if module.check_mode:
        module.exit_json(changed=True, running=False, output_path=output_path, msg="check mode: sampler not started")
    if os.path.exists(output_path + ".stop"):
        os.remove(output_path + ".stop")  # left by an earlier phase; would stop the new sampler at once
    argv = [params["python"], params["sampler"], "--output", output_path, "--interval", str(params["interval"])]
    try:
        proc = telemetry.spawn_detached(argv, output_path + ".log")
    except (IOError, OSError) as exc:
        module.fail_json(msg="cannot start the sampler %s: %s" % (" ".join(argv), exc))
    with open(output_path + ".pid", "w") as handle:
        handle.write("%d\n" % proc.pid)
    time.sleep(1.0)
    if proc.poll() is not None:
        records = _records(module, output_path)
        if proc.returncode == 0 and any(r.get("record") == "absent" for r in records):
            module.exit_json(
                changed=True,
                pid=proc.pid,
                running=False,
                output_path=output_path,
                msg="no GPU telemetry source on this node: %s"
                % next(r.get("reason") for r in records if r.get("record") == "absent"),
            )
        module.fail_json(
            msg="the sampler exited at once with status %s; see %s.log" % (proc.returncode, output_path), cmd=argv
        )
    module.exit_json(changed=True, pid=proc.pid, running=True, output_path=output_path, cmd=argv)


def _records(module, output_path):
    try:
        with open(output_path) as handle:
            return telemetry.read_jsonl(handle.read())
    except (IOError, OSError):
        return []
    except telemetry.TelemetryError as exc:
        module.fail_json(msg="%s: %s" % (output_path, exc))


def stop(module, params):
    output_path = params["output_path"]
    pid = sampler_pid(output_path)
    changed = pid is not None
    if pid and not module.check_mode:
        open(output_path + ".stop", "w").close()
        if not wait_exit(pid, params["stop_timeout"]):
            os.kill(pid, signal.SIGTERM)
            if not wait_exit(pid, 5):
                os.kill(pid, signal.SIGKILL)
                wait_exit(pid, 5)
        for suffix in (".pid", ".stop"):
            if os.path.exists(output_path + suffix):
                os.remove(output_path + suffix)
    records = _records(module, output_path)
    summary = telemetry.summarize(records)
    if not os.path.exists(output_path):
        summary["absent"].append(
            {"what": "telemetry", "reason": "%s does not exist (sampler never started)" % output_path}
        )
    if params["summary_path"] and not module.check_mode:
        with open(params["summary_path"], "w") as handle:
            json.dump(summary, handle, indent=1, sort_keys=True)
        changed = True
    module.exit_json(changed=changed, running=bool(pid) and module.check_mode, output_path=output_path, summary=summary)


def main():
    module = AnsibleModule(
        argument_spec=dict(
            state=dict(type="str", required=True, choices=["started", "stopped"]),
            output_path=dict(type="path", required=True),
            sampler=dict(type="path"),
            python=dict(type="path", default="python3"),
            interval=dict(type="float", default=1.0),
            stop_timeout=dict(type="int", default=15),
            summary_path=dict(type="path"),
        ),
        supports_check_mode=True,
    )
    if module.params["state"] == "started":
        start(module, module.params)
    stop(module, module.params)


if __name__ == "__main__":
    main()
