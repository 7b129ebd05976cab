# Copyright: (c) 2026, spectrumx.h200_benchmark contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""GPU and host telemetry sampler, run on a node during a benchmark phase.

Appends one JSON line per sample to ``--output`` and flushes it, so a crash loses at most one line:

* ``{"record": "start", ...}``: source (``nvml`` or ``nvidia-smi``), GPUs, which GPUs have NVML GPM;
* ``{"record": "sample", "t", "gpus": [...], "host": {...}}`` every ``--interval`` seconds;
* ``{"record": "stop", "reason", "samples"}`` on SIGTERM, SIGINT, when ``--stop-file`` appears, or
  after ``--max-samples``;
* ``{"record": "absent", "gpu": "not present", "reason"}`` alone when neither NVML (pynvml) nor
  ``nvidia-smi`` exists; the sampler then exits 0.

Per GPU: utilisation %, SM clock, memory used, power, temperature, throttle (clock event) reasons,
and, where NVML GPM is supported (Hopper and later), SM activity and tensor-pipe activity over the
interval (null otherwise). Host: CPU busy % and memory used from /proc.

Cost: with pynvml the NVML handles and GPM samples stay open and nothing is started per sample;
``nvidia-smi`` (one process per sample) is the fallback only.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from typing import Any, TextIO

# NVML clock event ("throttle") reason bits, from nvml.h (nvmlClocksEventReason*).
THROTTLE_REASONS = (
    (0x1, "gpu_idle"),
    (0x2, "applications_clocks_setting"),
    (0x4, "sw_power_cap"),
    (0x8, "hw_slowdown"),
    (0x10, "sync_boost"),
    (0x20, "sw_thermal_slowdown"),
    (0x40, "hw_thermal_slowdown"),
    (0x80, "hw_power_brake_slowdown"),
    (0x100, "display_clock_setting"),
)
# nvidia-smi --query-gpu fields of the fallback, in the order they are parsed.
SMI_FIELDS = (
    "index",
    "utilization.gpu",
    "utilization.memory",
    "clocks.sm",
    "memory.used",
    "power.draw",
    "temperature.gpu",
    "clocks_throttle_reasons.active",
)
SLICE_S = 0.2  # how often the stop file and signals are looked at between samples


def decode_throttle(mask: int | None) -> list[str] | None:
    """Names of the reason bits set in ``mask`` (empty list: none active; None: unknown)."""
    if mask is None:
        return None
    names = [name for bit, name in THROTTLE_REASONS if mask & bit]
    known = 0
    for bit, _name in THROTTLE_REASONS:
        known |= bit
    if mask & ~known:
        names.append("other_0x%x" % (mask & ~known))
    return names


def now_record() -> dict[str, Any]:
    stamp = time.time()
    return {"t": round(stamp, 3), "ts": datetime.datetime.fromtimestamp(stamp, datetime.UTC).isoformat()}


class HostReader:
    """Host CPU busy % (from /proc/stat deltas) and memory (from /proc/meminfo)."""

    def __init__(self, proc: str = "/proc") -> None:
        self.proc = proc
        self.previous = self._cpu_times()

    def _cpu_times(self) -> list[int] | None:
        try:
            with open(os.path.join(self.proc, "stat")) as handle:
                fields = handle.readline().split()
        except OSError:
            return None
        return [int(v) for v in fields[1:]] if fields and fields[0] == "cpu" else None

    def read(self) -> dict[str, Any]:
        current = self._cpu_times()
        cpu_pct = None
        if current and self.previous:
            deltas = [c - p for c, p in zip(current, self.previous, strict=False)]
            total = sum(deltas[:8])  # user nice system idle iowait irq softirq steal
            idle = deltas[3] + (deltas[4] if len(deltas) > 4 else 0)
            cpu_pct = round(100.0 * (total - idle) / total, 2) if total > 0 else None
        self.previous = current
        memory: dict[str, int] = {}
        try:
            with open(os.path.join(self.proc, "meminfo")) as handle:
                for line in handle:
                    key, _colon, rest = line.partition(":")
                    if key in ("MemTotal", "MemAvailable"):
                        memory[key] = int(rest.split()[0])  # kB
        except OSError:
            pass
        total_kb, available_kb = memory.get("MemTotal"), memory.get("MemAvailable")
        return {
            "cpu_pct": cpu_pct,
            "mem_total_mib": None if total_kb is None else round(total_kb / 1024.0, 1),
            "mem_used_mib": None if None in (total_kb, available_kb) else round((total_kb - available_kb) / 1024.0, 1),
        }


class NvmlSource:
    """Reads GPUs through pynvml with handles (and GPM samples) kept open between samples."""

    name = "nvml"

    def __init__(self, nvml: Any) -> None:
        self.nvml = nvml
        nvml.nvmlInit()
        count = nvml.nvmlDeviceGetCount()
        self.handles = [nvml.nvmlDeviceGetHandleByIndex(i) for i in range(count)]
        self.gpm: dict[int, Any] = {}  # index -> previous GPM sample
        self.gpm_reason: dict[int, str] = {}
        for index, handle in enumerate(self.handles):
            try:
                if nvml.nvmlGpmQueryDeviceSupport(handle).isSupportedDevice:
                    self.gpm[index] = nvml.nvmlGpmSampleGet(handle, nvml.nvmlGpmSampleAlloc())
                else:
                    self.gpm_reason[index] = "NVML GPM not supported by this GPU"
            except Exception as exc:  # older pynvml or driver without GPM
                self.gpm_reason[index] = "NVML GPM unavailable: %s" % exc
        self._events = (
            getattr(nvml, "nvmlDeviceGetCurrentClocksEventReasons", None)
            or nvml.nvmlDeviceGetCurrentClocksThrottleReasons
        )

    def describe(self) -> list[dict[str, Any]]:
        gpus = []
        for index, handle in enumerate(self.handles):
            name = self.nvml.nvmlDeviceGetName(handle)
            uuid = self.nvml.nvmlDeviceGetUUID(handle)
            gpus.append(
                {
                    "index": index,
                    "name": name.decode() if isinstance(name, bytes) else name,
                    "uuid": uuid.decode() if isinstance(uuid, bytes) else uuid,
                    "gpm": index in self.gpm,
                    "gpm_reason": self.gpm_reason.get(index),
                }
            )
        return gpus

    def _call(self, func: Any, *args: Any) -> Any:
        try:
            return func(*args)
        except Exception:  # one field failing (e.g. not supported) must not lose the sample
            return None

    def _gpm(self, index: int, handle: Any) -> dict[str, float | None]:
        previous = self.gpm.get(index)
        if previous is None:
            return {"sm_active_pct": None, "tensor_active_pct": None}
        nvml = self.nvml
        try:
            current = nvml.nvmlGpmSampleGet(handle, nvml.nvmlGpmSampleAlloc())
            request = nvml.c_nvmlGpmMetricsGet_t()
            request.version = nvml.NVML_GPM_METRICS_GET_VERSION
            request.numMetrics = 2
            request.sample1 = previous
            request.sample2 = current
            request.metrics[0].metricId = nvml.NVML_GPM_METRIC_SM_UTIL
            request.metrics[1].metricId = nvml.NVML_GPM_METRIC_ANY_TENSOR_UTIL
            nvml.nvmlGpmMetricsGet(request)
            nvml.nvmlGpmSampleFree(previous)
            self.gpm[index] = current
            return {
                "sm_active_pct": round(request.metrics[0].value, 2),
                "tensor_active_pct": round(request.metrics[1].value, 2),
            }
        except Exception:
            return {"sm_active_pct": None, "tensor_active_pct": None}

    def read(self, first: bool) -> list[dict[str, Any]]:
        nvml = self.nvml
        gpus = []
        for index, handle in enumerate(self.handles):
            util = self._call(nvml.nvmlDeviceGetUtilizationRates, handle)
            memory = self._call(nvml.nvmlDeviceGetMemoryInfo, handle)
            power = self._call(nvml.nvmlDeviceGetPowerUsage, handle)
            gpu = {
                "index": index,
                "util_pct": None if util is None else util.gpu,
                "mem_util_pct": None if util is None else util.memory,
                "sm_clock_mhz": self._call(nvml.nvmlDeviceGetClockInfo, handle, nvml.NVML_CLOCK_SM),
                "mem_used_mib": None if memory is None else round(memory.used / 1048576.0, 1),
                "power_w": None if power is None else round(power / 1000.0, 1),
                "temp_c": self._call(nvml.nvmlDeviceGetTemperature, handle, nvml.NVML_TEMPERATURE_GPU),
                "throttle": decode_throttle(self._call(self._events, handle)),
            }
            # The first sample has no interval behind it yet: GPM values start with the second.
            gpu.update({"sm_active_pct": None, "tensor_active_pct": None} if first else self._gpm(index, handle))
            gpus.append(gpu)
        return gpus

    def close(self) -> None:
        for sample in self.gpm.values():
            self._call(self.nvml.nvmlGpmSampleFree, sample)
        self._call(self.nvml.nvmlShutdown)


def _smi_value(text: str) -> float | None:
    text = text.strip()
    try:
        return float(text)
    except ValueError:
        return None  # [N/A], [Not Supported]


class SmiSource:
    """Fallback through ``nvidia-smi --query-gpu`` (one process per sample; no GPM)."""

    name = "nvidia-smi"

    def __init__(self, binary: str) -> None:
        self.binary = binary

    def _query(self, fields: str) -> list[list[str]]:
        output = subprocess.run(
            [self.binary, "--query-gpu=" + fields, "--format=csv,noheader,nounits"],
            check=True,
            capture_output=True,
            text=True,
            env=dict(os.environ, LC_ALL="C"),
            timeout=30,
        ).stdout
        return [[cell.strip() for cell in line.split(",")] for line in output.splitlines() if line.strip()]

    def describe(self) -> list[dict[str, Any]]:
        reason = "source is nvidia-smi, which has no NVML GPM metrics"
        return [
            {"index": int(row[0]), "name": row[1], "uuid": row[2], "gpm": False, "gpm_reason": reason}
            for row in self._query("index,name,uuid")
        ]

    def read(self, first: bool) -> list[dict[str, Any]]:
        gpus = []
        for row in self._query(",".join(SMI_FIELDS)):
            if len(row) != len(SMI_FIELDS):
                raise RuntimeError(
                    "nvidia-smi printed %d columns where %d were asked: %s" % (len(row), len(SMI_FIELDS), row)
                )
            cells = dict(zip(SMI_FIELDS, row, strict=True))
            mask = cells.get("clocks_throttle_reasons.active", "")
            try:
                mask_value: int | None = int(mask, 16)
            except ValueError:
                mask_value = None
            gpus.append(
                {
                    "index": int(cells["index"]),
                    "util_pct": _smi_value(cells.get("utilization.gpu", "")),
                    "mem_util_pct": _smi_value(cells.get("utilization.memory", "")),
                    "sm_clock_mhz": _smi_value(cells.get("clocks.sm", "")),
                    "mem_used_mib": _smi_value(cells.get("memory.used", "")),
                    "power_w": _smi_value(cells.get("power.draw", "")),
                    "temp_c": _smi_value(cells.get("temperature.gpu", "")),
                    "throttle": decode_throttle(mask_value),
                    "sm_active_pct": None,
                    "tensor_active_pct": None,
                }
            )
        return gpus

    def close(self) -> None:
        return None


def open_source(choice: str = "auto") -> Any:
    """NVML through pynvml where importable and initialisable, else nvidia-smi, else None (with why).

    ``choice`` ``nvml`` or ``nvidia-smi`` restricts the search to that source.
    """
    reasons = []
    if choice in ("auto", "nvml"):
        try:
            import pynvml

            return NvmlSource(pynvml), None
        except Exception as exc:
            reasons.append("pynvml: %s" % exc)
    binary = shutil.which("nvidia-smi") if choice in ("auto", "nvidia-smi") else None
    if binary:
        return SmiSource(binary), None
    reasons.append("nvidia-smi: not found on PATH")
    return None, "; ".join(reasons)


class Sampler:
    def __init__(self, output: TextIO, interval: float, stop_file: str, max_samples: int, source: str) -> None:
        self.output = output
        self.source = source
        self.interval = interval
        self.stop_file = stop_file
        self.max_samples = max_samples
        self.stop_reason: str | None = None

    def write(self, record: dict[str, Any]) -> None:
        self.output.write(json.dumps(record, sort_keys=True) + "\n")
        self.output.flush()

    def on_signal(self, signum: int, _frame: Any) -> None:
        self.stop_reason = signal.Signals(signum).name

    def _wait(self, deadline: float) -> None:
        while self.stop_reason is None:
            if os.path.exists(self.stop_file):
                self.stop_reason = "stop file"
                return
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return
            time.sleep(min(remaining, SLICE_S))

    def run(self) -> int:
        source, reason = open_source(self.source)
        if source is None:
            self.write(dict(now_record(), record="absent", gpu="not present", reason=reason))
            return 0
        host = HostReader()
        self.write(
            dict(
                now_record(),
                record="start",
                source=source.name,
                gpus=source.describe(),
                interval_s=self.interval,
                pid=os.getpid(),
            )
        )
        samples = 0
        deadline = time.monotonic()
        try:
            while self.stop_reason is None:
                self.write(dict(now_record(), record="sample", gpus=source.read(samples == 0), host=host.read()))
                samples += 1
                if self.max_samples and samples >= self.max_samples:
                    self.stop_reason = "max samples"
                    break
                deadline += self.interval
                self._wait(deadline)
        finally:
            source.close()
            self.write(dict(now_record(), record="stop", reason=self.stop_reason or "error", samples=samples))
        return 0


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--output", required=True, help="JSON-lines file to append samples to")
    parser.add_argument("--interval", type=float, default=1.0, help="seconds between samples (default 1)")
    parser.add_argument("--stop-file", help="stop when this file exists (default: OUTPUT.stop)")
    parser.add_argument(
        "--source", choices=("auto", "nvml", "nvidia-smi"), default="auto", help="where GPU data comes from"
    )
    parser.add_argument("--max-samples", type=int, default=0, help="stop after this many samples (0: no limit)")
    args = parser.parse_args(argv)
    if args.interval <= 0:
        parser.error("--interval must be a positive number of seconds, got %s" % args.interval)
    if args.max_samples < 0:
        parser.error("--max-samples must be 0 (no limit) or positive, got %s" % args.max_samples)
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    with open(args.output, "a") as output:
        sampler = Sampler(output, args.interval, args.stop_file or args.output + ".stop", args.max_samples, args.source)
        signal.signal(signal.SIGTERM, sampler.on_signal)
        signal.signal(signal.SIGINT, sampler.on_signal)
        return sampler.run()


if __name__ == "__main__":
    sys.exit(main())
