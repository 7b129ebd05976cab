"""Telemetry summary on samples recorded on the project's H200, and the sampler itself.

The ``h200_*.jsonl`` files were written by files/h200_workload/telemetry.py on the lent H200
(tests/unit/data/nvml/record_on_h200.sh): idle, then 5 s of bf16 8192^3 matmuls, through NVML with
GPM; and the nvidia-smi fallback. Sampler tests use test doubles of pynvml and nvidia-smi.
"""

import json
import os
import signal
import stat
import subprocess
import sys
import types

import pytest
from ansible_collections.spectrumx.h200_benchmark.plugins.module_utils import telemetry as tm
from doubles import nvidia_smi_sampler_env, recorded_command, samples_of, wait_for_records

HERE = os.path.dirname(__file__)
DATA = os.path.join(HERE, "..", "data", "nvml")
SAMPLER = os.path.join(HERE, "..", "..", "..", "files", "h200_workload", "telemetry.py")


def records(name):
    with open(os.path.join(DATA, name)) as handle:
        return tm.read_jsonl(handle.read())


def test_summary_of_recorded_matmul_phase():
    summary = tm.summarize(records("h200_nvml_matmul.jsonl"))
    assert summary["source"] == "nvml" and summary["samples"] == 27 and summary["stopped_by"] == "stop file"
    gpu = summary["gpus"]["0"]
    assert gpu["util_pct"]["max"] == 100.0 and gpu["util_pct"]["n"] == 27
    assert gpu["util_pct"]["mean"] == pytest.approx(100.0 * 12 / 27, abs=0.001)  # 12 of 27 samples busy
    assert gpu["tensor_active_pct"]["max"] == 93.78 and gpu["tensor_active_pct"]["n"] == 26  # none on the first
    assert gpu["sm_active_pct"]["max"] == 96.67
    assert gpu["power_w"]["max"] == 693.7 and gpu["sm_clock_mhz"]["max"] == 1980.0
    assert gpu["throttle_seen"] == {"gpu_idle": 12, "sw_power_cap": 12}
    assert summary["slowdown_seen"] == []  # power cap under load is not a slowdown
    assert summary["absent"] == []
    assert summary["host"]["cpu_pct"]["max"] == 30.25
    assert summary["overall"]["util_pct"] == gpu["util_pct"]  # one GPU


def test_summary_of_nvidia_smi_fallback_names_missing_gpm():
    summary = tm.summarize(records("h200_nvidia_smi.jsonl"))
    assert summary["source"] == "nvidia-smi" and summary["samples"] == 4
    assert summary["gpus"]["0"]["tensor_active_pct"] == {"mean": None, "median": None, "max": None, "n": 0}
    assert {a["what"] for a in summary["absent"]} == {"sm_active_pct of GPU 0", "tensor_active_pct of GPU 0"}
    assert summary["gpus"]["0"]["power_w"]["max"] == 123.35


def test_summary_without_gpu_and_without_sampler():
    absent = tm.summarize([{"record": "absent", "gpu": "not present", "reason": "nvidia-smi: not found on PATH"}])
    assert absent["samples"] == 0 and absent["gpus"] == {}
    assert absent["overall"]["util_pct"]["mean"] is None  # not 0
    assert "not found on PATH" in absent["absent"][0]["reason"]
    assert tm.summarize([])["absent"][0]["what"] == "telemetry"


def test_stats_and_slowdown():
    assert tm.stats([1, None, 3, 2]) == {"mean": 2.0, "median": 2.0, "max": 3.0, "n": 3}
    assert tm.stats([4, 1]) == {"mean": 2.5, "median": 2.5, "max": 4.0, "n": 2}
    sample = {"record": "sample", "t": 1.0, "gpus": [{"index": 3, "throttle": ["hw_thermal_slowdown"]}], "host": {}}
    assert tm.summarize([sample])["slowdown_seen"] == ["hw_thermal_slowdown"]


def test_read_jsonl_tolerates_only_a_cut_last_line():
    good = '{"record": "start"}\n{"record": "sample", "t": 1}\n'
    assert len(tm.read_jsonl(good + '{"record": "sam')) == 2
    with pytest.raises(tm.TelemetryError, match="line 2"):
        tm.read_jsonl('{"record": "start"}\nnot json\n{"record": "stop"}\n')


# --- the sampler ---------------------------------------------------------------------------------
def load_sampler():
    import importlib.util

    spec = importlib.util.spec_from_file_location("h200_telemetry_sampler", SAMPLER)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def fake_pynvml_test_double(gpm_supported=True):
    """A stand-in for pynvml with one H200-like GPU; GPM metric values are fixed."""
    nvml = types.SimpleNamespace(
        NVML_CLOCK_SM=1,
        NVML_TEMPERATURE_GPU=0,
        NVML_GPM_METRICS_GET_VERSION=1,
        NVML_GPM_METRIC_SM_UTIL=2,
        NVML_GPM_METRIC_ANY_TENSOR_UTIL=5,
        calls=[],
    )

    class Metric:
        def __init__(self):
            self.metricId, self.value = 0, 0.0

    class MetricsGet:
        def __init__(self):
            self.metrics = [Metric(), Metric()]

    def metrics_get(request):
        values = {2: 96.5, 5: 93.7}
        for metric in request.metrics:
            metric.value = values[metric.metricId]
        nvml.calls.append("gpm")

    nvml.nvmlInit = lambda: None
    nvml.nvmlShutdown = lambda: None
    nvml.nvmlDeviceGetCount = lambda: 1
    nvml.nvmlDeviceGetHandleByIndex = lambda i: "handle%d" % i
    nvml.nvmlDeviceGetName = lambda h: b"NVIDIA H200"
    nvml.nvmlDeviceGetUUID = lambda h: "GPU-test-double"
    nvml.nvmlGpmQueryDeviceSupport = lambda h: types.SimpleNamespace(isSupportedDevice=int(gpm_supported))
    nvml.nvmlGpmSampleAlloc = lambda: object()
    nvml.nvmlGpmSampleGet = lambda h, s: s
    nvml.nvmlGpmSampleFree = lambda s: None
    nvml.c_nvmlGpmMetricsGet_t = MetricsGet
    nvml.nvmlGpmMetricsGet = metrics_get
    nvml.nvmlDeviceGetUtilizationRates = lambda h: types.SimpleNamespace(gpu=100, memory=37)
    nvml.nvmlDeviceGetClockInfo = lambda h, c: 1530
    nvml.nvmlDeviceGetMemoryInfo = lambda h: types.SimpleNamespace(used=1113 * 1048576)
    nvml.nvmlDeviceGetPowerUsage = lambda h: 691900
    nvml.nvmlDeviceGetTemperature = lambda h, t: 44

    def power_cap_reason(h):
        return 0x4

    nvml.nvmlDeviceGetCurrentClocksEventReasons = power_cap_reason
    return nvml


def test_nvml_source_with_gpm(monkeypatch):
    sampler = load_sampler()
    source = sampler.NvmlSource(fake_pynvml_test_double())
    assert source.describe()[0] == {
        "index": 0,
        "name": "NVIDIA H200",
        "uuid": "GPU-test-double",
        "gpm": True,
        "gpm_reason": None,
    }
    first, second = source.read(first=True)[0], source.read(first=False)[0]
    assert first["sm_active_pct"] is None  # no interval behind the first sample
    assert second["sm_active_pct"] == 96.5 and second["tensor_active_pct"] == 93.7
    assert second["power_w"] == 691.9 and second["mem_used_mib"] == 1113.0 and second["throttle"] == ["sw_power_cap"]


def test_nvml_source_without_gpm():
    source = load_sampler().NvmlSource(fake_pynvml_test_double(gpm_supported=False))
    assert source.describe()[0]["gpm_reason"] == "NVML GPM not supported by this GPU"
    assert source.read(first=False)[0]["tensor_active_pct"] is None


def test_throttle_decoding():
    sampler = load_sampler()
    assert sampler.decode_throttle(0x1) == ["gpu_idle"]
    assert sampler.decode_throttle(0x48) == ["hw_slowdown", "hw_thermal_slowdown"]
    assert sampler.decode_throttle(0) == [] and sampler.decode_throttle(None) is None
    assert sampler.decode_throttle(0x400) == ["other_0x400"]


def _no_gpu_env(tmp_path):
    # PATH without nvidia-smi; a pynvml test double that fails to import
    (tmp_path / "pynvml.py").write_text("raise ImportError('pynvml test double: no NVML here')\n")
    return dict(os.environ, PATH="/usr/bin:/bin", PYTHONPATH=str(tmp_path))


def test_sampler_without_gpu_writes_one_absent_record(tmp_path):
    out = tmp_path / "t.jsonl"
    proc = subprocess.run([sys.executable, SAMPLER, "--output", str(out)], env=_no_gpu_env(tmp_path), timeout=60)
    assert proc.returncode == 0
    lines = [json.loads(line) for line in out.read_text().splitlines()]
    assert len(lines) == 1 and lines[0]["record"] == "absent" and lines[0]["gpu"] == "not present"
    assert "no NVML here" in lines[0]["reason"] and "nvidia-smi" in lines[0]["reason"]


def nvidia_smi_test_double(tmp_path):
    env = dict(os.environ)
    env.update(nvidia_smi_sampler_env(tmp_path))
    return env


def test_the_recorded_query_is_the_one_the_sampler_asks():
    assert recorded_command("query_gpu_sampler")[1] == "--query-gpu=" + ",".join(load_sampler().SMI_FIELDS)


def test_sampler_nvidia_smi_fallback_stops_on_stop_file(tmp_path):
    env = nvidia_smi_test_double(tmp_path)
    out = tmp_path / "s.jsonl"
    proc = subprocess.Popen([sys.executable, SAMPLER, "--output", str(out), "--interval", "0.1"], env=env)
    try:
        wait_for_records(out, lambda records: len(samples_of(records)) >= 3)
        (tmp_path / "s.jsonl.stop").touch()
        assert proc.wait(timeout=60) == 0
    finally:
        proc.kill()
    lines = [json.loads(line) for line in out.read_text().splitlines()]
    assert lines[0]["record"] == "start" and lines[0]["source"] == "nvidia-smi"
    assert lines[-1] == dict(lines[-1], record="stop", reason="stop file")
    samples = samples_of(lines)
    assert len(samples) >= 3 and lines[-1]["samples"] == len(samples)
    assert samples[0]["gpus"][0] == {
        "index": 0,
        "util_pct": 0.0,
        "mem_util_pct": 0.0,
        "sm_clock_mhz": 345.0,
        "mem_used_mib": 0.0,
        "power_w": 76.12,
        "temp_c": 32.0,
        "throttle": ["gpu_idle"],
        "sm_active_pct": None,
        "tensor_active_pct": None,
    }
    assert samples[1]["host"]["mem_total_mib"] > 0


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_sampler_stops_on_a_signal_after_its_start_record(tmp_path, signum):
    out = tmp_path / "k.jsonl"
    proc = subprocess.Popen([sys.executable, SAMPLER, "--output", str(out), "--interval", "0.1"],
                            env=nvidia_smi_test_double(tmp_path))
    try:
        wait_for_records(out, lambda records: any(r["record"] == "start" for r in records))
        proc.send_signal(signum)
        assert proc.wait(timeout=60) == 0
    finally:
        proc.kill()
    last = json.loads(out.read_text().splitlines()[-1])
    assert last["record"] == "stop" and last["reason"] == signum.name


def test_sampler_refuses_an_nvidia_smi_row_of_other_columns(tmp_path):
    """A row with fewer cells than fields asked is an output the sampler does not understand: it stops with
    an error record instead of filling the missing fields with nothing."""
    bin_dir = tmp_path / "nvidia_smi_test_double"
    bin_dir.mkdir()
    double = bin_dir / "nvidia-smi"
    double.write_text('#!/bin/sh\n# test double of nvidia-smi: a row of 3 cells for any query\necho "0, 1, 2"\n')
    double.chmod(double.stat().st_mode | stat.S_IEXEC)
    env = _no_gpu_env(tmp_path)
    env["PATH"] = "%s:%s" % (bin_dir, env["PATH"])
    out = tmp_path / "bad.jsonl"
    proc = subprocess.run([sys.executable, SAMPLER, "--output", str(out), "--interval", "0.1"], env=env,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode != 0 and "printed 3 columns where 8 were asked" in proc.stderr
    last = json.loads(out.read_text().splitlines()[-1])
    assert last["record"] == "stop" and last["reason"] == "error" and last["samples"] == 0


def test_sampler_rejects_bad_interval(tmp_path):
    proc = subprocess.run(
        [sys.executable, SAMPLER, "--output", str(tmp_path / "x"), "--interval", "0"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 2 and "--interval must be a positive number" in proc.stderr
