"""nccl_tests and gpu_telemetry modules run for real on this machine, with test doubles for the hardware:
``cat`` of a recorded nccl-tests output plays the nccl-tests binary, and a shell script printing
outputs recorded on the H200 plays nvidia-smi (pynvml is made unimportable)."""

import json
import os
import stat
import sys

from ansible_collections.spectrumx.h200_benchmark.plugins.modules import gpu_telemetry, nccl_tests
from doubles import nvidia_smi_sampler_env, samples_of, wait_for_records
from module_harness import run_module

HERE = os.path.dirname(__file__)
NCCL = os.path.join(HERE, "..", "data", "nccl")
NVML = os.path.join(HERE, "..", "data", "nvml")
SAMPLER = os.path.abspath(os.path.join(HERE, "..", "..", "..", "files", "h200_workload", "telemetry.py"))


def test_parse_mode(monkeypatch):
    failed, result = run_module(
        monkeypatch, nccl_tests.main, {"log_path": os.path.join(NCCL, "issue290_h100_2node_srun_label_nocheck.log")}
    )
    assert not failed and result["changed"] is False and len(result["rows"]) == 11 and result["wrong_total"] is None
    failed, result = run_module(
        monkeypatch,
        nccl_tests.main,
        {
            "log_path": os.path.join(NCCL, "h200_all_reduce_nocheck.log"),
            "json_path": os.path.join(NCCL, "h200_all_reduce_nocheck.json"),
        },
    )
    assert (
        not failed
        and result["nccl_tests_version"] == "2.19.6"
        and result["rows"][0]["out_of_place"]["time_us"] == 7.0471
    )
    assert "env" not in result
    failed, result = run_module(monkeypatch, nccl_tests.main, {"log_path": "/nonexistent/all_reduce.log"})
    assert failed and result["msg"].startswith("cannot read log_path /nonexistent/all_reduce.log")


def test_run_mode_saves_raw_output_and_parses_it(monkeypatch, tmp_path):
    recorded = os.path.join(NCCL, "a3mega_h100_2node_group_column.log")
    out = tmp_path / "all_reduce.log"
    args = {
        "binary": "cat",
        "args": [recorded],
        "launcher_argv": ["env"],
        "env": {"NCCL_ALGO": "Ring"},
        "output_path": str(out),
    }
    failed, result = run_module(monkeypatch, nccl_tests.main, args)
    assert not failed and result["changed"] is True and result["rc"] == 0 and result["timed_out"] is False
    assert result["cmd"] == ["env", "cat", recorded]
    with open(recorded) as handle:
        assert out.read_text() == handle.read()
    assert result["avg_busbw_gbps"] == 70.742 and result["test"] == "cat"  # name of the binary when not printed
    failed, result = run_module(monkeypatch, nccl_tests.main, args)
    assert failed and "already exists; results are never overwritten" in result["msg"]


def test_run_mode_failures(monkeypatch, tmp_path):
    wrong = os.path.join(NCCL, "issue369_gh200_v2.17.8_wrong_failed.log")
    failed, result = run_module(
        monkeypatch, nccl_tests.main, {"binary": "cat", "args": [wrong], "output_path": str(tmp_path / "w.log")}
    )
    assert failed and "wrong results: 128 wrong elements, out-of-bounds check FAILED" in result["msg"]
    assert result["wrong_total"] == 128 and len(result["rows"]) == 25  # the parsed results come with the failure
    crash = os.path.join(NCCL, "issue369_gh200_v2.17.8_crash_before_table.log")
    failed, result = run_module(
        monkeypatch,
        nccl_tests.main,
        {"binary": "sh", "args": ["-c", 'cat "$0"; exit 3', crash], "output_path": str(tmp_path / "c.log")},
    )
    assert failed and "exit status 3" in result["msg"] and "cut off" in result["msg"] and result["complete"] is False
    failed, result = run_module(
        monkeypatch,
        nccl_tests.main,
        {"binary": "sleep", "args": ["30"], "timeout": 1, "output_path": str(tmp_path / "t.log")},
    )
    assert failed and result["timed_out"] is True and "stopped after the timeout of 1 s" in result["msg"]


def test_run_mode_check_mode_and_bad_input(monkeypatch, tmp_path):
    failed, result = run_module(
        monkeypatch,
        nccl_tests.main,
        {"binary": "all_reduce_perf", "output_path": str(tmp_path / "x.log")},
        check_mode=True,
    )
    assert not failed and result["skipped"] is True and not (tmp_path / "x.log").exists()
    failed, result = run_module(monkeypatch, nccl_tests.main, {"binary": "all_reduce_perf"})
    assert failed and "output_path" in result["msg"]
    failed, result = run_module(
        monkeypatch,
        nccl_tests.main,
        {"binary": "all_reduce_perf", "timeout": 0, "output_path": str(tmp_path / "y.log")},
    )
    assert failed and "timeout must be a positive number" in result["msg"]


def _nvidia_smi_test_double(tmp_path, monkeypatch):
    for name, value in nvidia_smi_sampler_env(tmp_path).items():
        monkeypatch.setenv(name, value)


def test_gpu_telemetry_start_is_idempotent_and_stop_summarises(monkeypatch, tmp_path):
    _nvidia_smi_test_double(tmp_path, monkeypatch)
    out = str(tmp_path / "telemetry.jsonl")
    start = {"state": "started", "output_path": out, "sampler": SAMPLER, "python": sys.executable, "interval": 0.2}
    failed, first = run_module(monkeypatch, gpu_telemetry.main, start)
    assert not failed and first["changed"] is True and first["running"] is True
    try:
        failed, again = run_module(monkeypatch, gpu_telemetry.main, start)
        assert not failed and again["changed"] is False and again["pid"] == first["pid"]
        wait_for_records(out, lambda records: len(samples_of(records)) >= 3)  # the sampler's own pace
    finally:
        failed, stopped = run_module(
            monkeypatch,
            gpu_telemetry.main,
            {
                "state": "stopped",
                "output_path": out,
                "stop_timeout": 10,
                "summary_path": str(tmp_path / "summary.json"),
            },
        )
    assert not failed and stopped["changed"] is True and stopped["running"] is False
    summary = stopped["summary"]
    assert summary["source"] == "nvidia-smi" and summary["samples"] >= 3 and summary["stopped_by"] == "stop file"
    assert summary["gpus"]["0"]["power_w"]["max"] == 76.12
    assert json.loads((tmp_path / "summary.json").read_text()) == summary
    assert not os.path.exists(out + ".pid") and gpu_telemetry.sampler_pid(out) is None
    failed, again = run_module(monkeypatch, gpu_telemetry.main, {"state": "stopped", "output_path": out})
    assert not failed and again["changed"] is False and again["summary"]["samples"] == summary["samples"]


def test_gpu_telemetry_without_gpu(monkeypatch, tmp_path):
    (tmp_path / "pynvml.py").write_text("raise ImportError('pynvml test double: no NVML here')\n")
    monkeypatch.setenv("PYTHONPATH", str(tmp_path))
    monkeypatch.setenv("PATH", "/usr/bin:/bin")
    out = str(tmp_path / "t.jsonl")
    failed, result = run_module(
        monkeypatch,
        gpu_telemetry.main,
        {"state": "started", "output_path": out, "sampler": SAMPLER, "python": sys.executable},
    )
    assert not failed and result["running"] is False and "no GPU telemetry source" in result["msg"]
    failed, result = run_module(monkeypatch, gpu_telemetry.main, {"state": "stopped", "output_path": out})
    assert not failed and result["summary"]["absent"][0]["what"] == "gpu"
    failed, result = run_module(monkeypatch, gpu_telemetry.main, {"state": "started", "output_path": out})
    assert failed and "sampler (the path of telemetry.py on the node) is required" in result["msg"]


def test_json_record_writes_once_and_only_what_changed(monkeypatch, tmp_path):
    from ansible_collections.spectrumx.h200_benchmark.plugins.modules import json_record

    dest = tmp_path / "record.json"
    args = {"dest": str(dest), "data": {"version": "2.26.2", "sm": [90], "bad": float("nan")}, "mode": "0640"}
    failed, result = run_module(monkeypatch, json_record.main, args, check_mode=True)
    assert not failed and result["changed"] is True and not dest.exists()  # check mode: said, not written
    failed, result = run_module(monkeypatch, json_record.main, args)
    assert not failed and result["changed"] is True
    assert json.loads(dest.read_text()) == {"bad": None, "sm": [90], "version": "2.26.2"}  # strict JSON
    assert stat.S_IMODE(os.stat(dest).st_mode) == 0o640
    failed, result = run_module(monkeypatch, json_record.main, args)
    assert not failed and result["changed"] is False  # the same content again: nothing to do
    failed, result = run_module(monkeypatch, json_record.main, {"dest": str(dest), "data": "text"})
    assert failed and result["msg"] == "data must be a mapping or a list, got str"
    failed, result = run_module(monkeypatch, json_record.main, {"dest": str(tmp_path / "no" / "r.json"), "data": []})
    assert failed and result["msg"].startswith("the folder of dest does not exist")
