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
    description:
      - Also write the summary as strict JSON (NaN and infinities as null) to this path on the node (V(stopped)).
      - When it cannot be written the task fails naming the path, after the sampler has been stopped;
        the summary is returned with the failure.
    type: path
notes:
  - Check mode is supported; nothing is started or stopped, and V(stopped) summarises what is there.
  - Only the process recorded in C(OUTPUT_PATH.pid) is ever signalled, and only while its command
    line still names O(output_path).
  - A damaged samples file does not stop the summary - bytes that are not UTF-8 are replaced, and a last
    line cut off by a crash is skipped, both counted in the summary (C(skipped_lines), C(input_warnings)
    naming the file). Any other line that is not JSON fails the task, naming the file and the line.
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
    skipped_lines: 0
    input_warnings: []
  contains:
    skipped_lines:
      description: Lines of the samples file that were skipped (a last line cut off when the sampler was killed).
      returned: state=stopped
      type: int
      version_added: 0.1.0
    input_warnings:
      description: Damage to the samples file that was read around (bytes not UTF-8, a cut last line), naming the file.
      returned: state=stopped
      type: list
      elements: str
      version_added: 0.1.0
"""

import os
import signal
import time

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.spectrumx.h200_benchmark.plugins.module_utils import telemetry
from ansible_collections.spectrumx.h200_benchmark.plugins.module_utils import strict_json


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
        # bytes: the process name in stat may be anything, and may hold ") " itself
        with open("/proc/%d/stat" % pid, "rb") as handle:
            return handle.read().rsplit(b") ", 1)[-1].startswith(b"Z")
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
        records = _load(module, output_path)["records"]
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


def _read_bytes(output_path):
    """The samples file's bytes (decoded by module_utils, which replaces and reports what is not UTF-8)."""
    try:
        with open(output_path, "rb") as handle:
            return handle.read()
    except (IOError, OSError):
        return b""


def _load(module, output_path):
    try:
        return telemetry.read_samples(_read_bytes(output_path), output_path)
    except telemetry.TelemetryError as exc:
        module.fail_json(msg=str(exc))


def _signal(pid, signum):
    try:
        os.kill(pid, signum)
    except ProcessLookupError:
        pass  # it exited in between


def stop_sampler(pid, output_path, stop_timeout):
    """Stop file, then SIGTERM, then SIGKILL; returns whether the sampler has exited."""
    try:
        open(output_path + ".stop", "w").close()
    except (IOError, OSError):
        stop_timeout = 0  # no stop file (directory not writable): go straight to SIGTERM
    if not wait_exit(pid, stop_timeout):
        _signal(pid, signal.SIGTERM)
        if not wait_exit(pid, 5):
            _signal(pid, signal.SIGKILL)
            wait_exit(pid, 5)
    for suffix in (".pid", ".stop"):
        try:
            os.remove(output_path + suffix)
        except (IOError, OSError):
            pass  # absent, or not removable: sampler_pid checks the process, not just the file
    return _exited(pid)


def stop(module, params):
    output_path = params["output_path"]
    pid = sampler_pid(output_path)
    changed = pid is not None
    # The sampler is stopped before anything below can fail (the samples file, summary_path).
    if pid and not module.check_mode:
        try:
            stopped = stop_sampler(pid, output_path, params["stop_timeout"])
        except PermissionError as exc:
            module.fail_json(msg="cannot stop the sampler (pid %d) of %s: %s" % (pid, output_path, exc), pid=pid)
        if not stopped:
            module.fail_json(msg="the sampler (pid %d) of %s did not exit after SIGKILL" % (pid, output_path), pid=pid)
    running = bool(pid) and module.check_mode
    try:
        summary = telemetry.summarize_samples(_read_bytes(output_path), output_path)
    except telemetry.TelemetryError as exc:
        module.fail_json(msg=str(exc), running=running, output_path=output_path)
    if not os.path.exists(output_path):
        summary["absent"].append(
            {"what": "telemetry", "reason": "%s does not exist (sampler never started)" % output_path}
        )
    result = dict(running=running, output_path=output_path, summary=summary)
    if params["summary_path"] and not module.check_mode:
        text = strict_json.dumps(summary, indent=1, sort_keys=True)
        try:
            with open(params["summary_path"], "w") as handle:
                handle.write(text)
        except (IOError, OSError) as exc:
            module.fail_json(
                msg="cannot write summary_path %s: %s (the sampler is stopped; the summary is in this result)"
                % (params["summary_path"], exc),
                changed=changed,
                **result,
            )
        changed = True
    module.exit_json(changed=changed, **result)


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
