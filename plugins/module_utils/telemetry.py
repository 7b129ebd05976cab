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

A damaged samples file is read, not trusted: bytes that are not UTF-8 are replaced, a last line cut off
by a crash is skipped and counted (``skipped_lines``), both named with the file's path in
``input_warnings``; a value of the wrong type is not a measurement; NaN and infinities are null, so the
summary is always strict JSON.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import math
import subprocess

from ansible_collections.spectrumx.h200_benchmark.plugins.module_utils import strict_json

GPU_METRICS = ("util_pct", "sm_active_pct", "tensor_active_pct", "power_w", "sm_clock_mhz", "mem_used_mib", "temp_c")
HOST_METRICS = ("cpu_pct", "mem_used_mib")
# Reasons that mean the clocks were held down by something other than the workload's own demand.
# Not counted: gpu_idle, applications_clocks_setting, sync_boost, display_clock_setting, and
# sw_power_cap, which a GPU at full load normally shows.
SLOWDOWN_REASONS = ("hw_slowdown", "sw_thermal_slowdown", "hw_thermal_slowdown", "hw_power_brake_slowdown")


class TelemetryError(ValueError):
    """The samples file cannot be read (the message names the file)."""


def _decode(data, name, warnings):
    """Text of ``data`` (bytes or str); bytes that are not UTF-8 are replaced and named in ``warnings``."""
    if isinstance(data, (bytes, bytearray)):
        try:
            return bytes(data).decode("utf-8")
        except UnicodeDecodeError as exc:
            warnings.append("%s: bytes that are not UTF-8 replaced (the first at byte %d)" % (name, exc.start))
            return bytes(data).decode("utf-8", "replace")
    if not isinstance(data, str):
        raise TelemetryError("%s: telemetry samples must be text, got %s" % (name, type(data).__name__))
    return data


def read_samples(data, path=None):
    """Records of a samples file, and what was wrong with it.

    ``data`` is str, or bytes as read from ``path``. Returns ``{"records", "skipped_lines",
    "input_warnings"}``. A last line cut off by a crash is skipped and counted; any other line that is
    not JSON raises TelemetryError naming ``path`` and the line: the sampler writes whole lines, so it
    is not the sampler's file. A line that is JSON but not an object is not a record.
    """
    name = path or "telemetry samples"
    warnings = []
    text = _decode(data, name, warnings)
    records, skipped = [], 0
    lines = text.splitlines()
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            # NaN and Infinity (Python's json writes them by default) are no measurement
            record = json.loads(line, parse_constant=lambda constant: None)
        except (ValueError, RecursionError) as exc:
            if number == len(lines):
                # the sampler was killed while writing its last line
                skipped += 1
                warnings.append("%s: last line (%d) cut off, skipped: %r" % (name, number, line[:80]))
                break
            raise TelemetryError(
                "%s: line %d of the telemetry samples is not JSON: %r" % (name, number, line[:120])
            ) from exc
        if isinstance(record, dict):
            records.append(record)
    return {"records": records, "skipped_lines": skipped, "input_warnings": warnings}


def read_jsonl(text, path=None):
    """Records of a samples file (see :func:`read_samples`, which also says what was skipped)."""
    return read_samples(text, path)["records"]


def summarize_samples(data, path=None):
    """:func:`summarize` of a samples file's content, with its ``skipped_lines`` and ``input_warnings``."""
    loaded = read_samples(data, path)
    summary = summarize(loaded["records"])
    summary["skipped_lines"] = loaded["skipped_lines"]
    summary["input_warnings"] = loaded["input_warnings"]
    return summary


def _number(value):
    """A finite float of a sampled value; None for null, booleans, text and anything not finite."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    try:
        value = float(value)
    except OverflowError:  # an integer too large for a float
        return None
    return value if math.isfinite(value) else None


def _rounded(value):
    value = round(value, 3)
    return value if math.isfinite(value) else None


def stats(values):
    """``{"mean", "median", "max", "n"}`` of the numbers in ``values`` (None and non-numbers ignored); all null
    when none."""
    numbers = sorted(n for n in (_number(v) for v in values) if n is not None)
    if not numbers:
        return {"mean": None, "median": None, "max": None, "n": 0}
    middle = len(numbers) // 2
    median = numbers[middle] if len(numbers) % 2 else (numbers[middle - 1] + numbers[middle]) / 2.0
    return {
        "mean": _rounded(sum(numbers) / len(numbers)),  # the sum of huge values can overflow to inf
        "median": _rounded(median),
        "max": _rounded(numbers[-1]),
        "n": len(numbers),
    }


def _dicts(value):
    """The objects of a list read from a sample; anything else in their place is not a measurement."""
    return [item for item in value if isinstance(item, dict)] if isinstance(value, list) else []


def _throttle_counts(gpu_samples):
    counts = {}
    for sample in gpu_samples:
        reasons = sample.get("throttle")
        for reason in reasons if isinstance(reasons, list) else []:
            if isinstance(reason, str):
                counts[reason] = counts.get(reason, 0) + 1
    return dict(sorted(counts.items()))


def _gpu_order(index):
    """Sort key of GPU indexes kept as strings: numbers in numeric order, then anything else."""
    return (0, int(index), index) if index.isdecimal() and len(index) < 10 else (1, 0, index)


def _duration(samples):
    if len(samples) < 2:
        return None
    first, last = _number(samples[0].get("t")), _number(samples[-1].get("t"))
    return None if first is None or last is None else _rounded(last - first)


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
        "duration_s": _duration(samples),
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
        for gpu in _dicts(sample.get("gpus")):
            per_gpu.setdefault(str(gpu.get("index")), []).append(gpu)
    gpm_reasons = dict((str(g.get("index")), g.get("gpm_reason")) for g in _dicts((start or {}).get("gpus")))
    for index in sorted(per_gpu, key=_gpu_order):
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
    hosts = [s.get("host") if isinstance(s.get("host"), dict) else {} for s in samples]
    summary["host"] = dict((metric, stats(h.get(metric) for h in hosts)) for metric in HOST_METRICS)
    return strict_json.finite(summary)


def spawn_detached(argv, log_path):
    """Start the sampler in its own session (it outlives the Ansible task), output appended to log_path.

    Not ``AnsibleModule.run_command``, which waits for the command to end.
    """
    with open(log_path, "a") as log:
        return subprocess.Popen(
            argv, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, start_new_session=True, close_fds=True
        )
