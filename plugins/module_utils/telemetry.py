# -*- coding: utf-8 -*-
# Copyright: (c) 2026, spectrumx.h200_benchmark contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Summary of the samples that ``files/h200_workload/telemetry.py`` writes (one JSON object a line).

Pure functions. The summary is what ``telemetry/<phase>-n<N>/<host>.summary.json`` holds: per GPU
and over all GPUs the mean, median and max of each metric, the throttle reasons seen (with how many
samples showed each), host CPU and memory, the number of samples, and an ``absent`` list that says
which metric or device was not measured and why. A metric never measured is null, never 0.

GPU utilisation is NVML's ``utilization.gpu`` (time with any kernel running); SM activity and
tensor activity come from NVML GPM (Hopper and later) and are null where GPM is not available.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import subprocess

GPU_METRICS = ("util_pct", "sm_active_pct", "tensor_active_pct", "power_w", "sm_clock_mhz", "mem_used_mib", "temp_c")
HOST_METRICS = ("cpu_pct", "mem_used_mib")
# Reasons that mean the clocks were held down by something other than the workload's own demand.
# Not counted: gpu_idle, applications_clocks_setting, sync_boost, display_clock_setting, and
# sw_power_cap, which a GPU at full load normally shows.
SLOWDOWN_REASONS = ("hw_slowdown", "sw_thermal_slowdown", "hw_thermal_slowdown", "hw_power_brake_slowdown")


class TelemetryError(ValueError):
    """The samples file cannot be read."""


def read_jsonl(text):
    """Records of a samples file; a last line cut off by a crash is skipped, any other bad line is an error."""
    records = []
    lines = text.splitlines()
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except ValueError as exc:
            if number == len(lines):
                break  # the sampler was killed while writing its last line
            raise TelemetryError("line %d of the telemetry samples is not JSON: %r" % (number, line[:120])) from exc
        if isinstance(record, dict):
            records.append(record)
    return records


def stats(values):
    """``{"mean", "median", "max", "n"}`` of the numbers in ``values`` (None ignored); all null when none."""
    numbers = sorted(float(v) for v in values if v is not None and not isinstance(v, bool))
    if not numbers:
        return {"mean": None, "median": None, "max": None, "n": 0}
    middle = len(numbers) // 2
    median = numbers[middle] if len(numbers) % 2 else (numbers[middle - 1] + numbers[middle]) / 2.0
    return {
        "mean": round(sum(numbers) / len(numbers), 3),
        "median": round(median, 3),
        "max": round(numbers[-1], 3),
        "n": len(numbers),
    }


def _throttle_counts(gpu_samples):
    counts = {}
    for sample in gpu_samples:
        for reason in sample.get("throttle") or []:
            counts[reason] = counts.get(reason, 0) + 1
    return dict(sorted(counts.items()))


def summarize(records):
    """Summary of a list of sampler records (see the module docstring)."""
    start = next((r for r in records if r.get("record") == "start"), None)
    stop = next((r for r in records if r.get("record") == "stop"), None)
    samples = [r for r in records if r.get("record") == "sample"]
    absent = []
    for record in records:
        if record.get("record") == "absent":
            absent.append({"what": "gpu", "reason": "no NVIDIA GPU telemetry source: %s" % record.get("reason")})
    summary = {
        "source": start.get("source") if start else None,
        "samples": len(samples),
        "interval_s": start.get("interval_s") if start else None,
        "started": samples[0].get("ts") if samples else None,
        "ended": samples[-1].get("ts") if samples else None,
        "duration_s": round(samples[-1]["t"] - samples[0]["t"], 3) if len(samples) > 1 else None,
        "stopped_by": stop.get("reason") if stop else None,
        "gpus": {},
        "overall": {},
        "host": {},
        "slowdown_seen": [],
        "absent": absent,
    }
    if start is None and not absent:
        absent.append({"what": "telemetry", "reason": "the sampler wrote no start record (it did not run)"})
    per_gpu = {}
    for sample in samples:
        for gpu in sample.get("gpus") or []:
            per_gpu.setdefault(str(gpu.get("index")), []).append(gpu)
    gpm_reasons = dict((str(g.get("index")), g.get("gpm_reason")) for g in (start or {}).get("gpus") or [])
    for index in sorted(per_gpu, key=lambda i: int(i) if i.isdigit() else i):
        gpu_samples = per_gpu[index]
        entry = dict((metric, stats(s.get(metric) for s in gpu_samples)) for metric in GPU_METRICS)
        entry["throttle_seen"] = _throttle_counts(gpu_samples)
        entry["samples"] = len(gpu_samples)
        summary["gpus"][index] = entry
        for metric in ("sm_active_pct", "tensor_active_pct"):
            if entry[metric]["n"] == 0:
                reason = gpm_reasons.get(index) or "no GPM value in any sample"
                absent.append({"what": "%s of GPU %s" % (metric, index), "reason": reason})
        for reason in SLOWDOWN_REASONS:
            if reason in entry["throttle_seen"] and reason not in summary["slowdown_seen"]:
                summary["slowdown_seen"].append(reason)
    all_gpu_samples = [gpu for gpu_samples in per_gpu.values() for gpu in gpu_samples]
    summary["overall"] = dict((metric, stats(s.get(metric) for s in all_gpu_samples)) for metric in GPU_METRICS)
    summary["overall"]["throttle_seen"] = _throttle_counts(all_gpu_samples)
    summary["host"] = dict(
        (metric, stats((s.get("host") or {}).get(metric) for s in samples)) for metric in HOST_METRICS
    )
    return summary


def spawn_detached(argv, log_path):
    """Start the sampler in its own session (it outlives the Ansible task), output appended to log_path.

    Not ``AnsibleModule.run_command``, which waits for the command to end.
    """
    with open(log_path, "a") as log:
        return subprocess.Popen(
            argv, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, start_new_session=True, close_fds=True
        )
